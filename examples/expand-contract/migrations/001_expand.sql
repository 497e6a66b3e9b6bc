-- Release r1 (expand): add full_name beside name. r1 writes both and still reads name; r0, still
-- running during the roll, ignores the new column.
SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN IF NOT EXISTS full_name text;
