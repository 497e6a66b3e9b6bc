import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { Server as NetServer, type Socket } from 'node:net'

// The only place the plugin touches Node's private HTTP state. Node has no public API for what
// a shutdown needs to know of a keep-alive socket; test/node-http.test.ts, run on every supported
// Node major, fails the day one of these changes.

type HttpSocket = Socket & { _httpMessage?: ServerResponse | null, parser?: { incoming?: IncomingMessage | null } | null }

/** The response the socket is writing now; pipelined ones queue behind it. */
export function responseWriting (socket: Socket): ServerResponse | undefined {
  return (socket as HttpSocket)._httpMessage ?? undefined
}

/** The newest request the socket's parser has read: a pipelined one may be waiting its turn. */
export function newestRequest (socket: Socket): IncomingMessage | undefined {
  return (socket as HttpSocket).parser?.incoming ?? undefined
}

/** Closes the listener only: http.Server's close() would also close idle keep-alive connections. */
export function stopListening (server: Server): void {
  NetServer.prototype.close.call(server)
}
