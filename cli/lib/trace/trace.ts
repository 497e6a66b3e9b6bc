import { performance } from 'node:perf_hooks'
import { redact } from 'fastify-zero-downtime/messages'
import { DatabaseError, TraceFailedError } from '../errors'
import { parseMigration, readMigration, type Parser } from '../lint'
import { leading } from '../lint/source'
import { RELATION_NAME, USER_RELATION, catalogQuery } from '../database'
import type { TraceDatabase } from './database'
import { MODES, modeName, notRunReason, standIn } from './statements'

export interface TracedLock { relation: string, mode: string, /** made by the migration itself */ created: boolean }
export interface TracedStatement {
  line: number
  column: number
  statement: string
  /** Why it was not run (transaction control, or a statement that cannot run in a transaction). */
  notRun?: string
  /** What ran in its place so that later statements find the schema they expect (its locks are not reported). */
  standIn?: string
  milliseconds?: number
  /** Locks this statement took (the migration's backend did not hold them before it). */
  took: TracedLock[]
  /** Every lock the migration's backend holds once the statement is done: until the file's COMMIT. */
  held: TracedLock[]
  /** Tables and indexes that existed before and were rewritten (their relfilenode changed). */
  rewritten: string[]
}
export interface FileTrace { file: string, statements: TracedStatement[] }
export interface TraceOptions { parser: Parser, since?: string, lockTimeout?: number, statementTimeout?: number }

interface Relation { name: string, filenode: string }
interface HeldLock { key: string, lock: TracedLock }
/** What was there before the release: by oid (a renamed table stays itself) and by name (an index rebuilt under a new oid). */
interface Existing { oids: Set<string>, names: Set<string> }
const existed = (existing: Existing, oid: string, relation: Relation): boolean => existing.oids.has(oid) || existing.names.has(relation.name)

// Every relation outside the system schemas, by oid: names for the locks, filenodes for rewrites.
const RELATIONS = `SELECT c.oid::int8::text AS oid, c.relfilenode::int8::text AS filenode, ${RELATION_NAME} AS name
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${USER_RELATION}`
const LOCKS = `SELECT relation::int8::text AS oid, mode FROM pg_locks
  WHERE pid = pg_backend_pid() AND locktype = 'relation' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`

async function relations (db: TraceDatabase): Promise<Map<string, Relation>> {
  return new Map((await catalogQuery(db, RELATIONS)).map((row) => [String(row.oid), { name: String(row.name), filenode: String(row.filenode) }]))
}

/** The relation locks the session holds, named (system catalogs left out). */
async function heldLocks (db: TraceDatabase, before: Map<string, Relation>, after: Map<string, Relation>, existing: Existing): Promise<HeldLock[]> {
  const held: HeldLock[] = []
  for (const row of await catalogQuery(db, LOCKS)) {
    const oid = String(row.oid)
    const relation = after.get(oid) ?? before.get(oid)
    if (relation !== undefined) held.push({ key: `${oid} ${String(row.mode)}`, lock: { relation: relation.name, mode: modeName(String(row.mode)), created: !existed(existing, oid, relation) } })
  }
  // pg_locks has no order: by relation, then strongest first.
  return held.sort((a, b) => a.lock.relation.localeCompare(b.lock.relation) || MODES.indexOf(b.lock.mode) - MODES.indexOf(a.lock.mode))
}

/**
 * The relations of before the release that a statement rewrote: a new relfilenode, or (an index
 * PostgreSQL rebuilt, as ALTER COLUMN TYPE does) a new relation of the same name. Views and
 * partitioned tables have no storage (relfilenode 0): nothing to rewrite.
 */
function rewrites (before: Map<string, Relation>, after: Map<string, Relation>, existing: Existing): string[] {
  const names = new Map([...after.entries()].map(([oid, relation]) => [relation.name, oid]))
  const rewritten = new Set<string>()
  for (const [oid, relation] of before) {
    if (relation.filenode === '0' || !existed(existing, oid, relation)) continue
    const now = after.get(oid)
    const rebuilt = now === undefined && names.has(relation.name)
    if (rebuilt || (now !== undefined && now.filenode !== relation.filenode)) rewritten.add(relation.name)
  }
  return [...rewritten].sort()
}

const oneLine = (text: string): string => { const line = text.replace(/\s+/g, ' ').trim(); return line.length > 120 ? `${line.slice(0, 119)}…` : line }

