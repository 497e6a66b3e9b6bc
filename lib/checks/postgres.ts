import { abortable, hasMethods, invalidClient, timed, withClose, type BuiltInCheck } from './common'

interface PoolClient {
  query: (text: string) => Promise<unknown>
  release: (destroy?: boolean | Error) => void
  on: (event: 'error', listener: (error: Error) => void) => unknown
  off: (event: 'error', listener: (error: Error) => void) => unknown
}
interface PgPool { connect: () => Promise<PoolClient>, query: unknown, end: () => Promise<void>, totalCount: number, idleCount: number, waitingCount: number }
interface PgClient { query: (text: string) => Promise<unknown>, connect: unknown, end: () => Promise<void> }
interface PostgresJs { unsafe: (text: string) => Promise<unknown>, end: (options?: { timeout?: number }) => Promise<void> }

export interface PostgresCheckOptions {
  /** Pool requests waiting for a client above which the check says `warn` (pg Pool only). Default: 10. */
  maxWaiting?: number
}

// The query's own promise reports the failure.
const ignore = (): void => {}

const EXPECTED = 'a pg Pool or Client, or a postgres.js sql instance'

/**
 * `SELECT 1`. With a pg Pool, the client is checked out and, if the check times out, destroyed
 * rather than returned, so a hung server never leaves a busy client behind. With postgres.js, a
 * timed-out query is cancelled. A bare pg Client cannot be interrupted: prefer a Pool.
 */
export function postgres (client: unknown, options: PostgresCheckOptions = {}): BuiltInCheck {
  const maxWaiting = options.maxWaiting ?? 10
  if (hasMethods(client, 'unsafe', 'begin', 'end')) {
    const sql = client as unknown as PostgresJs
    // postgres.js pipelines the query on a connection at once. It is not cancelled at the timeout:
    // postgres.js cancels over a new connection, and during a network fault that connection's
    // failure becomes an unhandled rejection, which would crash the app. The check stays in flight
    // instead (no second one starts) until the query ends, at the latest when keep_alive drops
    // the connection; the timeout is reported at the deadline all the same.
    return withClose(async () => await timed(async () => { await sql.unsafe('SELECT 1') }), async () => { await sql.end({ timeout: 5 }) })
  }
  if (hasMethods(client, 'connect', 'query', 'end') && typeof (client as { waitingCount?: unknown }).waitingCount === 'number') {
    const pool = client as unknown as PgPool
    return withClose(async ({ signal }) => {
      // Measured before this check queues up itself.
      const waiting = pool.waitingCount
      const result = await timed(async () => {
        const pooled = await abortable(pool.connect(), signal, (late) => late.release(true))
        // A checked-out client whose connection drops emits 'error': with no listener, the app crashes.
        pooled.on('error', ignore)
        try {
          await abortable(pooled.query('SELECT 1'), signal)
          pooled.release()
        } catch (error) {
          // Destroyed, not returned: its connection may be the hung one.
          pooled.release(true)
          throw error
        } finally {
          pooled.off('error', ignore)
        }
      })
      if (waiting > maxWaiting) {
        return { ...result, status: 'warn', output: `pool saturated: ${waiting} requests waiting for a client` }
      }
      return result
    }, async () => { await pool.end() })
  }
  if (hasMethods(client, 'connect', 'query', 'end')) {
    const single = client as unknown as PgClient
    return withClose(async ({ signal }) => await timed(async () => { await abortable(single.query('SELECT 1'), signal) }), async () => { await single.end() })
  }
  return invalidClient('postgres', EXPECTED, client)
}
