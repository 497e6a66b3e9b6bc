import { redact } from 'fastify-zero-downtime/messages'
import { DatabaseError } from './errors'

// A PostgreSQL session for the modes that ask the database (--trace, --database-url), through
// node-postgres: an optional peer dependency, loaded on first use (linting alone does not need it).

/** SQL: the relation `c` of namespace `n` is the user's (not a system, TOAST or temporary schema's). */
export const USER_RELATION = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'"
/** SQL: the relation's name as the linter writes it (`schema.table`, `public.` dropped). */
export const RELATION_NAME = "CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END"

/** What the CLI needs of a session: one statement at a time, its rows. */
export interface DatabaseSession {
  query: (sql: string) => Promise<Array<Record<string, unknown>>>
  close: () => Promise<void>
}

/** A session on `url`; `purpose` names the mode in errors ("trace mode", "--database-url"). */
export async function connect (url: string, purpose: string): Promise<DatabaseSession> {
  let Client: typeof import('pg').Client
  try {
    ({ Client } = require('pg') as typeof import('pg'))
  } catch (error) {
    throw new DatabaseError(`${purpose} needs node-postgres, an optional peer dependency (${redact((error as Error).message.split('\n')[0])}): expected it installed beside the CLI (npm install --save-dev pg)`)
  }
  let client
  try {
    client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000, application_name: `fastify-zero-downtime ${purpose}` })
    await client.connect()
  } catch (error) {
    await client?.end().catch(() => {})
    throw new DatabaseError(`cannot connect to ${redact(url)}: ${redact((error as Error).message)}: expected the URL of a reachable PostgreSQL database (postgres://user@host:port/database)`)
  }
  // A server that drops the connection mid-way ends it; the error is reported by the query.
  client.on('error', () => {})
  return {
    query: async (sql) => (await client.query(sql)).rows,
    close: async () => { await client.end().catch(() => {}) }
  }
}

/** A query of the catalog; a failure (a role without access to it) is bad input, not a bug. */
export async function catalogQuery (db: DatabaseSession, sql: string, needs = 'pg_class, pg_locks and pg_stat_activity'): Promise<Array<Record<string, unknown>>> {
  try {
    return await db.query(sql)
  } catch (error) {
    throw new DatabaseError(`cannot read the catalog (${redact((error as Error).message)}): expected a role that can read ${needs}`)
  }
}
