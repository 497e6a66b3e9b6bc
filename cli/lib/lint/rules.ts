// What a careful reviewer flags in a migration that must run while old and new code both serve.
// Each rule: what is wrong, and the safe alternative (expand-contract). docs/migrations.md holds the
// decision for every statement kind and ALTER TABLE subcommand.

export interface RuleInfo { message: string, alternative: string }

const LATER = 'stop using it in a release first, then do this in a migration marked as contract'
const REWRITE = 'rewrites the whole table under an ACCESS EXCLUSIVE lock: reads and writes wait until it ends'

export const RULES = {
  'drop-column': { message: 'drops a column that the running (old) code may still read or write', alternative: LATER },
  'drop-table': { message: 'drops a table that the running (old) code may still use', alternative: LATER },
  'drop-object': { message: 'drops a view, sequence, type, function, schema or database that the running (old) code may still use', alternative: LATER },
  'drop-not-null': { message: 'drops NOT NULL: new code may write NULLs that the running (old) code does not expect', alternative: 'drop it in a contract migration, once no running code reads the column as non-null' },
  'rename-column': { message: 'renames a column: the running code still uses the old name', alternative: 'add the new column, write to both, backfill, switch reads, then drop the old one in a contract migration' },
  'rename-table': { message: 'renames a table: the running code still uses the old name', alternative: 'create the new table (or a view), write to both, backfill, switch, then drop the old one in a contract migration' },
  'rename-object': { message: 'renames (or moves to another schema) a schema, view, type, enum value, function or sequence that the running code uses by name', alternative: 'create the new one beside the old, switch the code, then drop the old one in a contract migration' },
  truncate: { message: 'deletes every row of a table the running code uses, under an ACCESS EXCLUSIVE lock', alternative: 'delete in batches from a job, or only in a contract migration once no code reads the data' },
  'not-null-without-default': { message: 'adds a NOT NULL column without a default: inserts from the running code fail', alternative: 'add it nullable (or with a default), backfill, then add NOT NULL in a later release' },
  'drop-default': { message: 'drops the default of a NOT NULL column (DROP DEFAULT, DROP IDENTITY): the running (old) code\'s INSERTs that leave the column out fail', alternative: 'keep the default until no running code inserts without the column, then drop it in a contract migration' },
  'set-not-null-new-column': { message: 'SET NOT NULL on a column added in this release without a default: the running (old) code\'s INSERTs do not write it, and fail', alternative: 'give the column a default first, or add NOT NULL in a later release, once every running instance writes the column' },
  'attach-partition-scan': { message: 'ATTACH PARTITION scans the partition under an ACCESS EXCLUSIVE lock to check every row against the bounds, unless a validated CHECK on it implies them', alternative: 'ADD CONSTRAINT ... CHECK (<the bounds>) NOT VALID on the partition, VALIDATE CONSTRAINT (a weaker lock), then ATTACH PARTITION' },
  'set-not-null': { message: 'SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock', alternative: 'ADD CONSTRAINT ... CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, then SET NOT NULL (PostgreSQL 12+ uses the check)' },
  'change-column-type': { message: `changing a column's type ${REWRITE} (unless the change is binary coercible, which the linter decides only when it knows the current type), and the running code expects the old type`, alternative: 'add a column of the new type, write to both, backfill, switch reads, drop the old one in a contract migration' },
  'volatile-default': { message: `adds a column whose default is volatile (random(), gen_random_uuid(), clock_timestamp(), nextval() of a serial, a user function): this ${REWRITE}`, alternative: 'add the column without a default, set the default in a second statement (new rows only), and backfill in batches' },
  'generated-column': { message: `adds a stored generated or identity column (or changes a generated expression): computing it for every row ${REWRITE}`, alternative: 'add a plain nullable column, fill it in batches (or with a trigger for new rows), then add the identity or expression on the existing column' },
  'default-rewrite': { message: `before PostgreSQL 11, adding a column with any default ${REWRITE}`, alternative: 'add the column without a default, then SET DEFAULT, then backfill in batches' },
  'table-rewrite': { message: `SET TABLESPACE, SET LOGGED/UNLOGGED and SET ACCESS METHOD each ${REWRITE}`, alternative: 'create a copy with the new storage, keep it in sync (triggers or logical replication), and swap in a contract migration; or schedule a maintenance window' },
  'json-column': { message: 'adds a json column: json has no equality operator, so the running code\'s SELECT DISTINCT, UNION and GROUP BY over the table fail', alternative: 'use jsonb, which has equality and indexes' },
  'constraint-not-valid': { message: 'adds a CHECK or FOREIGN KEY constraint that validates every row under a lock', alternative: 'add it NOT VALID (separately from the column), then VALIDATE CONSTRAINT in a separate statement (a weaker lock)' },
  'unique-constraint': { message: 'adds a UNIQUE or PRIMARY KEY constraint that builds its index under an ACCESS EXCLUSIVE lock', alternative: 'CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... USING INDEX' },
  'exclusion-constraint': { message: 'adds an EXCLUDE constraint: it builds its index and checks every row under an ACCESS EXCLUSIVE lock, and cannot be added NOT VALID', alternative: 'enforce it in a new table, or schedule a maintenance window' },
  'domain-constraint': { message: 'adds a constraint (or NOT NULL) to a domain: every column of that domain is checked under a lock', alternative: 'ALTER DOMAIN ... ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT' },
  'detach-partition': { message: 'DETACH PARTITION without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the parent table', alternative: 'DETACH PARTITION ... CONCURRENTLY (PostgreSQL 14+, outside a transaction)' },
  'index-not-concurrently': { message: 'CREATE INDEX without CONCURRENTLY blocks writes to the table while it builds', alternative: 'CREATE INDEX CONCURRENTLY (outside a transaction)' },
  'drop-index-not-concurrently': { message: 'DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table', alternative: 'DROP INDEX CONCURRENTLY (outside a transaction)' },
  'reindex-not-concurrently': { message: 'REINDEX without CONCURRENTLY blocks writes to the table (and reads through the index) while it rebuilds', alternative: 'REINDEX ... CONCURRENTLY (PostgreSQL 12+, outside a transaction)' },
  'refresh-not-concurrently': { message: 'REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks every read of the view while it runs', alternative: 'REFRESH MATERIALIZED VIEW CONCURRENTLY (needs a unique index on the view)' },
  'exclusive-maintenance': { message: 'VACUUM FULL and CLUSTER rewrite the table under an ACCESS EXCLUSIVE lock', alternative: 'plain VACUUM, or pg_repack, or a maintenance window' },
  'lock-table': { message: 'LOCK TABLE in SHARE mode or stronger blocks the running code\'s writes (or reads) until the transaction ends', alternative: 'drop the explicit lock; if it is needed, keep the transaction to milliseconds' },
  'concurrently-in-transaction': { message: 'CONCURRENTLY cannot run inside a transaction block: the migration fails', alternative: 'run it in a migration of its own, outside BEGIN ... COMMIT' },
  'validate-in-transaction': { message: 'VALIDATE CONSTRAINT in the transaction that added the constraint holds the ADD\'s lock for the whole scan', alternative: 'commit the ADD CONSTRAINT ... NOT VALID first, then validate in another transaction' },
  'backfill-in-transaction': { message: 'writes rows in the same transaction as DDL that locked a table in use: the lock is held for the whole backfill', alternative: 'commit the DDL first, then backfill in batches outside the migration\'s transaction' },
  'unbatched-write': { message: 'updates or deletes every row of a table in use in one statement: each row stays locked, and blocks the running code\'s writes to it, until the end', alternative: 'update in batches (WHERE id BETWEEN ...), each in its own transaction' },
  'uncommitted-transaction': { message: 'BEGIN without a COMMIT: the migration leaves its transaction (and its locks) open', alternative: 'end the transaction with COMMIT' },
  'transaction-nesting': { message: 'BEGIN inside a transaction: PostgreSQL ignores it, so a COMMIT meant for the inner block ends the outer one', alternative: 'use one BEGIN ... COMMIT, or none where the migration tool opens the transaction' },
  'lock-timeout': { message: 'a statement that takes a strong lock without a lock_timeout can queue behind a long query and block all traffic to the table', alternative: "SET lock_timeout = '2s' (or SET LOCAL in a transaction) before it, and retry the migration if it times out; or pass --assume-lock-timeout when the role sets it" },
  'do-block-ddl': { message: 'a DO block runs DDL the linter cannot inspect', alternative: 'write the statements out, or review them and add an ignore comment with the reason' },
  'contract-without-floor': { message: 'a contract migration that does not raise the compatibility floor: old builds would still be reported ready', alternative: "INSERT INTO zero_downtime_compatibility (floor) VALUES (<the new build's compatibility>) (checks.raiseFloorSql())" },
  'ignore-without-reason': { message: 'an ignore comment must say why', alternative: '-- zero-downtime-ignore <rule>: <the reason it is safe here>' }
} as const satisfies Record<string, RuleInfo>

export type RuleName = keyof typeof RULES

/** Rules for destructive steps: allowed only in a migration marked as contract. */
export const CONTRACT_ONLY = new Set<RuleName>(['drop-column', 'drop-table', 'drop-object', 'drop-not-null', 'drop-default'])

/**
 * Rules whose cost grows with the table: the lock is held while every row is read, written or
 * indexed. On a small table (--database-url, --small-table-rows) they are of low impact; what
 * breaks the running code, or waits for a lock (lock-timeout), is not smaller on a small table.
 */
export const SIZE_BOUND = new Set<RuleName>(['set-not-null', 'attach-partition-scan', 'volatile-default', 'generated-column', 'default-rewrite', 'table-rewrite', 'constraint-not-valid', 'unique-constraint', 'exclusion-constraint', 'index-not-concurrently', 'reindex-not-concurrently', 'refresh-not-concurrently', 'exclusive-maintenance', 'validate-in-transaction', 'backfill-in-transaction', 'unbatched-write'])
