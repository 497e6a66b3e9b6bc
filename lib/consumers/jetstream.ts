import { hasMethods, invalidClient } from '../checks/common'
import { InvalidArgumentError, describe } from '../errors'
import { describeError } from '../redact'
import type { Worker, WorkerOutcome } from '../workers'
import { CONSUMER_DEFAULTS, FLOW_OPTIONS, Flow, attempt, type ConsumerOptions } from './flow'
import { aborted } from '../deadline'
import { assertOptions } from '../names'

/** A JetStream message as the nats package delivers it (`JsMsg`). */
export interface JetStreamMessage {
  subject: string
  data: Uint8Array
  seq: number
  nak: (millis?: number) => void
  ackAck: (options?: { timeout?: number }) => Promise<boolean>
}

interface PulledBatch extends AsyncIterable<JetStreamMessage> { stop: () => void }

/** A JetStream client (`nc.jetstream()` of the nats package). */
export interface JetStreamClient {
  consumers: { get: (stream: string, consumer: string) => Promise<{ fetch: (options: { max_messages: number, expires: number }) => Promise<PulledBatch> }> }
}

export interface JetStreamConsumerOptions extends ConsumerOptions<JetStreamMessage> {
  /** The stream's name. */
  stream: string
  /** The durable pull consumer's name (explicit acknowledgements). */
  consumer: string
  /** Milliseconds a pull waits for messages (nats requires 1000 or more); a stop waits for the pull under way. Default: 1000. */
  expires?: number
}

/**
 * A JetStream pull consumer, run as a worker. It pulls only as many messages as it can start at
 * once, so none wait in the client. Its stop lets the pull under way end (up to `expires`), gives
 * back at once (`nak()`) any message it brings, lets the running handlers finish, and acknowledges
 * each with the server's confirmation (`ackAck`); at the timeout those still running are given
 * back and counted as cut. Drain the connection as a resource: it closes after.
 */
export function jetstream (js: JetStreamClient, options: JetStreamConsumerOptions): Worker {
  if (!hasMethods((js as { consumers?: unknown })?.consumers, 'get')) invalidClient('jetstream', 'a JetStream client (nc.jetstream())', js, 'consumers')
  assertOptions('consumers.jetstream', options, [...FLOW_OPTIONS, 'stream', 'consumer', 'expires'])
  for (const name of ['stream', 'consumer'] as const) {
    if (typeof options?.[name] !== 'string' || options[name] === '') throw new InvalidArgumentError(`consumers.jetstream option "${name}"`, describe(options?.[name]), `the ${name}'s name`)
  }
  const expires = options.expires ?? CONSUMER_DEFAULTS.jetstream.expires
  if (!Number.isInteger(expires) || expires < 1000 || expires > 60000) throw new InvalidArgumentError('consumers.jetstream option "expires"', describe(expires), 'milliseconds from 1000 to 60000')
  const flow = new Flow<JetStreamMessage>('consumers.jetstream', options)
  let failedAcks = 0
  let loop: Promise<void> = Promise.resolve()

  return {
    start: async ({ log, signal }) => {
      // A shutdown that begins while this start is still under way.
      signal.addEventListener('abort', () => flow.stop(), { once: true })
      const consumer = await js.consumers.get(options.stream, options.consumer)
      loop = flow.pullUntilStopped(log, 'pull', async () => {
        const batch = await consumer.fetch({ max_messages: flow.room, expires })
        for await (const message of batch) {
          if (flow.stopped.aborted) { await attempt(log, 'nak', () => message.nak()); continue }
          flow.run(message, async (failure) => {
            if (failure !== undefined) {
              log.error({ reason: describeError(failure) }, 'consumer: handler failed; given back (nak)')
              await attempt(log, 'nak', () => message.nak())
            } else if (!await attempt(log, 'ack (the server will redeliver the message)', async () => await message.ackAck({ timeout: expires }))) {
              failedAcks++
            }
          })
        }
      })
    },
    stop: async ({ signal, log }): Promise<WorkerOutcome> => {
      flow.stop()
      await Promise.race([loop, aborted(signal)])
      const abandoned = await flow.settle(signal)
      for (const message of abandoned) await attempt(log, 'nak', () => message.nak())
      return { cut: abandoned.length + failedAcks }
    }
  }
}
