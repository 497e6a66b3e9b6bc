import type { Socket } from 'node:net'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { InvalidArgumentError, describe } from './errors'
import { duration } from './options'
import type { Worker, WorkerContext, WorkerOutcome } from './workers'
import { aborted } from './deadline'
import { assertOptions } from './names'

export interface ServerSentEvent {
  /** The event's id: what EventSource sends back as `Last-Event-ID` when it reconnects. */
  id?: string
  /** The event type (`addEventListener(type)`); default `message`. */
  event?: string
  /** The payload; several lines become several `data:` fields. */
  data: string
}

export interface EventStreamOptions {
  /** Milliseconds EventSource waits before reconnecting when the shutdown ends the stream. Default: 500. */
  retry?: number
  /**
   * Sends what the client missed (from `stream.lastEventId`) before the stream goes live. A stream
   * opened while the instance is closing is ended right after it, so the client resumes elsewhere.
   */
  replay?: (stream: EventStream) => unknown
}

/** One Server-Sent Events response, marked as long-lived work. */
export interface EventStream {
  /** The `Last-Event-ID` the client sent (reconnecting), if any. */
  readonly lastEventId: string | undefined
  /** Writes one event; false once the stream has ended. */
  send: (event: ServerSentEvent) => boolean
  /** Ends the stream (EventSource then reconnects after its retry time). */
  end: () => void
  readonly ended: boolean
  /** Aborts when the stream ends: the client left, `end()` was called or the shutdown ended it. */
  readonly signal: AbortSignal
}

/** Defaults of `app.health.eventStream()` (docs/long-lived.md lists them; a test compares). */
export const EVENT_STREAM_DEFAULTS = Object.freeze({ retry: 500 })

const LINE_BREAK = /\r\n|\r|\n/
const NO_BREAK = /^[^\r\n\0]*$/

function field (where: string, name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || !NO_BREAK.test(value)) throw new InvalidArgumentError(`${where} "${name}"`, describe(value), 'a string without line breaks or NUL')
  return value
}

function encode (event: ServerSentEvent): string {
  if (typeof event !== 'object' || event === null || typeof event.data !== 'string') {
    throw new InvalidArgumentError('stream.send', describe(event), 'an event { id?, event?, data: string }')
  }
  const id = field('stream.send', 'id', event.id)
  const type = field('stream.send', 'event', event.event)
  let text = ''
  if (id !== undefined) text += `id: ${id}\n`
  if (type !== undefined) text += `event: ${type}\n`
  for (const line of event.data.split(LINE_BREAK)) text += `data: ${line}\n`
  return `${text}\n`
}

interface OpenStream { stream: EventStream, endWithRetry: () => Promise<void>, destroy: () => void }

/**
 * The instance's Server-Sent Events streams. Each is a response that never finishes by itself: the
 * drain leaves it alone, and once the balancer has stopped routing here each stream gets a
 * `retry:` hint and ends, so EventSource reconnects elsewhere and resumes from its last id.
 */
export class EventStreams {
  readonly #open = new Set<OpenStream>()
  readonly #adopt: (socket: Socket) => void
  readonly #closing: () => boolean

  /** `closing`: whether the instance has begun closing (a stream opened then ends after its replay). */
  constructor (adopt: (socket: Socket) => void, closing: () => boolean) {
    this.#adopt = adopt
    this.#closing = closing
  }

  /** How many streams are open now. */
  get count (): number {
    return this.#open.size
  }

  get worker (): Worker {
    return { stop: async (context) => await this.#stop(context) }
  }

  async open (request: FastifyRequest, reply: FastifyReply, options: EventStreamOptions = {}): Promise<EventStream> {
    assertOptions('health.eventStream', options, ['retry', 'replay'])
    const retry = duration('health.eventStream retry', options.retry, EVENT_STREAM_DEFAULTS.retry)
    if (options.replay !== undefined && typeof options.replay !== 'function') throw new InvalidArgumentError('health.eventStream option "replay"', describe(options.replay), 'a function (stream) => void | Promise<void>')
    const header = request.headers['last-event-id']
    // Node's parser has already refused line breaks and NUL in a header.
    const lastEventId = typeof header === 'string' ? header : undefined
    const res = reply.hijack().raw
    const socket = request.raw.socket
    this.#adopt(socket)
    const controller = new AbortController()
    let ended = false
    const finish = (): void => {
      if (ended) return
      ended = true
      controller.abort()
      this.#open.delete(entry)
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      // The connection ends with the stream: it is never an idle keep-alive socket to look after.
      connection: 'close'
    })
    res.flushHeaders()
    const closed = new Promise<void>((resolve) => socket.once('close', resolve))
    res.once('close', finish)
    const stream: EventStream = {
      lastEventId,
      send: (event) => {
        const text = encode(event)
        if (ended) return false
        res.write(text)
        return true
      },
      end: () => { if (!ended) { finish(); res.end() } },
      get ended () { return ended },
      signal: controller.signal
    }
    const entry: OpenStream = {
      stream,
      endWithRetry: async () => {
        if (!ended) { finish(); res.end(`retry: ${retry}\n\n`) }
        await closed
      },
      destroy: () => { socket.destroy() }
    }
    this.#open.add(entry)
    await options.replay?.(stream)
    // Opened while closing: the client got what it missed; it resumes on an instance in rotation.
    if (this.#closing()) await entry.endWithRetry()
    return stream
  }

  async #stop ({ signal }: WorkerContext): Promise<WorkerOutcome> {
    const open = [...this.#open]
    const pending = new Set(open)
    const all = Promise.all(open.map(async (entry) => { await entry.endWithRetry(); pending.delete(entry) }))
    await Promise.race([all, aborted(signal)])
    for (const entry of pending) entry.destroy()
    return { cut: pending.size }
  }
}
