import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import underPressure from '@fastify/under-pressure'
import { build, get, until } from './lib/helpers'
import zeroDowntime = require('../lib/index')

async function withChecks (t: Parameters<typeof build>[0], options: zeroDowntime.ZeroDowntimeOptions = {}) {
  const app = await build(t, options)
  let cacheUp = false
  app.health.check('db', async () => ({ status: 'pass', observedValue: 1.5, observedUnit: 'ms' }))
  app.health.check('cache', async () => { if (!cacheUp) throw new Error('redis://default:s3cret@cache:6379 ECONNREFUSED') }, { critical: false })
  app.health.check('queue', async () => { throw new Error('amqp://guest:guest@mq refused') }, { groups: ['startup'], critical: false })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { app, setCacheUp: (up: boolean) => { cacheUp = up } }
}

t.test('probe bodies are tiny and secret-free, with Cache-Control: no-store', async (t) => {
  const { app } = await withChecks(t)
  for (const [path, status, body] of [
    ['/livez', 200, '{"status":"pass"}'],
    ['/readyz', 200, '{"status":"warn"}'],
    ['/startupz', 200, '{"status":"pass"}'],
    ['/readyz/db', 200, '{"status":"pass"}'],
    ['/readyz/cache', 503, '{"status":"fail"}'],
    ['/livez/eventloop', 200, '{"status":"pass"}']
  ] as const) {
    const res = await get(app, path)
    t.equal(res.status, status, path)
    t.equal(res.body, body, path)
    t.equal(res.headers['cache-control'], 'no-store', path)
    t.match(res.headers['content-type'], /^application\/json/, path)
  }
})

t.test('HEAD answers with the status and no body; query strings do not change matching', async (t) => {
  const { app } = await withChecks(t)
  const head = await get(app, '/readyz', 'HEAD')
  t.equal(head.status, 200)
  t.equal(head.body, '')
  t.equal(head.headers['cache-control'], 'no-store')
  t.equal((await get(app, '/livez?foo=bar&x')).status, 200)
  t.equal((await get(app, '/readyz/cache', 'HEAD')).status, 503)
})

t.test('?verbose gives the kube-apiserver text format, reasons withheld', async (t) => {
  const { app } = await withChecks(t)
  const ready = await get(app, '/readyz?verbose')
  t.equal(ready.status, 200)
  t.match(ready.headers['content-type'], /^text\/plain/)
  t.equal(ready.body, '[+]db ok\n[-]cache failed: reason withheld\nreadyz check passed\n')
  t.equal((await get(app, '/livez?verbose')).body, '[+]eventloop ok\nlivez check passed\n')
  t.equal((await get(app, '/startupz?verbose')).body, '[+]startup ok\nstartupz check passed\n')
  t.equal((await get(app, '/readyz/db?verbose')).body, '[+]db ok\nreadyz check passed\n')
})

t.test('?exclude leaves checks out (repeatable); unknown names are ignored', async (t) => {
  const { app } = await withChecks(t)
  t.equal((await get(app, '/readyz?exclude=cache')).body, '{"status":"pass"}')
  t.equal((await get(app, '/readyz?verbose&exclude=cache&exclude=db&exclude=nope')).body, 'readyz check passed\n')
})

t.test('unknown names, and names of another group, are 404', async (t) => {
  const { app } = await withChecks(t)
  for (const path of ['/readyz/nope', '/readyz/eventloop', '/livez/db', '/readyz/queue']) {
    const res = await get(app, path)
    t.equal(res.status, 404, path)
    t.equal(res.headers['cache-control'], 'no-store')
    t.equal(res.body, JSON.stringify({ status: 'unknown', message: `no ${path.startsWith('/live') ? 'liveness' : 'readiness'} check by that name` }))
  }
})

t.test('/health answers application/health+json with every check', async (t) => {
  const { app, setCacheUp } = await withChecks(t)
  const res = await get(app, '/health')
  t.equal(res.status, 200)
  // With its charset: Fastify would otherwise parse the type and append one on every request.
  t.equal(res.headers['content-type'], 'application/health+json; charset=utf-8')
  t.equal(res.headers['cache-control'], 'no-store')
  const body = JSON.parse(res.body)
  t.equal(body.status, 'warn')
  t.same(Object.keys(body.checks), ['eventloop', 'db', 'cache', 'queue'])
  t.match(body.checks.db, [{ status: 'pass', time: /^\d{4}-\d\d-\d\dT/, duration: Number }])
  t.notOk('observedValue' in body.checks.db[0] || 'observedUnit' in body.checks.db[0], 'observed values follow the details policy')
  t.match(body.checks.cache, [{ status: 'fail' }])
  t.notOk('output' in body.checks.cache[0], 'no output unless details are allowed')
  t.notOk(res.body.includes('s3cret') || res.body.includes('ECONNREFUSED'))
  setCacheUp(true)
  t.equal(JSON.parse((await get(app, '/health')).body).status, 'warn', 'queue still failing, non-critical')
})

t.test('/health is 503 when a critical check fails or the process is broken', async (t) => {
  const app = await build(t)
  app.health.check('db', async () => { throw new Error('down') })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const res = await get(app, '/health')
  t.equal(res.status, 503)
  t.equal(JSON.parse(res.body).status, 'fail')
  t.match(JSON.parse(res.body).checks.db, [{ status: 'fail' }])
})

