import { redact } from 'fastify-zero-downtime/messages'
import { DatabaseError, NotScratchError } from '../errors'

/** What trace mode needs of a database session: one statement at a time, its rows. */
export interface TraceDatabase {
  query: (sql: string) => Promise<Array<Record<string, unknown>>>
  close: () => Promise<void>
}

// A scratch database says so in its name: one of these words, alone or between _ - . or digits.
const SCRATCH_WORDS = ['scratch', 'test', 'tests', 'testing', 'tmp', 'temp', 'shadow', 'trace', 'ci', 'dev', 'local', 'sandbox']

/** Whether a database name reads as a scratch database's (app_test, scratch, ci-42, shadow_db). */
export function looksScratch (name: string): boolean {
  return name.toLowerCase().split(/[^a-z]+/).some((word) => SCRATCH_WORDS.includes(word))
}

/** A session on `url` through node-postgres: an optional peer dependency, loaded on first use (lint alone does not need it). */
export async function connect (url: string): Promise<TraceDatabase> {
  let Client: typeof import('pg').Client
  try {
    ({ Client } = require('pg') as typeof import('pg'))
  } catch (error) {
    throw new DatabaseError(`trace mode needs node-postgres, an optional peer dependency (${redact((error as Error).message.split('\n')[0])}): expected it installed beside the CLI (npm install --save-dev pg)`)
  }
  let client
  try {
    client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000, application_name: 'fastify-zero-downtime trace' })
    await client.connect()
  } catch (error) {
    await client?.end().catch(() => {})
    throw new DatabaseError(`cannot connect to ${redact(url)}: ${redact((error as Error).message)}: expected the URL of a reachable PostgreSQL database (postgres://user@host:port/database)`)
  }
  // A server that drops the connection mid-trace ends it; the error is reported by the query.
  client.on('error', () => {})
  return {
    query: async (sql) => (await client.query(sql)).rows,
    close: async () => { await client.end().catch(() => {}) }
  }
}

/**
 * Refuses a database that looks like production: a standby, a name that does not read as a
 * scratch database's, or other client sessions connected to it. `allowAny` skips the last two.
 */
export async function assertScratch (db: TraceDatabase, allowAny: boolean): Promise<string> {
  const [row] = await catalogQuery(db, `SELECT current_database() AS name, pg_is_in_recovery() AS standby,
    (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend')::int AS others`)
  const name = String(row.name)
  if (row.standby === true) throw new NotScratchError(`database ${redact(name)} is a standby: trace mode needs a writable scratch database`)
  if (allowAny) return name
  if (!looksScratch(name)) throw new NotScratchError(`database ${redact(name)} does not look like a scratch database: expected a name with one of ${SCRATCH_WORDS.join(', ')} in it, or --allow-any-database`)
  if (Number(row.others) > 0) throw new NotScratchError(`database ${redact(name)} has ${String(row.others)} other client session(s) connected: a scratch database has none; close them, or --allow-any-database`)
  return name
}

/** A query of the catalog; a failure (a role without access to it) is bad input, not a bug. */
export async function catalogQuery (db: TraceDatabase, sql: string): Promise<Array<Record<string, unknown>>> {
  try {
    return await db.query(sql)
  } catch (error) {
    throw new DatabaseError(`cannot read the catalog (${redact((error as Error).message)}): expected a role that can read pg_class, pg_locks and pg_stat_activity`)
  }
}
