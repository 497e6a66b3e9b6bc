import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Http2Session, IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2'
import type { Socket } from 'node:net'
import type { FastifyBaseLogger } from 'fastify'
import { withDeadline } from './deadline'
import { newestRequest, responseWriting, stopListening } from './node-http'
import { redact } from './redact'

export interface StuckRequest { method: string, url: string, ageMs: number }

interface StreamInFlight { method: string, url: string, started: number }

/**
 * Knows the server's connections, so that a shutdown can tell keep-alive clients to leave, wait for
 * in-flight requests, and name and cut those still running when the drain timeout expires.
 *
 * Until draining begins it costs nothing per HTTP/1 request: no listener, no property on Node's
 * objects (either would slow every route of the app). Requests are followed only from then on; of
 * those already running, Node's socket knows the one it is answering.
 */
export class ConnectionTracker {
  readonly #server: Server
  readonly #sockets = new Set<Socket>()
  readonly #sessions = new Set<Http2Session>()
  readonly #streams = new Map<ServerHttp2Stream, StreamInFlight>()
  // Filled only while draining: the newest response on each socket, and when each request came.
  readonly #newest = new Map<Socket, ServerResponse>()
  readonly #startedAt = new WeakMap<ServerResponse, number>()
  #drainingSince = 0
  #closing = false
  #onEmpty: (() => void) | undefined

  constructor (server: Server) {
    this.#server = server
    server.on('connection', this.#onConnection)
    server.on('session', this.#onSession)
    server.on('stream', this.#onStream)
  }

  get #draining (): boolean {
    return this.#drainingSince > 0
  }

  #onConnection = (socket: Socket): void => {
    this.#sockets.add(socket)
    socket.once('close', () => {
      this.#sockets.delete(socket)
      this.#newest.delete(socket)
      if (this.#sockets.size === 0 && this.#sessions.size === 0) this.#onEmpty?.()
    })
  }

  #onSession = (session: Http2Session): void => {
    this.#sessions.add(session)
    session.once('close', () => this.#sessions.delete(session))
  }

  // HTTP/2 servers only: streams are tracked for the drain timeout's report.
  #onStream = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void => {
    this.#streams.set(stream, { method: String(headers[':method']), url: String(headers[':path']), started: Date.now() })
    stream.once('close', () => this.#streams.delete(stream))
    // A session opened while draining serves this stream, then is told to go away (GOAWAY).
    if (this.#draining) stream.session?.close()
  }

  // Installed when draining begins, first in line, so that even a response written synchronously
  // by a handler carries the header.
  #onRequestWhileDraining = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.httpVersionMajor >= 2) return
    this.#startedAt.set(res, Date.now())
    const socket = req.socket
    this.#sayClose(socket, res)
    // Its headers were still arriving at close(): should its handler keep the connection alive
    // after all, the socket must not sit idle until drainTimeout.
    if (this.#closing) this.#closeWhenIdle(socket, res)
  }

  /**
   * Node closes the socket after a response that says `Connection: close`: keep-alive clients
   * reconnect elsewhere. Only the newest response on a socket may say it, or Node would drop a
   * request pipelined behind an earlier one.
   */
  #sayClose (socket: Socket, res: ServerResponse): void {
    const previous = this.#newest.get(socket)
    if (previous !== undefined && !previous.headersSent) previous.removeHeader('connection')
    this.#newest.set(socket, res)
    res.setHeader('connection', 'close')
  }

  /**
   * A request that came before draining began: the socket's response under way says close if it
   * answers the newest request; if others are queued behind it (pipelining), the question is asked
   * again when it finishes and the next one takes the socket.
   */
  #sayCloseOnNewest (socket: Socket): void {
    const res = responseWriting(socket)
    if (res === undefined || res.writableFinished || this.#newest.has(socket)) return
    if (res.req !== newestRequest(socket)) {
      res.once('finish', () => this.#sayCloseOnNewest(socket))
      return
    }
    if (!res.headersSent) this.#sayClose(socket, res)
  }

  /**
   * A socket now owned by long-lived work (an upgraded WebSocket, an SSE stream): the drain neither
   * waits for it nor cuts it; the worker that owns it ends it.
   */
  adopt (socket: Socket): void {
    this.#sockets.delete(socket)
    this.#newest.delete(socket)
    if (this.#sockets.size === 0 && this.#sessions.size === 0) this.#onEmpty?.()
  }

  /**
   * From now on every HTTP/1 response says `Connection: close`, and HTTP/2 sessions get GOAWAY.
   * With `stopAccepting`, the listener closes now too, and open connections stay open: in a
   * cluster worker the primary process is the balancer, and it stops sending connections here
   * the moment the listener closes.
   */
  startDraining ({ stopAccepting = false } = {}): void {
    if (this.#draining) return
    this.#drainingSince = Date.now()
    this.#server.prependListener('request', this.#onRequestWhileDraining)
    if (stopAccepting && this.#server.listening) stopListening(this.#server)
    for (const socket of this.#sockets) this.#sayCloseOnNewest(socket)
    for (const session of this.#sessions) session.close()
  }

  // Once the server is closed, a connection whose last response has gone out is closed at once
  // (Node closes idle connections only when close() is called). A response queued behind this one
  // takes the socket when this one finishes: it is followed in turn. (A response the socket is
  // writing has not finished: Node detaches it from the socket when it does.)
  #closeWhenIdle (socket: Socket, res: ServerResponse): void {
    res.once('finish', () => {
      setImmediate(() => this.#server.closeIdleConnections())
      const next = responseWriting(socket)
      if (next !== undefined && next !== res) this.#closeWhenIdle(socket, next)
    })
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
    for (const socket of this.#sockets) {
      const res = responseWriting(socket)
      if (res !== undefined) this.#closeWhenIdle(socket, res)
    }
    if (this.#sockets.size === 0 && this.#sessions.size === 0) return []
    const drained = await withDeadline(timeout, async () => { await new Promise<void>((resolve) => { this.#onEmpty = resolve }) })
    this.#onEmpty = undefined
    if (!drained.expired) return []
    return this.#cut()
  }

  // The drain timeout expired: the requests still running are named, their connections destroyed.
  #cut (): StuckRequest[] {
    const now = Date.now()
    const stuck: StuckRequest[] = [...this.#streams.values()].map(({ method, url, started }) => ({ method, url: redact(url), ageMs: now - started }))
    for (const socket of this.#sockets) {
      const responses = new Set([responseWriting(socket), this.#newest.get(socket)])
      for (const res of responses) {
        if (res === undefined || res.writableFinished) continue
        // A request that came before draining began has run at least since then.
        const started = this.#startedAt.get(res) ?? this.#drainingSince
        // A server-side request always has its method and URL.
        stuck.push({ method: String(res.req.method), url: redact(String(res.req.url)), ageMs: now - started })
      }
      socket.destroy()
    }
    for (const session of this.#sessions) session.destroy()
    return stuck
  }

  detach (): void {
    this.#server.removeListener('request', this.#onRequestWhileDraining)
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