/** Runs one statement; a failure is the migration's, reported where it is. */
async function run (db: TraceDatabase, sql: string, where: string): Promise<number> {
  const started = performance.now()
  try {
    await db.query(sql)
  } catch (error) {
    throw new TraceFailedError(where, redact((error as Error).message))
  }
  return performance.now() - started
}

/** What an earlier file leaves behind, applied untraced: stand-ins for what cannot run in a transaction. */
async function replay (db: TraceDatabase, earlier: string, file: string, parser: Parser): Promise<void> {
  const { source, statements } = await parseMigration(readMigration(earlier), earlier, parser)
  for (const { stmt, text, start } of statements) {
    const sql = notRunReason(stmt) === undefined ? text : standIn(stmt, text)
    if (sql === undefined) continue
    const { line, column } = source.at(start)
    await run(db, sql, `${earlier}:${line}:${column} (replayed before ${file})`)
  }
}

/**
 * One file in one transaction: the release's files before it replayed untraced (the schema it
 * expects), then each of its statements run and traced, then everything rolled back.
 */
async function traceOne (db: TraceDatabase, earlier: string[], file: string, options: TraceOptions): Promise<FileTrace> {
  await run(db, 'BEGIN', file)
  try {
    await run(db, `SET LOCAL lock_timeout = ${options.lockTimeout ?? 5000}`, file)
    await run(db, `SET LOCAL statement_timeout = ${options.statementTimeout ?? 60_000}`, file)
    // What the database held before the release: anything else is new in it.
    const initial = await relations(db)
    const existing = { oids: new Set(initial.keys()), names: new Set([...initial.values()].map((relation) => relation.name)) }
    for (const previous of earlier) await replay(db, previous, file, options.parser)
    const replayed = await relations(db)
    const { source, statements } = await parseMigration(readMigration(file), file, options.parser)
    const traced: TracedStatement[] = []
    // What the replayed files locked stays locked: a baseline, not this file's.
    let heldBefore = new Set((await heldLocks(db, replayed, replayed, existing)).map(({ key }) => key))
    for (const { stmt, text, start } of statements) {
      const { line, column } = source.at(start)
      const where = `${file}:${line}:${column}`
      const entry: TracedStatement = { line, column, statement: oneLine(text.slice(leading(text))), took: [], held: [], rewritten: [] }
      traced.push(entry)
      const before = await relations(db)
      const reason = notRunReason(stmt)
      if (reason !== undefined) {
        entry.notRun = reason
        const sql = standIn(stmt, text)
        if (sql === undefined) continue
        entry.standIn = oneLine(sql.slice(leading(sql)))
        await run(db, sql, `${where} (the stand-in ${entry.standIn})`)
        // The stand-in's locks are not the statement's: counted as held before what follows.
        for (const { key } of await heldLocks(db, before, await relations(db), existing)) heldBefore.add(key)
        continue
      }
      entry.milliseconds = await run(db, text, where)
      const after = await relations(db)
      const held = await heldLocks(db, before, after, existing)
      entry.held = held.map(({ lock }) => lock)
      entry.took = held.filter(({ key }) => !heldBefore.has(key)).map(({ lock }) => lock)
      heldBefore = new Set(held.map(({ key }) => key))
      entry.rewritten = rewrites(before, after, existing)
    }
    return { file, statements: traced }
  } finally {
    // Never committed: whatever the migration did goes with the transaction.
    try {
      await db.query('ROLLBACK')
    } catch (error) {
      // eslint-disable-next-line no-unsafe-finally
      throw new DatabaseError(`could not roll back the trace of ${file} (${redact((error as Error).message)}): the connection was lost, so nothing was committed`)
    }
  }
}

/**
 * Traces the release's migrations in order, each in a transaction of its own that is rolled back,
 * after the release's earlier files replayed untraced. Files before `since` are not run: the
 * scratch database holds them already, as production does.
 */
export async function traceFiles (db: TraceDatabase, files: string[], options: TraceOptions): Promise<FileTrace[]> {
  const release = files.filter((file) => options.since === undefined || file.split(/[\\/]/).pop()! >= options.since)
  const traces: FileTrace[] = []
  for (const [index, file] of release.entries()) traces.push(await traceOne(db, release.slice(0, index), file, options))
  return traces
}