t.test('details: "always" shows redacted reasons', async (t) => {
  const { app } = await withChecks(t, { details: 'always' })
  const verbose = await get(app, '/readyz?verbose')
  t.equal(verbose.body, '[+]db ok\n[-]cache failed: redis://[REDACTED]@cache:6379 ECONNREFUSED\nreadyz check passed\n')
  const health = JSON.parse((await get(app, '/health')).body)
  t.equal(health.checks.cache[0].output, 'redis://[REDACTED]@cache:6379 ECONNREFUSED')
  t.equal(health.checks.queue[0].output, 'amqp://[REDACTED]@mq refused')
})

t.test('details: "authorized" asks authorize(request); a throwing authorize withholds', async (t) => {
  const { app } = await withChecks(t, {
    details: 'authorized',
    authorize: async (request) => {
      if (request.headers['x-boom'] !== undefined) throw new Error('auth backend down')
      return request.headers.authorization === 'Bearer let-me-in'
    }
  })
  t.match((await get(app, '/readyz?verbose')).body, /reason withheld/)
  const { port } = app.server.address() as { port: number }
  const allowed = await fetch(`http://127.0.0.1:${port}/readyz?verbose`, { headers: { authorization: 'Bearer let-me-in' } })
  t.match(await allowed.text(), /cache failed: redis:\/\/\[REDACTED\]/)
  const boom = await fetch(`http://127.0.0.1:${port}/health`, { headers: { authorization: 'Bearer let-me-in', 'x-boom': '1' } })
  t.notOk('output' in (await boom.json()).checks.cache[0])
})

t.test('paths are options; false turns a route off', async (t) => {
  const app = await build(t, { routes: { live: '/_/live', ready: '/_/ready/', startup: false, health: false } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.equal((await get(app, '/_/live')).status, 200)
  t.equal((await get(app, '/_/ready')).status, 200)
  t.equal((await get(app, '/startupz')).status, 404)
  t.equal((await get(app, '/health')).status, 404)
  t.equal((await get(app, '/livez')).status, 404)
})

t.test('routes are hidden from OpenAPI, compile no schema unless documented, and log quietly', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  const routes: Array<{ url: string, logLevel?: string, schema?: Record<string, unknown> }> = []
  app.addHook('onRoute', (route) => { routes.push(route as never) })
  await app.register(zeroDowntime, { signals: false })
  await app.ready()
  const readyz = routes.find((r) => r.url === '/readyz')
  t.equal(readyz?.logLevel, 'warn')
  // Probes send strings serialized once: a schema would only cost startup work (docs/design.md).
  for (const route of routes) t.same(Object.entries(route.schema ?? {}), [['hide', true]], route.url)
})

t.test('under-pressure, registered by the app to shed load, never sheds the probes', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  // A heap threshold of 1 byte: the app is always "under pressure".
  await app.register(underPressure, { maxHeapUsedBytes: 1, sampleInterval: 50 })
  await app.register(zeroDowntime, { signals: false })
  app.get('/', async () => 'ok')
  await app.listen({ port: 0, host: '127.0.0.1' })
  await until(() => (app as unknown as { isUnderPressure: () => boolean }).isUnderPressure(), 'under-pressure to sample')
  t.equal((await get(app, '/')).status, 503, 'the app route is shed, as the app asked')
  t.equal((await get(app, '/livez')).status, 200)
  t.equal((await get(app, '/readyz')).status, 200)
  t.equal((await get(app, '/health')).status, 200)
})

t.test('a failing dependency never turns into 503 on application routes', async (t) => {
  const app = await build(t)
  app.health.check('db', async () => { throw new Error('down') })
  app.get('/', async () => 'still here')
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.equal((await get(app, '/readyz')).status, 503)
  const res = await get(app, '/')
  t.equal(res.status, 200)
  t.equal(res.body, 'still here')
})

t.test('under a prefix, and inside an encapsulated context', async (t) => {
  const prefixed = Fastify()
  t.teardown(async () => { await prefixed.close() })
  await prefixed.register(zeroDowntime, { prefix: '/api/', logLevel: 'warn', signals: false, shutdownDelay: 0, routes: { health: false } })
  await prefixed.ready()
  t.same(await Promise.all(['/api/readyz', '/api/livez', '/api/startupz', '/api/health', '/readyz'].map(async (url) => (await prefixed.inject(url)).statusCode)), [200, 200, 200, 404, 404], 'prefix moves every probe')
  t.equal(typeof prefixed.health, 'object', 'app.health on the instance that registered it')
  const nested = Fastify()
  t.teardown(async () => { await nested.close() })
  let inner: FastifyInstance | undefined
  await nested.register(async (api) => { await api.register(zeroDowntime, { signals: false, shutdownDelay: 0 }); inner = api }, { prefix: '/v1' })
  await nested.ready()
  t.equal((await nested.inject('/v1/readyz')).statusCode, 200, 'the probes take the context\'s prefix')
  t.equal(nested.health, undefined, 'the root does not see app.health: register the plugin at the root to use it everywhere')
  t.equal(typeof inner?.health, 'object')
  await t.rejects(async () => { await Fastify().register(zeroDowntime, { prefix: 'api' } as never) }, { code: 'FST_ZD_INVALID_OPTION', message: /Invalid option "prefix": got "api"/ })
  await t.rejects(async () => { await Fastify().register(zeroDowntime, { prefix: false } as never) }, { code: 'FST_ZD_INVALID_OPTION', message: /Invalid option "prefix": got false, expected a path starting with "\/"/ })
})
