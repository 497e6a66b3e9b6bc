import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { Agent, request, type IncomingMessage } from 'node:http'
import { connect, type Socket } from 'node:net'
import { PassThrough } from 'node:stream'
import { once } from 'node:events'
import { build, get, logCollector, until, type TestContext } from './lib/helpers'
import zeroDowntime = require('../lib/index')
import { ConnectionTracker } from '../lib/connections'

type State = zeroDowntime.LifecycleState

async function stateReached (app: { health: zeroDowntime.ZeroDowntimeHealth }, state: State): Promise<void> {
  if (app.health.state === state) return
  await new Promise<void>((resolve) => {
    const off = app.health.onStateChange((now) => { if (now === state) { off(); resolve() } })
  })
}

function recordStates (app: { health: zeroDowntime.ZeroDowntimeHealth }): Array<[State, State]> {
  const seen: Array<[State, State]> = []
  app.health.onStateChange((state, previous) => { seen.push([previous, state]) })
  return seen
}

/**
 * Two requests held in their handler until released, pipelined on one raw socket: `send()` writes
 * both at once (Node answers them in order, the second queued); `responses()` splits what came back.
 */
async function heldPipeline (t: TestContext, app: FastifyInstance): Promise<{ send: () => void, arrived: Promise<void>, release: (n: string) => Promise<void>, ended: Promise<unknown>, responses: () => string[] }> {
  const releases = new Map<string, () => void>()
  let bothArrived: () => void = () => {}
  const arrived = new Promise<void>((resolve) => { bothArrived = resolve })
  app.get('/held/:n', async (request) => {
    const { n } = request.params as { n: string }
    await new Promise<void>((resolve) => { releases.set(n, resolve); if (releases.size === 2) bothArrived() })
    return `held ${n}`
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { socket, received } = await rawClient(t, app)
  return {
    send: () => { socket.write('GET /held/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /held/2 HTTP/1.1\r\nHost: x\r\n\r\n') },
    arrived,
    // Resolves once that response has come back.
    release: async (n) => { releases.get(n)?.(); await until(() => received().includes(`held ${n}`), `response ${n}`) },
    ended: once(socket, 'end'),
    responses: () => received().split(/(?=HTTP\/1\.1 )/)
  }
}

/**
 * A raw TCP connection to the listening app, for what HTTP clients do not send (pipelined or
 * partial requests); `serverSide` is the server's end of it, `received()` all that came back.
 */
async function rawClient (t: TestContext, app: FastifyInstance): Promise<{ socket: Socket, serverSide: Socket, received: () => string }> {
  const { port } = app.server.address() as { port: number }
  const accepted = once(app.server, 'connection') as Promise<[Socket]>
  const socket = connect(port, '127.0.0.1')
  t.teardown(() => socket.destroy())
  const [serverSide] = await accepted
  let received = ''
  socket.setEncoding('utf8').on('data', (chunk: string) => { received += chunk })
  return { socket, serverSide, received: () => received }
}

t.test('states move starting -> ready -> draining -> closing -> closed, each logged once', async (t) => {
  const { stream, lines } = logCollector()
  const app = await build(t, {}, { logger: { stream, level: 'info' } })
  const seen = recordStates(app)
  const off = app.health.onStateChange(() => { throw new Error('listener bug') })
  t.equal(app.health.state, 'starting')
  await app.listen({ port: 0, host: '127.0.0.1' })
  off()
  const report = await app.health.shutdown()
  t.same(report, { clean: true, problems: [], workers: [] })
  t.same(seen, [['starting', 'ready'], ['ready', 'draining'], ['draining', 'closing'], ['closing', 'closed']])
  t.equal(lines.filter((l) => /^zero-downtime: \w+ -> \w+$/.test(String(l.msg))).length, 4)
  t.ok(lines.some((l) => /onStateChange listener threw/.test(String(l.msg))), 'a throwing listener is logged and does not stop the rest')
  t.equal(await app.health.shutdown().then((r) => r.clean), true, 'shutdown() again resolves the same way')
  t.throws(() => app.health.onStateChange('x' as never), { code: 'FST_ZD_INVALID_ARGUMENT' })
})

t.test('the startup log states the shutdown budget', async (t) => {
  const { stream, lines } = logCollector()
  const app = await build(t, { shutdownDelay: 2000, drainTimeout: 3000 }, { logger: { stream, level: 'info' } })
  app.health.resource('db', () => {}, { timeout: 500 })
  await app.ready()
  t.ok(lines.some((l) => l.msg === 'zero-downtime: shutdown budget shutdownDelay 2000 + drainTimeout 3000 + 1 resource timeout(s) 500 + margin 1000 = 6500 ms of gracePeriod 30000 ms'))
})

t.test('budget: registration and resource() throw when the shutdown cannot fit the grace period', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await t.rejects(async () => { await app.register(zeroDowntime, { signals: false, shutdownDelay: 20000, drainTimeout: 10000 }) }, {
    code: 'FST_ZD_BUDGET_EXCEEDED',
    message: /shutdownDelay 20000 \+ drainTimeout 10000 \+ 0 resource timeout\(s\) 0 \+ margin 1000 = 31000 ms needs more than gracePeriod 30000 ms/
  })
  const ok = await build(t, { shutdownDelay: 5000, drainTimeout: 10000, gracePeriod: 25000 })
  ok.health.resource('a', () => {}, { timeout: 5000 })
  t.throws(() => ok.health.resource('b', () => {}, { timeout: 5000 }), { code: 'FST_ZD_BUDGET_EXCEEDED', message: /2 resource timeout\(s\) 10000/ })
  ok.health.resource('b', () => {}, { timeout: 4000 })
})

t.test('resource() validates its arguments', async (t) => {
  const app = await build(t)
  app.health.resource('db', () => {})
  t.throws(() => app.health.resource('db', () => {}), { code: 'FST_ZD_DUPLICATE_NAME', message: /resource named "db"/ })
  t.throws(() => app.health.resource('Bad Name', () => {}), { code: 'FST_ZD_INVALID_NAME' })
  t.throws(() => app.health.resource('x', null as never), { code: 'FST_ZD_INVALID_ARGUMENT', message: /expected a function/ })
  t.throws(() => app.health.resource('x', () => {}, 5 as never), { message: /got 5, expected an options object/ })
  t.throws(() => app.health.resource('x', () => {}, { timeot: 1 } as never), { message: /health\.resource\("x"\): got an unknown option "timeot", expected one of the known options: timeout \(did you mean "timeout"\?\)/ })
  t.throws(() => app.health.resource('x', () => {}, { timeout: 0 }), { code: 'FST_ZD_INVALID_OPTION' })
})

t.test('resources close after the server, newest first; a throwing and a hanging one do not stop the rest', async (t) => {
  const { stream, lines } = logCollector()
  const app = await build(t, {}, { logger: { stream, level: 'info' } })
  const closed: string[] = []
  app.health.resource('db', async () => { closed.push('db') })
  app.health.resource('hangs', () => new Promise(() => {}), { timeout: 30 })
  app.health.resource('throws', () => { throw new Error('close failed: redis://u:pw@cache') })
  app.health.resource('cache', () => { closed.push(`cache:${app.server.listening ? 'listening' : 'closed'}`) })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const report = await app.health.shutdown()
  t.same(closed, ['cache:closed', 'db'])
  t.same(report, { clean: false, problems: ['resource(s) throws, hangs did not close cleanly'], workers: [] })
  t.match(lines.find((l) => l.resource === 'throws'), { level: 50, reason: 'close failed: redis://[REDACTED]@cache' })
  t.match(lines.find((l) => l.resource === 'hangs'), { level: 50, reason: 'Resource "hangs" did not close within 30 ms' })
})

t.test('a single resource that fails to close makes the shutdown unclean: close() rejects, the report names it', async (t) => {
  const app = await build(t)
  app.health.resource('only', () => { throw new Error('close failed') })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const closing = app.close()
  const report = app.health.shutdown()
  await t.rejects(closing, { code: 'FST_ZD_UNCLEAN_SHUTDOWN', message: /resource\(s\) only did not close cleanly/ })
  t.same(await report, { clean: false, problems: ['resource(s) only did not close cleanly'], workers: [] })
})

t.test('setReady(false) takes the instance out of rotation and back', async (t) => {
  const app = await build(t)
  app.get('/', async () => 'ok')
  await app.listen({ port: 0, host: '127.0.0.1' })
  app.health.setReady(false)
  app.health.setReady(false)
  t.equal(app.health.ready, false)
  t.equal((await get(app, '/readyz')).status, 503)
  t.equal((await get(app, '/readyz?verbose')).body, '[-]rotation failed: reason withheld\nreadyz check failed\n')
  t.equal((await get(app, '/livez')).status, 200)
  t.equal((await get(app, '/')).status, 200, 'the app keeps serving')
  app.health.setReady(true)
  t.equal((await get(app, '/readyz')).status, 200)
  t.equal(app.health.state, 'ready')
  t.throws(() => app.health.setReady('no' as never), { code: 'FST_ZD_INVALID_ARGUMENT', message: /health.setReady: got "no", expected a boolean/ })
})

t.test('markBroken() fails liveness from then on; readiness is not touched', async (t) => {
  const app = await build(t, { details: 'always' })
  await app.listen({ port: 0, host: '127.0.0.1' })
  app.health.markBroken('deadlock in worker pool, token=abc123')
  app.health.markBroken('second reason is ignored')
  t.equal((await get(app, '/livez')).status, 503)
  t.equal((await get(app, '/livez?verbose')).body, '[+]eventloop ok\n[-]broken failed: deadlock in worker pool, token=[REDACTED]\nlivez check failed\n')
  t.equal((await get(app, '/health')).status, 503)
  t.equal((await get(app, '/readyz')).status, 200)
  t.throws(() => app.health.markBroken(''), { code: 'FST_ZD_INVALID_ARGUMENT' })
})

t.test('startup tasks run in order after ready(); probes wait for them, liveness does not', async (t) => {
  const app = await build(t)
  const order: string[] = []
  let release: () => void = () => {}
  const gate = new Promise<void>((resolve) => { release = resolve })
  app.health.startupTask('config', () => { order.push('config') })
  app.health.startupTask('migrations', async ({ signal }) => { t.equal(signal.aborted, false); await gate; order.push('migrations') })
  t.throws(() => app.health.startupTask('config', () => {}), { code: 'FST_ZD_DUPLICATE_NAME' })
  t.throws(() => app.health.startupTask('x', 1 as never), { code: 'FST_ZD_INVALID_ARGUMENT' })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.throws(() => app.health.startupTask('late', () => {}), { code: 'FST_ZD_TOO_LATE' })
  t.equal(app.health.state, 'starting')
  t.equal((await get(app, '/livez')).status, 200)
  t.equal((await get(app, '/readyz')).status, 503)
  t.equal((await get(app, '/startupz')).status, 503)
  t.equal((await get(app, '/startupz?verbose')).body, '[+]task:config ok\n[-]task:migrations pending\nstartupz check failed\n')
  release()
  await stateReached(app, 'ready')
  t.same(order, ['config', 'migrations'])
  t.equal((await get(app, '/startupz')).status, 200)
  t.equal((await get(app, '/readyz')).status, 200)
})

t.test('startup also waits for one pass of each critical readiness and startup check', async (t) => {
  const app = await build(t, { checkInterval: 60000, checkTimeout: 1000 })
  let migrated = false
  app.health.check('schema', async () => { if (!migrated) throw new Error('relation "users" does not exist') }, { groups: ['startup'] })
  app.health.check('optional', async () => { throw new Error('down') }, { critical: false })
  app.health.startupTask('migrate', () => { migrated = true })
  await app.listen({ port: 0, host: '127.0.0.1' })
  // The check failed in the first round; the end of the tasks runs it again at once.
  await stateReached(app, 'ready')
  t.equal(app.health.checks.find((c) => c.name === 'schema')?.runs, 2)
  t.equal((await get(app, '/startupz')).status, 200)
  app.health.setReady(false)
  t.equal((await get(app, '/startupz')).status, 200, 'startup stays complete')
})

t.test('a failing startup task is logged and the instance never becomes ready', async (t) => {
  const { stream, lines } = logCollector()
  const app = await build(t, {}, { logger: { stream, level: 'info' } })
  let ranAfter = false
  app.health.startupTask('migrations', async () => { throw new Error('migration 42 failed: password=hunter2') })
  app.health.startupTask('after', () => { ranAfter = true })
  await app.listen({ port: 0, host: '127.0.0.1' })
  await until(() => lines.some((l) => /^startup failed/.test(String(l.msg))), 'the failure log')
  t.equal(ranAfter, false, 'later tasks do not run')
  t.equal(app.health.state, 'starting')
  t.equal((await get(app, '/readyz')).status, 503)
  t.equal((await get(app, '/startupz?verbose')).body, '[-]task:migrations failed: reason withheld\n[-]task:after failed: reason withheld\n[-]startup failed: reason withheld\nstartupz check failed\n')
  t.equal((await get(app, '/livez')).status, 200)
  t.notOk(JSON.stringify(lines).includes('hunter2'))
})

t.test('startupTimeout bounds the wait and names what it waited for', async (t) => {
  const { stream, lines } = logCollector()
  const app = await build(t, { startupTimeout: 50, details: 'always' }, { logger: { stream, level: 'info' } })
  let aborted = false
  app.health.startupTask('warm-cache', async ({ signal }) => {
    await new Promise((resolve) => signal.addEventListener('abort', resolve))
    aborted = true
    throw signal.reason // giving up because of the abort is not a second failure
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  await until(() => aborted, 'the task to be aborted')
  const failures = lines.filter((l) => /^startup failed/.test(String(l.msg)))
  t.equal(failures.length, 1)
  t.match(failures[0], { msg: /not complete within startupTimeout \(50 ms\); waiting for: task:warm-cache/ })
  t.match((await get(app, '/startupz?verbose')).body, /\[-\]startup failed: not complete within startupTimeout/)
  t.equal(app.health.state, 'starting')
})

t.test('startupTimeout also covers a check that never passes', async (t) => {
  const { stream, lines } = logCollector()
  const app = await build(t, { startupTimeout: 50 }, { logger: { stream, level: 'info' } })
  app.health.check('db', async () => { throw new Error('down') })
  app.health.startupTask('quick', () => {})
  await app.listen({ port: 0, host: '127.0.0.1' })
  await until(() => lines.some((l) => /^startup failed/.test(String(l.msg))), 'the failure')
  t.match(lines.find((l) => /^startup failed/.test(String(l.msg))), { msg: /waiting for: db;/ })
  t.equal((await get(app, '/startupz?verbose')).body, '[+]task:quick ok\n[-]db failed: reason withheld\n[-]startup failed: reason withheld\nstartupz check failed\n')
})

t.test('shutdown() between startup tasks: the later ones never run', async (t) => {
  const app = await build(t)
  let later = false
  let started: () => void = () => {}
  const first = new Promise<void>((resolve) => { started = resolve })
  app.health.startupTask('first', async ({ signal }) => {
    started()
    await new Promise((resolve) => signal.addEventListener('abort', resolve))
  })
  app.health.startupTask('later', () => { later = true })
  await app.listen({ port: 0, host: '127.0.0.1' })
  await first
  await app.health.shutdown()
  t.equal(later, false)
})

t.test('shutdown() during startup skips the delay and aborts the tasks', async (t) => {
  const app = await build(t, { shutdownDelay: 25000, gracePeriod: 40000 })
  let reason: unknown
  app.health.startupTask('slow', async ({ signal }) => {
    await new Promise((resolve) => signal.addEventListener('abort', resolve))
    reason = signal.reason
  })
  const seen = recordStates(app)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const started = Date.now()
  t.same(await app.health.shutdown(), { clean: true, problems: [], workers: [] })
  t.ok(Date.now() - started < 5000, `shut down in ${Date.now() - started} ms, far below the 25 s delay`)
  t.match(reason, { message: 'shutting down' })
  t.same(seen, [['starting', 'draining'], ['draining', 'closing'], ['closing', 'closed']])
})

t.test('while draining: readiness 503 at once, the app serves with Connection: close, liveness stays 200', async (t) => {
  const app = await build(t, { shutdownDelay: 1500, drainTimeout: 1000 })
  app.get('/', async () => 'hello')
  await app.listen({ port: 0, host: '127.0.0.1' })
  const drained = app.health.shutdown()
  t.equal(app.health.state, 'draining')
  const ready = await get(app, '/readyz?verbose')
  t.equal(ready.status, 503)
  t.equal(ready.body, '[-]shutdown failed: reason withheld\nreadyz check failed\n')
  const root = await get(app, '/')
  t.equal(root.status, 200)
  t.equal(root.body, 'hello')
  t.equal(root.headers.connection, 'close')
  t.equal((await get(app, '/livez')).status, 200)
  t.equal((await get(app, '/startupz')).status, 200)
  t.equal(app.health.state, 'draining', 'all of it within the delay')
  t.same(await drained, { clean: true, problems: [], workers: [] })
})

t.test('onDrain listeners are told when draining begins, or at once when it has', async (t) => {
  const app = await build(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const calls: string[] = []
  app.health.onDrain(() => { calls.push('sse') })
  const off = app.health.onDrain(() => { calls.push('removed') })
  app.health.onDrain(() => { throw new Error('listener bug') })
  off()
  t.throws(() => app.health.onDrain(null as never), { code: 'FST_ZD_INVALID_ARGUMENT' })
  const done = app.health.shutdown()
  t.same(calls, ['sse'])
  const offLate = app.health.onDrain(() => { calls.push('late') })
  offLate()
  t.same(calls, ['sse', 'late'])
  await done
})

t.test('a direct close() runs the same sequence (no delay when not listening); shutdown() afterwards waits for it', async (t) => {
  const app = Fastify()
  await app.register(zeroDowntime, { signals: false, shutdownDelay: 20000, gracePeriod: 40000 })
  const seen = recordStates(app)
  await app.ready()
  const started = Date.now()
  await app.close()
  t.ok(Date.now() - started < 5000, `closed in ${Date.now() - started} ms: no shutdownDelay for an instance that never listened`)
  t.same(await app.health.shutdown(), { clean: true, problems: [], workers: [] })
  t.same(seen, [['starting', 'ready'], ['ready', 'draining'], ['draining', 'closing'], ['closing', 'closed']])
})

t.test('a close() before ready() ever ran: the sequence starts from preClose, resources still close', async (t) => {
  const app = Fastify()
  await app.register(zeroDowntime, { signals: false, shutdownDelay: 20000, gracePeriod: 40000 })
  const closed: string[] = []
  app.health.resource('pool', () => { closed.push('pool') })
  let drained = false
  app.health.onDrain(() => { drained = true })
  const seen = recordStates(app)
  const started = Date.now()
  await app.close()
  t.ok(Date.now() - started < 5000, `closed in ${Date.now() - started} ms: never ready, so no shutdownDelay`)
  t.same(seen, [['starting', 'draining'], ['draining', 'closing'], ['closing', 'closed']])
  t.ok(drained, 'onDrain listeners were told')
  t.same(closed, ['pool'])
  t.same(await app.health.shutdown(), { clean: true, problems: [], workers: [] })
})

// The delay runs in an avvio onClose handler added at onReady, so that it runs before the one
// Fastify adds at preReady to close its router (handlers run newest first): while it runs, the app
// still serves. If Fastify ever changes that order, this fails before any deploy drops a request.
t.test('Fastify\'s order: an onClose handler added at onReady runs while the router still serves; one added at registration, after', async (t) => {
  const app = Fastify()
  app.get('/', async () => 'ok')
  const seen: Record<string, string> = {}
  // Whether the server still listens, and what a new request gets.
  const probe = (when: string) => async (): Promise<void> => {
    seen[when] = app.server.listening ? `listening, ${(await get(app, '/')).status}` : 'closed'
  }
  const avvio = app as unknown as { onClose: (handler: () => Promise<void>) => void }
  avvio.onClose(probe('added at registration'))
  app.addHook('onReady', async () => { avvio.onClose(probe('added at onReady')) })
  await app.listen({ port: 0, host: '127.0.0.1' })
  await app.close()
  t.same(seen, { 'added at onReady': 'listening, 200', 'added at registration': 'closed' })
})

t.test('drainTimeout: requests still in flight are logged and their sockets closed', async (t) => {
  const { stream, lines } = logCollector()
  const app = await build(t, { drainTimeout: 100 }, { logger: { stream, level: 'info' } })
  let arrived: () => void = () => {}
  const inHandler = new Promise<void>((resolve) => { arrived = resolve })
  app.get('/stuck', async () => { arrived(); return await new Promise(() => {}) })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const pending = get(app, '/stuck?token=abc').catch((err: Error) => err)
  await inHandler
  const report = await app.health.shutdown()
  t.same(report, { clean: false, problems: ['1 request(s) still in flight after drainTimeout (100 ms)'], workers: [] })
  t.match(await pending, { code: 'ECONNRESET' }, 'the stuck socket was closed')
  t.match(lines.find((l) => /still in flight/.test(String(l.msg))), { level: 50, req: { method: 'GET', url: '/stuck?token=[REDACTED]' }, ageMs: Number })
})

t.test('a direct close() under keep-alive load: the delay is kept, no request is refused (return503OnClosing left true)', async (t) => {
  const app = await build(t, { shutdownDelay: 500 })
  app.get('/', async () => 'hello')
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  const agent = new Agent({ keepAlive: true, maxSockets: 4 })
  t.teardown(() => agent.destroy())
  const statuses: Array<number | string> = []
  let closing = false
  let duringDelay = 0
  // A balancer's view: it polls readiness and stops sending once it fails (well within the delay).
  const rotation = { in: true }
  const balancer = (async () => {
    while ((await get(app, '/readyz')).status === 200) await new Promise((resolve) => setTimeout(resolve, 50))
    rotation.in = false
  })()
  const client = async (): Promise<void> => {
    while (rotation.in) {
      const status = await new Promise<number | string>((resolve) => {
        request({ host: '127.0.0.1', port, path: '/', agent }, (res) => { res.resume().on('end', () => resolve(res.statusCode ?? 0)) })
          .on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error')).end()
      })
      statuses.push(status)
      if (closing && app.health.state === 'draining') duringDelay++
    }
  }
  const clients = [client(), client(), client(), client()]
  await until(() => statuses.length >= 50, 'load to start')
  closing = true
  await app.close()
  await Promise.all([balancer, ...clients])
  t.ok(duringDelay > 0, `${duringDelay} requests served during the delay`)
  t.same([...new Set(statuses)], [200], `${statuses.length} requests, all 200`)
})

t.test('responses in flight when draining begins say Connection: close too', async (t) => {
  const app = await build(t, { shutdownDelay: 200 })
  let release: () => void = () => {}
  let arrived: () => void = () => {}
  const inHandler = new Promise<void>((resolve) => { arrived = resolve })
  app.get('/held', async () => { arrived(); await new Promise<void>((resolve) => { release = resolve }); return 'held' })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  const agent = new Agent({ keepAlive: true })
  t.teardown(() => agent.destroy())
  const response = new Promise<IncomingMessage>((resolve) => { request({ host: '127.0.0.1', port, path: '/held', agent }, resolve).end() })
  await inHandler
  const done = app.health.shutdown()
  release()
  const res = await response
  res.resume()
  t.equal(res.statusCode, 200)
  t.equal(res.headers.connection, 'close', 'the keep-alive client is told to leave with this very response')
  await done
})

t.test('pipelined requests in flight when draining begins: only the last response says Connection: close, none is dropped', async (t) => {
  const app = await build(t, { shutdownDelay: 0 })
  const pipeline = await heldPipeline(t, app)
  pipeline.send()
  await pipeline.arrived
  const done = app.health.shutdown()
  await stateReached(app, 'closing')
  await pipeline.release('1')
  await pipeline.release('2')
  await pipeline.ended
  const responses = pipeline.responses()
  t.equal(responses.length, 2, 'both pipelined requests were answered')
  t.match(responses[0], /^HTTP\/1\.1 200[^]*\r\nconnection: keep-alive\r\n[^]*held 1$/i, 'the first keeps the connection: the second is still to be answered on it')
  t.match(responses[1], /^HTTP\/1\.1 200[^]*\r\nconnection: close\r\n[^]*held 2$/i, 'the last tells the client to leave')
  t.same(await done, { clean: true, problems: [], workers: [] }, 'the server closed the connection after the last response: nothing was cut')
})

t.test('pipelined requests that arrive while draining: the earlier response stops saying Connection: close, the last says it, none is dropped', async (t) => {
  const app = await build(t, { shutdownDelay: 300 })
  const pipeline = await heldPipeline(t, app)
  const done = app.health.shutdown()
  await stateReached(app, 'draining')
  // The first is told to say close as it arrives; the second, pipelined behind it, takes that over.
  pipeline.send()
  await pipeline.arrived
  await pipeline.release('1')
  await pipeline.release('2')
  await pipeline.ended
  const responses = pipeline.responses()
  t.equal(responses.length, 2, 'both pipelined requests were answered')
  t.notMatch(responses[0], /\r\nconnection: close\r\n/i, 'the first does not close the connection under the second')
  t.match(responses[1], /^HTTP\/1\.1 200[^]*\r\nconnection: close\r\n[^]*held 2$/i, 'the last tells the client to leave')
  t.same(await done, { clean: true, problems: [], workers: [] })
})

t.test('a response whose headers went out before draining: once it ends, its idle keep-alive socket is closed at once, not at drainTimeout', async (t) => {
  const drainTimeout = 20000
  const app = await build(t, { shutdownDelay: 0, drainTimeout })
  const body = new PassThrough()
  app.get('/stream', async (_request, reply) => reply.send(body))
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  const agent = new Agent({ keepAlive: true })
  t.teardown(() => agent.destroy())
  const response = new Promise<IncomingMessage>((resolve) => { request({ host: '127.0.0.1', port, path: '/stream', agent }, resolve).end() })
  body.write('a')
  const res = await response
  t.equal(res.headers.connection, 'keep-alive', 'the headers went out before draining: they keep the connection')
  res.resume()
  const done = app.health.shutdown()
  await stateReached(app, 'closing')
  const ended = performance.now()
  body.end('b')
  t.same(await done, { clean: true, problems: [], workers: [] })
  // Left to Node, the idle socket would stay open until drainTimeout cut it (or keepAliveTimeout).
  t.ok(performance.now() - ended < drainTimeout / 4, `closed ${Math.round(performance.now() - ended)} ms after the response ended, well before drainTimeout (${drainTimeout} ms)`)
})

t.test('a request whose headers were still arriving when the server closed: if its handler keeps the connection alive, the socket is closed once it is answered, not at drainTimeout', async (t) => {
  const drainTimeout = 20000
  const app = await build(t, { shutdownDelay: 0, drainTimeout })
  // A handler (or a proxy copying an upstream's headers) that overrides the plugin's Connection: close.
  app.get('/keep', async (_request, reply) => reply.header('connection', 'keep-alive').send('kept'))
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { socket, serverSide, received } = await rawClient(t, app)
  const closed = once(socket, 'close')
  // Half a request: once Node has read it, the connection is busy, so close() leaves it open, with
  // no response on it yet.
  socket.write('GET /keep HTTP/1.1\r\nHost: x\r\n')
  await until(() => serverSide.bytesRead > 0, 'the server read the partial request')
  const done = app.health.shutdown()
  await stateReached(app, 'closing')
  socket.write('\r\n')
  await until(() => received().includes('kept'), 'the response')
  const answered = performance.now()
  t.match(received(), /connection: keep-alive/i, 'the handler kept the connection alive')
  await closed
  t.same(await done, { clean: true, problems: [], workers: [] })
  t.ok(performance.now() - answered < drainTimeout / 4, `closed ${Math.round(performance.now() - answered)} ms after the response, well before drainTimeout (${drainTimeout} ms)`)
})

t.test('until draining begins the plugin adds nothing to a request: no listener, no property on Node\'s request, response or socket', async (t) => {
  const shapes = async (app: FastifyInstance): Promise<Record<string, unknown>> => {
    let seen: Record<string, unknown> = {}
    app.get('/', async (request, reply) => {
      const own = (object: object): string[] => Reflect.ownKeys(object).map(String).sort()
      seen = { requestListeners: app.server.listenerCount('request'), req: own(request.raw), res: own(reply.raw), socket: own(request.raw.socket) }
      return 'ok'
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    t.equal((await get(app, '/')).status, 200)
    return seen
  }
  const plain = Fastify()
  t.teardown(() => plain.close())
  const withPlugin = await build(t)
  t.same(await shapes(withPlugin), await shapes(plain), 'the same listeners and the same properties as in an app without the plugin')
  // Once draining, responses are followed: the listener is there.
  withPlugin.health.setReady(false)
  const drained = withPlugin.health.shutdown()
  await stateReached(withPlugin, 'closing')
  t.equal(withPlugin.server.listenerCount('request'), 2)
  await drained
})

t.test('in a cluster worker, the listener closes when draining begins; open connections are still served', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  app.get('/', async () => 'hello')
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  t.teardown(() => agent.destroy())
  const send = async (): Promise<IncomingMessage> => await new Promise((resolve, reject) => { request({ host: '127.0.0.1', port, path: '/', agent }, resolve).on('error', reject).end() })
  ;(await send()).resume()
  const tracker = new ConnectionTracker(app.server)
  t.teardown(() => tracker.detach())
  tracker.startDraining({ stopAccepting: true })
  t.equal(app.server.listening, false, 'no new connection is accepted')
  const res = await send()
  res.resume()
  t.equal(res.statusCode, 200, 'the open keep-alive connection was not closed under its client')
  t.equal(res.headers.connection, 'close')
})

t.test('an onClose hook of the app that throws: close() rejects with it, and the report says so', async (t) => {
  const app = await build(t)
  app.addHook('onClose', async () => { throw new Error('flush failed for postgres://app:hunter2@db/app') })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const report = await app.health.shutdown()
  t.same(report, { clean: false, problems: ['close failed: flush failed for postgres://[REDACTED]@db/app'], workers: [] })
})

t.test('app.health is the documented API and nothing else; its methods chain and stay bound', async (t) => {
  const app = await build(t, { shutdownDelay: 0 })
  t.same(Object.keys(app.health).sort(), ['check', 'checks', 'eventStream', 'markBroken', 'onDrain', 'onStateChange', 'ready', 'report', 'resource', 'setReady', 'shutdown', 'startupTask', 'state', 'websockets', 'worker'])
  for (const internal of ['reportOne', 'aggregate', 'start', 'beginClosing', 'finish', 'answer', 'attach', 'api']) t.notOk(internal in app.health, `${internal} is not reachable`)
  t.ok(Object.isFrozen(app.health))
  const { setReady, report } = app.health
  t.equal(app.health.check('a', async () => {}).startupTask('b', async () => {}).resource('c', async () => {}), app.health, 'chains return app.health')
  await app.ready()
  setReady(false)
  t.equal(report('ready').status, 'fail', 'destructured methods still work')
  t.equal(app.health.ready, false)
  t.match(app.health.checks.map((c) => c.name), ['eventloop', 'a'])
})
