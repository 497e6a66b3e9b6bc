// What a careful reviewer flags in a migration that must run while old and new code both serve.
// Each rule: a name, what is wrong, and the safe alternative (expand-contract).

export interface RuleInfo { message: string, alternative: string }

export const RULES = {
  'drop-column': { message: 'drops a column that the running (old) code may still read or write', alternative: 'stop using it in a release first, then drop it in a migration marked as contract' },
  'drop-table': { message: 'drops a table that the running (old) code may still use', alternative: 'stop using it in a release first, then drop it in a migration marked as contract' },
  'rename-column': { message: 'renames a column: the running code still uses the old name', alternative: 'add the new column, write to both, backfill, switch reads, then drop the old one in a contract migration' },
  'rename-table': { message: 'renames a table: the running code still uses the old name', alternative: 'create the new table (or a view), write to both, backfill, switch, then drop the old one in a contract migration' },
  truncate: { message: 'deletes every row of a table the running code uses', alternative: 'delete in batches from a job, or only in a contract migration once no code reads the data' },
  'not-null-without-default': { message: 'adds a NOT NULL column without a default: inserts from the running code fail', alternative: 'add it nullable (or with a default), backfill, then add NOT NULL in a later release' },
  'set-not-null': { message: 'SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock', alternative: 'ADD CONSTRAINT ... CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, then SET NOT NULL (PostgreSQL 12+ uses the check)' },
  'change-column-type': { message: 'changing a column type rewrites the table under an ACCESS EXCLUSIVE lock, and the running code expects the old type', alternative: 'add a column of the new type, write to both, backfill, switch reads, drop the old one in a contract migration' },
  'constraint-not-valid': { message: 'adds a CHECK or FOREIGN KEY constraint that validates every row under a lock', alternative: 'add it NOT VALID, then VALIDATE CONSTRAINT in a separate statement (a weaker lock)' },
  'unique-constraint': { message: 'adds a UNIQUE or PRIMARY KEY constraint that builds its index under an ACCESS EXCLUSIVE lock', alternative: 'CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... USING INDEX' },
  'index-not-concurrently': { message: 'CREATE INDEX without CONCURRENTLY blocks writes to the table while it builds', alternative: 'CREATE INDEX CONCURRENTLY (outside a transaction)' },
  'drop-index-not-concurrently': { message: 'DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table', alternative: 'DROP INDEX CONCURRENTLY (outside a transaction)' },
  'concurrently-in-transaction': { message: 'CONCURRENTLY cannot run inside a transaction block: the migration fails', alternative: 'run it in a migration of its own, outside BEGIN ... COMMIT' },
  'lock-timeout': { message: 'ALTER TABLE without a lock_timeout can queue behind a long query and block all traffic to the table', alternative: "SET lock_timeout = '2s' (or SET LOCAL in a transaction) before it, and retry the migration if it times out" },
  'do-block-ddl': { message: 'a DO block runs DDL the linter cannot inspect', alternative: 'write the statements out, or review them and add an ignore comment with the reason' },
  'contract-without-floor': { message: 'a contract migration that does not raise the compatibility floor: old builds would still be reported ready', alternative: "INSERT INTO zero_downtime_compatibility (floor) VALUES (<the new build's compatibility>) (checks.raiseFloorSql())" },
  'ignore-without-reason': { message: 'an ignore comment must say why', alternative: '-- zero-downtime-ignore <rule>: <the reason it is safe here>' }
} as const satisfies Record<string, RuleInfo>

export type RuleName = keyof typeof RULES

/** Rules for destructive steps: allowed only in a migration marked as contract. */
export const CONTRACT_ONLY = new Set<RuleName>(['drop-column', 'drop-table'])
