import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Http2Session, ServerHttp2Stream } from 'node:http2'
import type { Socket } from 'node:net'
import type { FastifyBaseLogger } from 'fastify'
import { redact } from './redact'

const kResponse = Symbol('zero-downtime.response')
const kStarted = Symbol('zero-downtime.started')

type TrackedSocket = Socket & { [kResponse]?: ServerResponse }
type TrackedResponse = ServerResponse & { [kStarted]?: number }

export interface StuckRequest { method: string, url: string, ageMs: number }

/**
 * Knows the server's connections, so that a shutdown can tell keep-alive clients to leave, wait for
 * in-flight requests, and name and cut those still running when the drain timeout expires.
 */
export class ConnectionTracker {
  readonly #server: Server
  readonly #sockets = new Set<TrackedSocket>()
  readonly #sessions = new Set<Http2Session>()
  #draining = false
  #onEmpty: (() => void) | undefined

  constructor (server: Server) {
    this.#server = server
    // First in line, so that even a response written synchronously by a handler carries the header.
    server.prependListener('request', this.#onRequest)
    server.on('connection', this.#onConnection)
    server.on('session', this.#onSession)
    server.on('stream', this.#onStream)
  }

  get connections (): number {
    return this.#sockets.size
  }

  #onRequest = (req: IncomingMessage, res: TrackedResponse): void => {
    res[kStarted] = Date.now()
    if (req.httpVersionMajor < 2) {
      (req.socket as TrackedSocket)[kResponse] = res
      // Node then closes the socket after this response: keep-alive clients reconnect elsewhere.
      if (this.#draining) res.setHeader('connection', 'close')
    }
  }

  #onConnection = (socket: TrackedSocket): void => {
    this.#sockets.add(socket)
    socket.once('close', () => {
      this.#sockets.delete(socket)
      if (this.#sockets.size === 0 && this.#sessions.size === 0) this.#onEmpty?.()
    })
  }

  #onSession = (session: Http2Session): void => {
    this.#sessions.add(session)
    session.once('close', () => this.#sessions.delete(session))
  }

  #onStream = (stream: ServerHttp2Stream): void => {
    // A session opened while draining serves this stream, then is told to go away (GOAWAY).
    if (this.#draining) stream.session?.close()
  }

  /** From now on every HTTP/1 response says `Connection: close`, and HTTP/2 sessions get GOAWAY. */
  startDraining (): void {
    this.#draining = true
    for (const session of this.#sessions) session.close()
  }

  /**
   * Stops accepting connections, closes idle ones, and waits for the others to finish their
   * requests. After `timeout` ms the remaining sockets are destroyed and the requests they were
   * serving are returned.
   */
  async drain (timeout: number): Promise<StuckRequest[]> {
    this.startDraining()
    // Node >= 19 also closes idle keep-alive sockets here; busy ones close after their response.
    this.#server.close(() => {})
    this.#server.closeIdleConnections?.()
    if (this.#sockets.size === 0 && this.#sessions.size === 0) return []
    let timer: NodeJS.Timeout | undefined
    const empty = new Promise<boolean>((resolve) => { this.#onEmpty = () => resolve(true) })
    const expired = new Promise<boolean>((resolve) => { timer = setTimeout(resolve, timeout, false) })
    const drained = await Promise.race([empty, expired])
    clearTimeout(timer)
    this.#onEmpty = undefined
    if (drained) return []
    const now = Date.now()
    const stuck: StuckRequest[] = []
    for (const socket of this.#sockets) {
      const res = socket[kResponse] as TrackedResponse | undefined
      if (res !== undefined && !res.writableFinished) {
        stuck.push({ method: res.req.method ?? '?', url: redact(res.req.url ?? '?'), ageMs: now - (res[kStarted] ?? now) })
      }
      socket.destroy()
    }
    for (const session of this.#sessions) session.destroy()
    return stuck
  }

  detach (): void {
    this.#server.removeListener('request', this.#onRequest)
    this.#server.removeListener('connection', this.#onConnection)
    this.#server.removeListener('session', this.#onSession)
    this.#server.removeListener('stream', this.#onStream)
  }
}

export function logStuck (log: FastifyBaseLogger, stuck: StuckRequest[], timeout: number): void {
  for (const request of stuck) {
    log.error({ req: { method: request.method, url: request.url }, ageMs: request.ageMs }, `request still in flight after drainTimeout (${timeout} ms): ${request.method} ${request.url}; closing its socket`)
  }
}
