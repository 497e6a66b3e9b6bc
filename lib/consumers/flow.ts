import type { FastifyBaseLogger } from 'fastify'
import { setTimeout as sleep } from 'node:timers/promises'
import { aborted } from '../deadline'
import { InvalidArgumentError, describe } from '../errors'
import { describeError } from '../redact'

/**
 * Defaults of the built-in consumers' options, by consumer (docs/long-lived.md lists them; a test
 * compares).
 */
export const CONSUMER_DEFAULTS = Object.freeze({
  all: { concurrency: 1 },
  amqp: { prefetch: 10, requeueOnError: true },
  jetstream: { expires: 1000 },
  redisStream: { block: 5000, claimIdle: 30000 }
})

/** What a consumer's handler gets beside the message. */
export interface HandlerContext {
  /** Aborts when the worker's stop timeout expires: the message is then given back to the broker. */
  signal: AbortSignal
}

export type MessageHandler<M> = (message: M, context: HandlerContext) => unknown

/** The options every consumer takes. */
export const FLOW_OPTIONS = ['handler', 'concurrency']

export interface ConsumerOptions<M> {
  /** Called for each message; resolving acknowledges it, throwing gives it back (see each consumer). */
  handler: MessageHandler<M>
  /** Messages handled at once. Default: 1. */
  concurrency?: number
}

/**
 * Runs a consumer's messages through its handler, at most `concurrency` at once, and knows which
 * are running, so that a stop can wait for them and give back those it has to abandon.
 */
export class Flow<M> {
  readonly #running = new Map<M, Promise<void>>()
  readonly #abandoned = new Set<M>()
  readonly #controller = new AbortController()
  readonly #concurrency: number
  readonly #handler: MessageHandler<M>
  #roomWaiters: Array<() => void> = []
  readonly #stopping = new AbortController()
  /** Called whenever a message has finished and made room. */
  onRoom: () => void = () => {}

  constructor (where: string, options: ConsumerOptions<M>) {
    if (typeof options?.handler !== 'function') throw new InvalidArgumentError(`${where} option "handler"`, describe(options?.handler), 'a function (message, { signal }) => void | Promise<void>')
    const concurrency = options.concurrency ?? CONSUMER_DEFAULTS.all.concurrency
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 10000) throw new InvalidArgumentError(`${where} option "concurrency"`, describe(concurrency), 'an integer from 1 to 10000')
    this.#concurrency = concurrency
    this.#handler = options.handler
  }

  /** How many more messages may run now. */
  get room (): number {
    return this.#concurrency - this.#running.size
  }

  /** Resolves once a message may run, or the flow is stopped. */
  async whenRoom (): Promise<void> {
    if (this.room > 0 || this.stopped.aborted) return
    await new Promise<void>((resolve) => this.#roomWaiters.push(resolve))
  }

  /** Aborted once no more messages are taken. */
  get stopped (): AbortSignal {
    return this.#stopping.signal
  }

  /** No more messages will be taken: a loop waiting for room is let go at once. */
  stop (): void {
    this.#stopping.abort()
    for (const wake of this.#roomWaiters.splice(0)) wake()
  }

  /**
   * Until stopped: waits for room, then pulls. A pull that fails (a connection reconnecting, a
   * consumer deleted) is logged and tried again 1 s later, or not at all once stopped.
   */
  async pullUntilStopped (log: FastifyBaseLogger, what: string, pull: () => Promise<void>): Promise<void> {
    while (!this.stopped.aborted) {
      await this.whenRoom()
      if (this.stopped.aborted) break
      try {
        await pull()
      } catch (error) {
        log.error({ reason: describeError(error) }, `consumer: ${what} failed; retrying in 1 s`)
        await Promise.race([sleep(1000, undefined, { ref: false }), aborted(this.stopped)])
      }
    }
  }

  /**
   * Runs `message`; `settle(outcome)` then acknowledges it or gives it back, unless the stop
   * abandoned it meanwhile (it was given back then).
   */
  run (message: M, settle: (error: unknown) => Promise<void> | void): void {
    const running = (async () => {
      let failure: unknown
      try {
        await this.#handler(message, { signal: this.#controller.signal })
      } catch (error) {
        failure = error ?? new Error('handler failed')
      }
      if (!this.#abandoned.has(message)) await settle(failure)
    })()
    this.#running.set(message, running.finally(() => {
      this.#running.delete(message)
      for (const wake of this.#roomWaiters.splice(0)) wake()
      this.onRoom()
    }))
  }

  /** Waits for the running messages; at `signal`'s abort, returns those still running (now abandoned). */
  async settle (signal: AbortSignal): Promise<M[]> {
    const all = Promise.allSettled(this.#running.values())
    await Promise.race([all, aborted(signal)])
    const left = [...this.#running.keys()]
    for (const message of left) this.#abandoned.add(message)
    if (left.length > 0) this.#controller.abort(signal.reason)
    return left
  }
}

/** Runs `fn`, logging instead of throwing: the broker may be gone, and the stop must go on. */
export async function attempt (log: FastifyBaseLogger, what: string, fn: () => unknown): Promise<boolean> {
  try {
    await fn()
    return true
  } catch (error) {
    log.warn({ reason: describeError(error) }, `consumer: ${what} failed`)
    return false
  }
}
