-- zero-downtime: contract
-- After r3 is rolled out (it neither reads nor writes name): drop name, and raise the floor so
-- that a build older than r3, started by mistake, is never ready.
SET lock_timeout = '2s';
ALTER TABLE users DROP COLUMN IF EXISTS name;
INSERT INTO zero_downtime_compatibility (floor) VALUES (3);
