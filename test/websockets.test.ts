import t from 'tap'
import { once } from 'node:events'
import { connect } from 'node:net'
import websocket from '@fastify/websocket'
import WebSocket, { WebSocketServer } from 'ws'
import type { FastifyInstance } from 'fastify'
import { build, logCollector, until, type TestContext } from './lib/helpers'

interface Client { ws: WebSocket, closed: Promise<{ code: number, at: number }>, messages: string[] }

async function client (t: TestContext, app: FastifyInstance, path = '/ws'): Promise<Client> {
  const { port } = app.server.address() as { port: number }
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`)
  t.teardown(() => ws.terminate())
  const messages: string[] = []
  ws.on('message', (data) => messages.push(String(data)))
  const closed = new Promise<{ code: number, at: number }>((resolve) => ws.once('close', (code) => resolve({ code, at: Date.now() })))
  await once(ws, 'open')
  return { ws, closed, messages }
}

async function echoApp (t: TestContext, options: Record<string, unknown> = {}, wsOptions: Record<string, unknown> = {}): Promise<{ app: FastifyInstance, lines: Array<Record<string, unknown>>, sockets: ReturnType<FastifyInstance['health']['websockets']> }> {
  const { stream, lines } = logCollector()
  const app = await build(t, { shutdownDelay: 300, ...options }, { logger: { stream, level: 'info' } })
  await app.register(websocket)
  const sockets = app.health.websockets(app.websocketServer, wsOptions)
  app.get('/ws', { websocket: true }, (socket) => {
    socket.on('message', (data) => {
      const text = String(data)
      // "slow": answered 150 ms later, tracked, so the close frame waits for it.
      if (text === 'slow') sockets.track(socket, new Promise((resolve) => setTimeout(resolve, 150)).then(() => socket.send('slow done')))
      else socket.send(`echo ${text}`)
    })
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  await until(() => app.health.state === 'ready', 'ready')
  return { app, lines, sockets }
}

t.test('open WebSockets stay up through shutdownDelay, then get 1001 after their in-flight message is answered; the shutdown is clean', async (t) => {
  const { app, lines } = await echoApp(t)
  const clients = await Promise.all(Array.from({ length: 5 }, async () => await client(t, app)))
  const began = Date.now()
  const report = app.health.shutdown()
  await until(() => app.health.state === 'draining', 'draining')
  // Still served during the delay: the balancer may still route here.
  clients[0].ws.send('during delay')
  await until(() => clients[0].messages.includes('echo during delay'), 'an echo during the delay')
  t.equal(app.health.state, 'draining')
  clients[1].ws.send('slow')
  const closes = await Promise.all(clients.map(async (c) => await c.closed))
  for (const { code, at } of closes) {
    t.equal(code, 1001, 'a close frame, going away (not 1006)')
    t.ok(at - began >= 290, 'not before shutdownDelay')
  }
  t.same(clients[1].messages, ['slow done'], 'the in-flight message was answered before the close frame')
  const { clean, workers, problems } = await report
  t.ok(clean, problems.join('; '))
  t.match(workers.find((w) => w.name === 'websockets'), { http: true, outcome: 'stopped', cut: 0 })
  t.ok(lines.some((l) => l.msg === 'worker "websockets" stopped in ' + String(workers.find((w) => w.name === 'websockets')?.ms) + ' ms'))
})

t.test('a WebSocket upgraded after the stop began is closed at once with the close code', async (t) => {
  const { stream } = logCollector()
  const app = await build(t, { shutdownDelay: 0 }, { logger: { stream, level: 'info' } })
  await app.register(websocket)
  app.health.websockets(app.websocketServer, { code: 1012 })
  let arrived: () => void = () => {}
  const upgradeArrived = new Promise<void>((resolve) => { arrived = resolve })
  // The upgrade is held until closing has begun (a request already on its way when it did).
  app.addHook('onRequest', async () => {
    arrived()
    await until(() => app.health.state === 'closing', 'closing')
  })
  app.get('/ws', { websocket: true }, () => {})
  await app.listen({ port: 0, host: '127.0.0.1' })
  await until(() => app.health.state === 'ready', 'ready')
  const { port } = app.server.address() as { port: number }
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`)
  const closed = new Promise<number>((resolve) => ws.once('close', resolve))
  await upgradeArrived
  const report = app.health.shutdown()
  t.equal(await closed, 1012, 'told to go, with the configured code')
  t.ok((await report).clean)
})

