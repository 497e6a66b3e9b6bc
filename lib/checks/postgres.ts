import type { PostgresClient } from './clients'
import { abortable, hasMethods, invalidClient, oneAtATime, timed, withClose, type BuiltInCheck } from './common'
import { assertOptions } from '../names'

type Rows = Array<Record<string, unknown>>
interface PoolClient {
  query: (text: string, params?: unknown[]) => Promise<{ rows: Rows }>
  release: (destroy?: boolean | Error) => void
  on: (event: 'error', listener: (error: Error) => void) => unknown
  off: (event: 'error', listener: (error: Error) => void) => unknown
}
interface PgPool { connect: () => Promise<PoolClient>, end: () => Promise<void>, waitingCount: number }
interface PgClient { query: (text: string, params?: unknown[]) => Promise<{ rows: Rows }>, end: () => Promise<void> }
interface PostgresJs { unsafe: (text: string, params?: unknown[]) => Promise<Rows>, end: (options?: { timeout?: number }) => Promise<void> }

export interface PostgresCheckOptions {
  /** Pool requests waiting for a client above which the check says `warn` (pg Pool only). Default: 10. */
  maxWaiting?: number
}

/** One way to run a query on whichever PostgreSQL client the app has, honouring the signal. */
export interface PostgresRunner {
  query: (text: string, params: unknown[], signal: AbortSignal) => Promise<Rows>
  close: () => Promise<void>
  /** Requests waiting for a pool client now (pg Pool only). */
  waiting: () => number
}

// The query's own promise reports the failure.
const ignore = (): void => {}

/** Reads the app's client: a pg Pool or Client, or postgres.js `sql`; anything else throws. */
export function postgresRunner (factory: string, client: unknown): PostgresRunner {
  if (hasMethods(client, 'unsafe', 'begin', 'end')) {
    const sql = client as unknown as PostgresJs
    // postgres.js pipelines the query on a connection at once. It is not cancelled at the timeout:
    // postgres.js cancels over a new connection, and during a network fault that connection's
    // failure becomes an unhandled rejection, which would crash the app. The run stays in flight
    // instead (no second one starts) until the query ends, at the latest when keep_alive drops
    // the connection; the timeout is reported at the deadline all the same.
    return { query: async (text, params) => await sql.unsafe(text, params), close: async () => { await sql.end({ timeout: 5 }) }, waiting: () => 0 }
  }
  if (hasMethods(client, 'connect', 'query', 'end') && typeof (client as { waitingCount?: unknown }).waitingCount === 'number') {
    const pool = client as unknown as PgPool
    // pg cannot cancel a connection attempt: one abandoned at the timeout keeps its pool slot until
    // the server answers (or connectionTimeoutMillis).
    const connect = oneAtATime(async () => await pool.connect())
    return {
      query: async (text, params, signal) => {
        const pooled = await abortable(connect(signal), signal, (late) => late.release(true))
        // A checked-out client whose connection drops emits 'error': with no listener, the app crashes.
        pooled.on('error', ignore)
        const outcome = await abortable(pooled.query(text, params), signal).then(({ rows }) => ({ rows }), (error: unknown) => ({ error }))
        pooled.off('error', ignore)
        // On failure destroyed, not returned: its connection may be the hung one.
        pooled.release('error' in outcome)
        if ('error' in outcome) throw outcome.error
        return outcome.rows
      },
      close: async () => { await pool.end() },
      waiting: () => pool.waitingCount
    }
  }
  if (hasMethods(client, 'connect', 'query', 'end')) {
    const single = client as unknown as PgClient
    return { query: async (text, params, signal) => (await abortable(single.query(text, params), signal)).rows, close: async () => { await single.end() }, waiting: () => 0 }
  }
  return invalidClient(factory, 'a pg Pool or Client, or a postgres.js sql instance', client)
}

/**
 * `SELECT 1`. With a pg Pool, the client is checked out and, if the check times out, destroyed
 * rather than returned, so a hung server never leaves a busy client behind. A bare pg Client
 * cannot be interrupted: prefer a Pool.
 */
export function postgres (client: PostgresClient, options: PostgresCheckOptions = {}): BuiltInCheck {
  assertOptions('checks.postgres()', options, ['maxWaiting'])
  const maxWaiting = options.maxWaiting ?? 10
  const runner = postgresRunner('postgres', client)
  return withClose(async ({ signal }) => {
    // Measured before this check queues up itself.
    const waiting = runner.waiting()
    const result = await timed(async () => await runner.query('SELECT 1', [], signal))
    return waiting > maxWaiting ? { ...result, status: 'warn', output: `pool saturated: ${waiting} requests waiting for a client` } : result
  }, runner.close)
}
