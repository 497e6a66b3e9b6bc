import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import { InvalidArgumentError, describe } from './errors'
import type { Worker, WorkerContext, WorkerOutcome } from './workers'
import { aborted } from './deadline'

/** The parts of a `ws` WebSocket this uses (ws 8: what @fastify/websocket hands a route). */
export interface WebSocketLike {
  readyState: number
  close: (code?: number, reason?: string) => void
  terminate: () => void
  pause?: () => void
  resume?: () => void
  once: (event: 'close', listener: () => void) => unknown
}

/** A `ws` WebSocketServer: @fastify/websocket's `app.websocketServer`, or your own. */
export interface WebSocketServerLike {
  on: (event: 'connection', listener: (socket: never, request: IncomingMessage) => void) => unknown
}

export interface WebSocketOptions {
  /** The worker's name in logs and the shutdown report. Default: `"websockets"`. */
  name?: string
  /** Milliseconds for the closing handshakes; sockets still open then are terminated. Default: `drainTimeout`. */
  timeout?: number
  /** The close code sent. Default: 1001 (going away). */
  code?: number
}

/** What `app.health.websockets()` returns. */
export interface WebSocketDrain {
  /**
   * Marks a message's handling as in flight on `socket`: the shutdown waits for it before sending
   * the close frame, so its answer goes out first. Returns `work`.
   */
  track: <T>(socket: WebSocketLike, work: Promise<T>) => Promise<T>
}

const OPEN = 1

/** Defaults of `app.health.websockets()` (docs/long-lived.md lists them; a test compares). */
export const WEBSOCKET_DEFAULTS = Object.freeze({ name: 'websockets', code: 1001 })
// RFC 6455 close codes a server may send: 1000-1003, 1007-1014, 3000-4999.
const validCode = (code: number): boolean => Number.isInteger(code) && ((code >= 1000 && code <= 1014 && ![1004, 1005, 1006].includes(code)) || (code >= 3000 && code <= 4999))

/**
 * The open WebSockets of one ws server, as long-lived work. Upgraded sockets are not requests: the
 * drain leaves them alone, and once the balancer has stopped routing here each one finishes its
 * in-flight messages, gets a close frame and completes the closing handshake; only those that do
 * not by the timeout are terminated (and counted as cut).
 */
export function webSocketWorker (server: unknown, options: WebSocketOptions, adopt: (socket: Socket) => void): { worker: Worker, drain: WebSocketDrain } {
  if (typeof (server as { on?: unknown })?.on !== 'function' || typeof (server as { handleUpgrade?: unknown }).handleUpgrade !== 'function') {
    throw new InvalidArgumentError('health.websockets', describe(server), 'a ws WebSocketServer (with @fastify/websocket: app.websocketServer, once await app.register(websocket) has resolved)')
  }
  const code = options.code ?? WEBSOCKET_DEFAULTS.code
  if (!validCode(code)) throw new InvalidArgumentError('health.websockets option "code"', describe(code), 'a close code a server may send: 1000-1003, 1007-1014 or 3000-4999 (default 1001, going away)')
  const open = new Set<WebSocketLike>()
  // Weak: a message tracked after its socket closed leaves nothing behind.
  const inFlight = new WeakMap<WebSocketLike, Set<Promise<unknown>>>()
  let stopping = false

  ;(server as WebSocketServerLike).on('connection', (socket: WebSocketLike, request: IncomingMessage) => {
    adopt(request.socket)
    open.add(socket)
    socket.once('close', () => { open.delete(socket) })
    // Upgraded after the stop began (a request already on its way): told to go at once.
    if (stopping) socket.close(code)
  })

  const drain: WebSocketDrain = {
    track: (socket, work) => {
      const pending = inFlight.get(socket) ?? new Set()
      inFlight.set(socket, pending)
      pending.add(work)
      const done = (): void => { pending.delete(work) }
      work.then(done, done)
      return work
    }
  }

  const closeOne = async (socket: WebSocketLike): Promise<void> => {
    const closed = new Promise<void>((resolve) => socket.once('close', resolve))
    // No new message is read while the ones in flight are answered.
    socket.pause?.()
    await Promise.allSettled(inFlight.get(socket) ?? [])
    // The client's close frame must be read to complete the handshake.
    socket.resume?.()
    if (socket.readyState === OPEN) socket.close(code)
    await closed
  }

  const stop = async ({ signal }: WorkerContext): Promise<WorkerOutcome> => {
    stopping = true
    const all = Promise.all([...open].map(closeOne))
    await Promise.race([all, aborted(signal)])
    const cut = open.size
    for (const socket of open) socket.terminate()
    return { cut }
  }

  return { worker: { stop }, drain }
}
