import type { NatsConnection as NatsConnectionShape } from './clients'
import { abortable, hasMethods, invalidClient, oneAtATime, withClose, type BuiltInCheck } from './common'

interface NatsConnection { rtt: () => Promise<number>, isClosed: () => boolean, drain: () => Promise<void> }

/** A PING/PONG round trip on the existing connection (`nc.rtt()`); a closed connection fails at once. */
export function nats (connection: NatsConnectionShape): BuiltInCheck {
  if (!hasMethods(connection, 'rtt', 'isClosed', 'drain')) return invalidClient('nats', 'a NATS connection (from nats connect())', connection)
  const nc = connection as unknown as NatsConnection
  // A PING waits for its PONG until the connection drops: later runs wait for that same one.
  const rttOnce = oneAtATime(async () => await nc.rtt(), { share: true })
  return withClose(async ({ signal }) => {
    if (nc.isClosed()) return { status: 'fail', output: 'connection closed' }
    const rtt = await abortable(rttOnce(signal), signal)
    return { status: 'pass', observedValue: rtt, observedUnit: 'ms' }
  }, async () => { await nc.drain() })
}
