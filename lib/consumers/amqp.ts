import { invalidClient, hasMethods } from '../checks/common'
import { InvalidArgumentError, describe } from '../errors'
import { describeError } from '../redact'
import type { Worker, WorkerOutcome } from '../workers'
import { CONSUMER_DEFAULTS, FLOW_OPTIONS, Flow, attempt, type ConsumerOptions } from './flow'
import { assertOptions } from '../names'

/** A message as amqplib delivers it (`ConsumeMessage`). */
export interface AmqpMessage { content: Buffer, fields: { deliveryTag: number, redelivered: boolean }, properties: unknown }

/** An amqplib channel (from `connection.createChannel()`), with the queue asserted as the app needs. */
export interface AmqpChannel {
  // Methods, not function properties: TypeScript then accepts amqplib's own, richer, message type.
  consume (queue: string, onMessage: (message: AmqpMessage | null) => void, options?: { noAck?: boolean }): Promise<{ consumerTag: string }>
  cancel (consumerTag: string): Promise<unknown>
  ack (message: AmqpMessage): void
  nack (message: AmqpMessage, allUpTo?: boolean, requeue?: boolean): void
  prefetch (count: number): Promise<unknown>
  checkQueue (queue: string): Promise<unknown>
  once (event: 'close', listener: () => void): unknown
}

export interface AmqpConsumerOptions extends ConsumerOptions<AmqpMessage> {
  queue: string
  /** Unacknowledged messages the broker may push to this consumer (`basic.qos`). Default: 10. */
  prefetch?: number
  /** Whether a message whose handler threw goes back to its queue; false drops it (or dead-letters it). Default: true. */
  requeueOnError?: boolean
}

/**
 * A RabbitMQ consumer with manual acknowledgements, run as a worker. Its stop cancels the consumer
 * (the broker sends nothing more), gives back at once the prefetched messages not yet started, lets
 * the running handlers finish and acknowledges them; at the timeout, those still running are given
 * back too and counted as cut. Close the channel's connection as a resource: it closes after.
 */
export function amqp (channel: AmqpChannel, options: AmqpConsumerOptions): Worker {
  if (!hasMethods(channel, 'consume', 'cancel', 'ack', 'nack', 'prefetch', 'checkQueue', 'once')) invalidClient('amqp', 'an amqplib channel (connection.createChannel())', channel, 'consumers')
  assertOptions('consumers.amqp', options, [...FLOW_OPTIONS, 'queue', 'prefetch', 'requeueOnError'])
  if (typeof options?.queue !== 'string' || options.queue === '') throw new InvalidArgumentError('consumers.amqp option "queue"', describe(options?.queue), 'the name of the queue to consume')
  const prefetch = options.prefetch ?? CONSUMER_DEFAULTS.amqp.prefetch
  if (!Number.isInteger(prefetch) || prefetch < 1 || prefetch > 65535) throw new InvalidArgumentError('consumers.amqp option "prefetch"', describe(prefetch), 'an integer from 1 to 65535')
  const requeueOnError = options.requeueOnError ?? CONSUMER_DEFAULTS.amqp.requeueOnError
  const flow = new Flow<AmqpMessage>('consumers.amqp', options)
  // Delivered (prefetched) but not started: given back as soon as the stop begins.
  const waiting: AmqpMessage[] = []
  let consumerTag: string | undefined
  let failedAcks = 0
  // Acks sent since the stop began: AMQP does not confirm them, a round trip on the channel does.
  let unconfirmedAcks = 0
  // amqplib drops what is sent on a closed channel without a word: an ack then never reaches the broker.
  let closed = false

  const next = (log: Parameters<typeof attempt>[0]): void => {
    if (flow.stopped.aborted) return
    while (flow.room > 0 && waiting.length > 0) {
      const message = waiting.shift() as AmqpMessage
      flow.run(message, async (failure) => {
        if (failure === undefined) {
          if (closed || !await attempt(log, 'ack (the broker will redeliver the message)', () => channel.ack(message))) failedAcks++
          else if (flow.stopped.aborted) unconfirmedAcks++
        } else {
          log.error({ reason: describeError(failure) }, `consumer: handler failed; ${requeueOnError ? 'requeued' : 'rejected'}`)
          await attempt(log, 'nack', () => channel.nack(message, false, requeueOnError))
        }
      })
    }
  }

  return {
    start: async ({ log, signal }) => {
      // A shutdown that begins while this start is still under way: nothing is taken from then on.
      signal.addEventListener('abort', () => flow.stop(), { once: true })
      channel.once('close', () => { closed = true })
      flow.onRoom = () => next(log)
      await channel.prefetch(prefetch)
      const consumer = await channel.consume(options.queue, (message) => {
        if (message === null) return log.warn(`consumer: the broker cancelled the consumer of queue "${options.queue}" (deleted?): no more messages come`)
        if (flow.stopped.aborted) {
          // attempt() never rejects.
          attempt(log, 'nack', () => channel.nack(message, false, true))
          return
        }
        waiting.push(message)
        next(log)
      }, { noAck: false })
      consumerTag = consumer.consumerTag
    },
    stop: async ({ signal, log }): Promise<WorkerOutcome> => {
      flow.stop()
      for (const message of waiting.splice(0)) await attempt(log, 'nack', () => channel.nack(message, false, true))
      if (consumerTag !== undefined) await attempt(log, 'cancel', async () => await channel.cancel(consumerTag as string))
      const abandoned = await flow.settle(signal)
      for (const message of abandoned) await attempt(log, 'nack', () => channel.nack(message, false, true))
      // The broker handles a channel's frames in order: its answer means it got every ack before.
      if (unconfirmedAcks > 0 && !await attempt(log, 'confirming the acks (checkQueue)', async () => await channel.checkQueue(options.queue))) failedAcks += unconfirmedAcks
      return { cut: abandoned.length + failedAcks }
    }
  }
}
