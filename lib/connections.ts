import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Http2Session, ServerHttp2Stream } from 'node:http2'
import { Server as NetServer, type Socket } from 'node:net'
import type { FastifyBaseLogger } from 'fastify'
import { redact } from './redact'

const kResponse = Symbol('zero-downtime.response')
const kStarted = Symbol('zero-downtime.started')

type TrackedSocket = Socket & { [kResponse]?: TrackedResponse }
type TrackedResponse = ServerResponse & { [kStarted]: number }

export interface StuckRequest { method: string, url: string, ageMs: number }

/**
 * Knows the server's connections, so that a shutdown can tell keep-alive clients to leave, wait for
 * in-flight requests, and name and cut those still running when the drain timeout expires.
 */
export class ConnectionTracker {
  readonly #server: Server
  readonly #sockets = new Set<TrackedSocket>()
  readonly #sessions = new Set<Http2Session>()
  readonly #streams = new Set<TrackedResponse>()
  #draining = false
  #closing = false
  #onEmpty: (() => void) | undefined

  constructor (server: Server) {
    this.#server = server
    // First in line, so that even a response written synchronously by a handler carries the header.
    server.prependListener('request', this.#onRequest)
    server.on('connection', this.#onConnection)
    server.on('session', this.#onSession)
    server.on('stream', this.#onStream)
  }

  #onRequest = (req: IncomingMessage, res: TrackedResponse): void => {
    res[kStarted] = Date.now()
    if (req.httpVersionMajor >= 2) {
      // Streams share a session: each is tracked on its own, for the drain timeout's report.
      this.#streams.add(res)
      res.once('close', () => this.#streams.delete(res))
      return
    }
    const socket = req.socket as TrackedSocket
    const previous = socket[kResponse]
    socket[kResponse] = res
    if (!this.#draining) return
    // Node closes the socket after a response that says `Connection: close`: keep-alive clients
    // reconnect elsewhere. Only the newest response on a socket may say it, or Node would drop
    // a request pipelined behind an earlier one.
    if (previous !== undefined && !previous.writableFinished && !previous.headersSent) previous.removeHeader('connection')
    res.setHeader('connection', 'close')
    if (this.#closing) res.once('finish', this.#closeIdleSoon)
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

  /**
   * From now on every HTTP/1 response says `Connection: close`, and HTTP/2 sessions get GOAWAY.
   * With `stopAccepting`, the listener closes now too, and open connections stay open: in a
   * cluster worker the primary process is the balancer, and it stops sending connections here
   * the moment the listener closes.
   */
  startDraining ({ stopAccepting = false } = {}): void {
    if (this.#draining) return
    this.#draining = true
    // net's close, not http's: http's would also close the idle keep-alive connections now.
    if (stopAccepting && this.#server.listening) NetServer.prototype.close.call(this.#server)
    for (const res of this.#inFlight()) res.setHeader('connection', 'close')
    for (const session of this.#sessions) session.close()
  }

  /** Responses under way whose headers can still change. */
  * #inFlight (): Generator<TrackedResponse> {
    for (const socket of this.#sockets) {
      const res = socket[kResponse]
      if (res !== undefined && !res.writableFinished && !res.headersSent) yield res
    }
  }

  // Once the server is closed, a connection whose last response has gone out is closed at once
  // (Node closes idle connections only when close() is called).
  #closeIdleSoon = (): void => {
    setImmediate(() => this.#server.closeIdleConnections())
  }

  /**
   * Stops accepting connections, closes idle ones, and waits for the others to finish their
   * requests. After `timeout` ms the remaining sockets are destroyed and the requests they were
   * serving are returned.
   */
  async drain (timeout: number): Promise<StuckRequest[]> {
    this.startDraining()
    this.#closing = true
    // Node >= 19 also closes idle keep-alive sockets here; busy ones close after their response.
    this.#server.close(() => {})
    // HTTP/2 servers have no idle connections to close: their sessions got GOAWAY.
    if (typeof this.#server.closeIdleConnections === 'function') this.#server.closeIdleConnections()
    for (const socket of this.#sockets) socket[kResponse]?.once('finish', this.#closeIdleSoon)
    if (this.#sockets.size === 0 && this.#sessions.size === 0) return []
    let timer: NodeJS.Timeout | undefined
    const empty = new Promise<boolean>((resolve) => { this.#onEmpty = () => resolve(true) })
    const expired = new Promise<boolean>((resolve) => { timer = setTimeout(resolve, timeout, false) })
    const drained = await Promise.race([empty, expired])
    clearTimeout(timer)
    this.#onEmpty = undefined
    if (drained) return []
    const now = Date.now()
    const unfinished = [...this.#streams]
    for (const socket of this.#sockets) {
      const res = socket[kResponse]
      if (res !== undefined && !res.writableFinished) unfinished.push(res)
      socket.destroy()
    }
    for (const session of this.#sessions) session.destroy()
    // A server-side request always has its method and URL.
    return unfinished.map((res) => ({ method: String(res.req.method), url: redact(String(res.req.url)), ageMs: now - res[kStarted] }))
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
