import type { MysqlClient } from './clients'
import { abortable, hasMethods, invalidClient, oneAtATime, timed, withClose, type BuiltInCheck } from './common'

type Callback<T> = (error: Error | null, value: T) => void
interface Connection { ping: (cb: Callback<unknown>) => void, destroy: () => void, release?: () => void, end: (cb?: Callback<unknown>) => void }
interface Pool { getConnection: (cb: Callback<Connection>) => void, end: (cb?: Callback<unknown>) => void }

const EXPECTED = 'a mysql2 pool or connection (callback or promise API)'

const promised = async <T>(call: (cb: Callback<T>) => void): Promise<T> => await new Promise<T>((resolve, reject) => {
  call((error, value) => { if (error !== null && error !== undefined) reject(error); else resolve(value) })
})

/**
 * `PING` (COM_PING, no SQL parsed). From a pool, the connection is checked out and, if the check
 * times out, destroyed rather than returned. A single connection cannot be interrupted.
 */
export function mysql (client: MysqlClient): BuiltInCheck {
  // mysql2/promise wraps the callback objects: use what it wraps.
  const inner = (client as { pool?: unknown, connection?: unknown } | null)?.pool ?? (client as { connection?: unknown } | null)?.connection ?? client
  if (hasMethods(inner, 'getConnection', 'end')) {
    const pool = inner as unknown as Pool
    // A pending getConnection() holds its pool slot (or its place in the queue) until connectTimeout.
    const getConnection = oneAtATime(async () => await promised<Connection>((cb) => pool.getConnection(cb)))
    return withClose(async ({ signal }) => await timed(async () => {
      const connection = await abortable(getConnection(signal), signal, (late) => late.destroy())
      try {
        await abortable(promised((cb) => connection.ping(cb)), signal)
        connection.release?.()
      } catch (error) {
        connection.destroy()
        throw error
      }
    }), async () => { await promised((cb) => pool.end(cb)) })
  }
  if (hasMethods(inner, 'ping', 'destroy', 'end')) {
    const connection = inner as unknown as Connection
    return withClose(async ({ signal }) => await timed(async () => {
      await abortable(promised((cb) => connection.ping(cb)), signal)
    }), async () => { await promised((cb) => connection.end(cb)) })
  }
  return invalidClient('mysql', EXPECTED, client)
}
