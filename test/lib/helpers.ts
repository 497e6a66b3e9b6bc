import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { once } from 'node:events'
import zeroDowntime = require('../../lib/index')

export interface TestContext { teardown: (fn: () => unknown) => void }

/** A fresh instance with the plugin, closed after the test. Signals stay untouched unless asked. */
export async function build (t: TestContext, options: zeroDowntime.ZeroDowntimeOptions = {}, serverOptions: FastifyServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, ...serverOptions })
  t.teardown(async () => { await app.close() })
  await app.register(zeroDowntime, { signals: false, shutdownDelay: 0, checkInterval: 1000, checkTimeout: 500, ...options })
  return app
}

export interface Response { status: number, headers: IncomingHttpHeaders, body: string }

/** A real HTTP request on a fresh connection, to an app in this process or a fixture's port. */
export async function get (target: FastifyInstance | { port: number }, path: string, method = 'GET'): Promise<Response> {
  const { port } = 'server' in target ? target.server.address() as { port: number } : target
  const req = httpRequest({ host: '127.0.0.1', port, path, method, agent: false })
  req.end()
  const [res] = await once(req, 'response')
  let body = ''
  res.setEncoding('utf8')
  for await (const chunk of res) body += chunk
  return { status: res.statusCode, headers: res.headers, body }
}

/** Resolves when `predicate` holds, checking after every event-loop turn of the app's own timers. */
export async function until (predicate: () => boolean, what: string, limitMs = 10000): Promise<void> {
  const started = Date.now()
  while (!predicate()) {
    if (Date.now() - started > limitMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** Captures the app's log lines as objects. */
export function logCollector (): { stream: { write: (line: string) => void }, lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = []
  return { stream: { write: (line: string) => { lines.push(JSON.parse(line)) } }, lines }
}
