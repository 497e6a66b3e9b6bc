import t from 'tap'
import Fastify from 'fastify'
import { connect, type ClientHttp2Session } from 'node:http2'
import { once } from 'node:events'
import zeroDowntime = require('../lib/index')

async function fetch2 (session: ClientHttp2Session, path: string): Promise<{ status: number, body: string }> {
  const stream = session.request({ ':path': path })
  const [headers] = await once(stream, 'response')
  let body = ''
  stream.setEncoding('utf8')
  for await (const chunk of stream) body += chunk
  return { status: headers[':status'], body }
}

t.test('HTTP/2: sessions get GOAWAY when draining; a session opened while draining is served, then told to go', async (t) => {
  const app = Fastify({ http2: true })
  t.teardown(() => app.close())
  await app.register(zeroDowntime, { signals: false, shutdownDelay: 1000 })
  app.get('/', async () => 'h2')
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  const first = connect(url)
  t.teardown(() => first.destroy())
  t.same(await fetch2(first, '/'), { status: 200, body: 'h2' })
  const goaway = once(first, 'goaway')
  const shutdown = app.health.shutdown()
  await goaway
  t.pass('the open session was told to go away')

  const second = connect(url)
  t.teardown(() => second.destroy())
  const secondGoaway = once(second, 'goaway')
  t.same(await fetch2(second, '/readyz'), { status: 503, body: '{"status":"fail"}' })
  await secondGoaway
  t.equal(app.health.state, 'draining', 'all of it within the delay')
  t.same(await shutdown, { clean: true, problems: [], workers: [] })
})

t.test('HTTP/2: a stream still running at drainTimeout is reported and its session destroyed', async (t) => {
  const app = Fastify({ http2: true })
  t.teardown(() => app.close())
  await app.register(zeroDowntime, { signals: false, shutdownDelay: 0, drainTimeout: 100 })
  let arrived: () => void = () => {}
  const inHandler = new Promise<void>((resolve) => { arrived = resolve })
  app.get('/stuck', async () => { arrived(); return await new Promise(() => {}) })
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  const client = connect(url)
  client.on('error', () => {})
  t.teardown(() => client.destroy())
  const stream = client.request({ ':path': '/stuck' })
  stream.on('error', () => {})
  await inHandler
  t.same(await app.health.shutdown(), { clean: false, problems: ['1 request(s) still in flight after drainTimeout (100 ms)'], workers: [] })
  await once(client, 'close')
})