t.test('a client that never completes the closing handshake is terminated at the timeout, counted as cut: unclean', async (t) => {
  const { app, lines } = await echoApp(t, { shutdownDelay: 0 }, { timeout: 200, name: 'chat' })
  const { port } = app.server.address() as { port: number }
  // A raw client: it upgrades, then never reads nor answers the close frame.
  const socket = connect(port, '127.0.0.1')
  t.teardown(() => socket.destroy())
  socket.write('GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n')
  const [head] = await once(socket, 'data') as [Buffer]
  t.match(String(head), /^HTTP\/1\.1 101 /)
  const good = await client(t, app)
  const began = Date.now()
  const report = await app.health.shutdown()
  const elapsed = Date.now() - began
  t.equal((await good.closed).code, 1001, 'the well-behaved client closed cleanly')
  t.notOk(report.clean)
  t.match(report.workers.find((w) => w.name === 'chat'), { outcome: 'cut', cut: 1 })
  t.ok(report.problems.includes('worker "chat" cut 1 unit(s) of work short at its timeout'))
  t.ok(elapsed >= 190 && elapsed < 5000, `terminated at the timeout, not at ws's own 30 s (${elapsed} ms)`)
  t.ok(lines.some((l) => l.msg === 'worker "chat" cut 1 unit(s) of work short at its timeout (200 ms)'))
  await once(socket, 'close')
})

t.test('a plain ws server on the app\'s HTTP server', async (t) => {
  const app = await build(t, { shutdownDelay: 0 })
  const wss = new WebSocketServer({ server: app.server })
  t.teardown(() => wss.close())
  app.health.websockets(wss)
  wss.on('connection', (socket) => socket.on('message', (data) => socket.send(data)))
  await app.listen({ port: 0, host: '127.0.0.1' })
  const c = await client(t, app, '/')
  const report = await app.health.shutdown()
  t.equal((await c.closed).code, 1001)
  t.ok(report.clean, report.problems.join('; '))
})

t.test('bad arguments are coded errors naming what was wrong', async (t) => {
  const app = await build(t)
  const wss = new WebSocketServer({ noServer: true })
  t.throws(() => app.health.websockets({}), { code: 'FST_ZD_INVALID_ARGUMENT', message: /health\.websockets: got an object, expected a ws WebSocketServer \(with @fastify\/websocket: app\.websocketServer, once await app\.register\(websocket\) has resolved\)/ })
  t.throws(() => app.health.websockets(wss, { code: 1006 }), { code: 'FST_ZD_INVALID_ARGUMENT', message: /option "code": got 1006, expected a close code a server may send/ })
  t.throws(() => app.health.websockets(wss, { code: 2000 }), { code: 'FST_ZD_INVALID_ARGUMENT' })
  t.throws(() => app.health.websockets(wss, { code: 1000.5 }), { code: 'FST_ZD_INVALID_ARGUMENT' })
  t.throws(() => app.health.websockets(wss, { nmae: 'x' } as never), { code: 'FST_ZD_INVALID_ARGUMENT', message: 'Invalid argument to health.websockets: got an unknown option "nmae", expected one of the known options: name, timeout, code (did you mean "name"?)' })
  t.throws(() => app.health.websockets(wss, null as never), { code: 'FST_ZD_INVALID_ARGUMENT', message: /expected an options object/ })
  t.throws(() => app.health.websockets(wss, { timeout: -1 }), { code: 'FST_ZD_INVALID_OPTION' })
  app.health.websockets(wss, { code: 4000 })
  t.throws(() => app.health.websockets(wss), { code: 'FST_ZD_DUPLICATE_NAME', message: /worker named "websockets" is already registered/ })
})
