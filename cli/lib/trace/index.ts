import { loadParser, migrationFiles, type Parser } from '../lint'
import { connect } from '../database'
import { assertScratch, type TraceDatabase } from './database'
import { traceFiles, type FileTrace, type TracedLock } from './trace'

export type { FileTrace, TracedLock, TracedStatement } from './trace'
export type { TraceDatabase } from './database'

export interface TraceReport { database: string, files: FileTrace[] }
export interface TraceMigrationsOptions { allowAnyDatabase?: boolean, since?: string, parser?: Parser, lockTimeout?: number, statementTimeout?: number }

/**
 * Traces migrations on a scratch database: `db` a URL (a session of its own, closed after) or a
 * session the caller owns (PGlite, in tests). Refuses a database that looks like production.
 */
export async function traceMigrations (db: string | TraceDatabase, paths: string[], options: TraceMigrationsOptions = {}): Promise<TraceReport> {
  const files = migrationFiles(paths)
  const session = typeof db === 'string' ? await connect(db, 'trace mode') : db
  try {
    const database = await assertScratch(session, options.allowAnyDatabase ?? false)
    return { database, files: await traceFiles(session, files, { ...options, parser: options.parser ?? loadParser() }) }
  } finally {
    if (typeof db === 'string') await session.close()
  }
}

const locks = (list: TracedLock[]): string => list.map((l) => `${l.mode} on ${l.relation}${l.created ? ' (new)' : ''}`).join(', ')

/** The report as text: per file, each statement with where it is, what it took, how long. */
export function traceText (report: TraceReport): string[] {
  const lines: string[] = []
  for (const { file, statements } of report.files) {
    lines.push(`trace of ${file} on ${report.database} (rolled back):`)
    for (const s of statements) {
      const head = `  ${s.line}:${s.column} ${s.statement}`
      if (s.notRun !== undefined) {
        lines.push(`${head}\n      not run: ${s.notRun}${s.standIn === undefined ? '' : `; ran in its place, untraced: ${s.standIn}`}`)
        continue
      }
      const took = s.took.length === 0 ? 'no new lock' : `took ${locks(s.took)}`
      lines.push(`${head}\n      ${Number(s.milliseconds).toFixed(1)} ms; ${took}${s.rewritten.length === 0 ? '' : `; rewrote ${s.rewritten.join(', ')}`}`)
    }
    const last = statements.findLast((s) => s.notRun === undefined)
    if (last !== undefined && last.held.length > 0) lines.push(`  held until the file's transaction ends: ${locks(last.held)}`)
  }
  return lines
}
