-- Release r0: users have a `name`. The floor table starts empty (floor 0).
CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS zero_downtime_compatibility (floor integer NOT NULL, raised_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS users (id text PRIMARY KEY, name text);
