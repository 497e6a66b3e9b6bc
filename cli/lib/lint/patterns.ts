import { relationName, type Node } from './schema'

// Known safe patterns that span statements: a finding one statement would raise alone, made safe
// by what follows it in the same transaction.

/**
 * A view with the old name over the renamed table, made later in the same transaction (before its
 * COMMIT): the running code reads and writes through it (a one-table view is updatable), as
 * django-pg-zero-downtime-migrations documents. `following` are the statements after the rename.
 */
export function keptByView (following: Node[], from: string, to: string): boolean {
  for (const stmt of following) {
    const kind = stmt.TransactionStmt?.kind
    if (kind === 'TRANS_STMT_COMMIT' || kind === 'TRANS_STMT_ROLLBACK') return false
    const view = stmt.ViewStmt
    if (view === undefined || relationName(view.view) !== from) continue
    const sources: Node[] = view.query.SelectStmt?.fromClause ?? []
    return sources.length === 1 && sources[0].RangeVar !== undefined && relationName(sources[0].RangeVar) === to
  }
  return false
}
