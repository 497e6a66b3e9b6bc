import type { AmqpConnection as AmqpConnectionShape } from './clients'
import { abortable, hasMethods, invalidClient, oneAtATime, timed, withClose, type BuiltInCheck } from './common'

interface Channel { close: () => Promise<void> }
interface AmqpConnection { createChannel: () => Promise<Channel>, close: () => Promise<void> }

/**
 * Opens and closes a channel: a round trip to the broker on the existing connection, which costs
 * it nothing lasting. A channel that opens after the check timed out is closed at once.
 */
export function amqp (connection: AmqpConnectionShape): BuiltInCheck {
  if (!hasMethods(connection, 'createChannel', 'close')) return invalidClient('amqp', 'an amqplib connection (from amqplib.connect())', connection)
  const amqpConnection = connection as unknown as AmqpConnection
  const closeQuietly = (channel: Channel): void => { channel.close().catch(() => {}) }
  // A channel being opened holds a channel number until the broker answers: one at a time.
  const createChannel = oneAtATime(async () => await amqpConnection.createChannel())
  return withClose(async ({ signal }) => await timed(async () => {
    const channel = await abortable(createChannel(signal), signal, closeQuietly)
    await abortable(channel.close(), signal)
  }), async () => { await amqpConnection.close() })
}
