import { hasOption } from '../lint/analyze'
import type { Node } from '../lint/schema'

const OWN_TRANSACTION = 'trace mode runs each file in a transaction of its own and rolls it back'
const OUTSIDE = 'cannot run inside a transaction, so trace mode does not run it'

// What PostgreSQL documents for the statements that cannot run inside a transaction block.
const REASONS = {
  transaction: `transaction control: ${OWN_TRANSACTION}`,
  createIndex: `CREATE INDEX CONCURRENTLY ${OUTSIDE}; PostgreSQL documents SHARE UPDATE EXCLUSIVE on the table: reads and writes go on while it builds, and it waits for transactions that could use the index`,
  dropIndex: `DROP INDEX CONCURRENTLY ${OUTSIDE}; it waits for the queries using the index instead of blocking them (SHARE UPDATE EXCLUSIVE on the table)`,
  reindex: `REINDEX CONCURRENTLY ${OUTSIDE}; SHARE UPDATE EXCLUSIVE on the table and its indexes: reads and writes go on`,
  reindexDatabase: `REINDEX SCHEMA, DATABASE and SYSTEM ${OUTSIDE}; each table is reindexed under a SHARE lock, each index under ACCESS EXCLUSIVE`,
  vacuum: `VACUUM ${OUTSIDE}; plain VACUUM takes SHARE UPDATE EXCLUSIVE, VACUUM FULL ACCESS EXCLUSIVE and rewrites the table`,
  detach: `DETACH PARTITION CONCURRENTLY ${OUTSIDE}; SHARE UPDATE EXCLUSIVE on the parent, ACCESS EXCLUSIVE on the partition`,
  cluster: `CLUSTER without a table ${OUTSIDE}; each table it clusters is rewritten under ACCESS EXCLUSIVE`,
  database: `CREATE DATABASE, DROP DATABASE, tablespaces and ALTER SYSTEM ${OUTSIDE}`
}

// Transaction control that trace mode's own transaction replaces; savepoints run inside it.
const REPLACED = new Set(['TRANS_STMT_BEGIN', 'TRANS_STMT_START', 'TRANS_STMT_COMMIT', 'TRANS_STMT_ROLLBACK', 'TRANS_STMT_PREPARE', 'TRANS_STMT_COMMIT_PREPARED', 'TRANS_STMT_ROLLBACK_PREPARED'])

/** Why trace mode does not run a statement, or undefined when it runs it. */
export function notRunReason (stmt: Node): string | undefined {
  if (REPLACED.has(stmt.TransactionStmt?.kind)) return REASONS.transaction
  if (stmt.IndexStmt?.concurrent === true) return REASONS.createIndex
  if (stmt.DropStmt?.concurrent === true) return REASONS.dropIndex
  if (hasOption(stmt.ReindexStmt?.params, 'concurrently')) return REASONS.reindex
  if (['REINDEX_OBJECT_SCHEMA', 'REINDEX_OBJECT_DATABASE', 'REINDEX_OBJECT_SYSTEM'].includes(stmt.ReindexStmt?.kind)) return REASONS.reindexDatabase
  if (stmt.VacuumStmt?.is_vacuumcmd === true) return REASONS.vacuum
  if ((stmt.AlterTableStmt?.cmds ?? []).some((cmd: Node) => cmd.AlterTableCmd.def?.PartitionCmd?.concurrent === true)) return REASONS.detach
  if (stmt.ClusterStmt !== undefined && stmt.ClusterStmt.relation === undefined) return REASONS.cluster
  if (['CreatedbStmt', 'DropdbStmt', 'CreateTableSpaceStmt', 'DropTableSpaceStmt', 'AlterSystemStmt'].some((kind) => stmt[kind] !== undefined)) return REASONS.database
  return undefined
}

// The keyword's first (CREATE/DROP INDEX) or last (DETACH PARTITION ... CONCURRENTLY) occurrence.
const FIRST_CONCURRENTLY = /\bconcurrently\b/i
const LAST_CONCURRENTLY = /\bconcurrently\b(?![\s\S]*\bconcurrently\b)/i

/**
 * The non-concurrent statement with the same effect on the schema, run in place of one that cannot
 * run in a transaction so that later statements find the index (or the detached partition) they
 * expect. Undefined when there is none, or none is needed (REINDEX, VACUUM: no schema change).
 */
export function standIn (stmt: Node, text: string): string | undefined {
  if (stmt.IndexStmt?.concurrent === true || stmt.DropStmt?.concurrent === true) return text.replace(FIRST_CONCURRENTLY, '')
  if (notRunReason(stmt) === REASONS.detach) return text.replace(LAST_CONCURRENTLY, '')
  return undefined
}

/** 'AccessExclusiveLock' -> 'ACCESS EXCLUSIVE', as PostgreSQL's documentation names the modes. */
export const modeName = (mode: string): string => mode.replace(/Lock$/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase()

// The lock modes, weakest first (PostgreSQL's "Explicit Locking").
export const MODES = ['ACCESS SHARE', 'ROW SHARE', 'ROW EXCLUSIVE', 'SHARE UPDATE EXCLUSIVE', 'SHARE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE']
