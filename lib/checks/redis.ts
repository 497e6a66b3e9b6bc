import type { RedisClient } from './clients'
import { abortable, hasMethods, invalidClient, oneAtATime, timed, withClose, type BuiltInCheck } from './common'

interface IoRedis { status: string, ping: () => Promise<string>, quit: () => Promise<unknown> }
interface NodeRedis { isReady: boolean, ping: () => Promise<string>, close: () => Promise<unknown> }

const EXPECTED = 'an ioredis client, or a node-redis (v5 or later) client'

/**
 * `PING`. A client that is not connected fails at once: its commands would only queue up while it
 * reconnects. A server still loading its data set (`LOADING`) answers, so the check says `warn`.
 */
export function redis (client: RedisClient): BuiltInCheck {
  let ready: () => string | undefined
  let close: () => Promise<unknown>
  if (hasMethods(client, 'ping', 'quit') && typeof (client as { status?: unknown }).status === 'string') {
    const io = client as unknown as IoRedis
    ready = () => io.status === 'ready' ? undefined : `not connected (status ${io.status})`
    close = async () => await io.quit()
  } else if (hasMethods(client, 'ping', 'close') && typeof (client as { isReady?: unknown }).isReady === 'boolean') {
    const node = client as unknown as NodeRedis
    ready = () => node.isReady ? undefined : 'not connected'
    close = async () => await node.close()
  } else {
    return invalidClient('redis', EXPECTED, client)
  }
  // A PING sent stays in the client's command queue until the server answers or the connection drops.
  const ping = oneAtATime((client as { ping: () => Promise<string> }).ping.bind(client), { share: true })
  return withClose(async ({ signal }) => {
    const notReady = ready()
    if (notReady !== undefined) return { status: 'fail', output: notReady }
    try {
      return await timed(async () => await abortable(ping(signal), signal))
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('LOADING')) return { status: 'warn', output: 'server is loading its data set' }
      throw error
    }
  }, close)
}
