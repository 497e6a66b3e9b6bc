import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import zeroDowntime = require('../lib/index')
import { OPTION_NAMES } from '../lib/options'

const { checks, consumers } = zeroDowntime
const handler = (): void => {}
const amqpChannel = { consume () {}, cancel () {}, ack () {}, nack () {}, prefetch () {}, checkQueue () {}, once () {} }
const jetstreamClient = { consumers: { get () {} } }
const redisClient = { duplicate () {}, call () {} }
const pgPool = { query () {}, end () {}, connect () {}, totalCount: 0, idleCount: 0, waitingCount: 0 }
const mqttClient = { connected: true, reconnecting: false, publishAsync () {}, endAsync () {} }

async function fresh (t: { teardown: (fn: () => unknown) => void }): Promise<FastifyInstance> {
  const app = Fastify()
  t.teardown(async () => await app.close())
  await app.register(zeroDowntime, { signals: false })
  return app
}

async function error (call: () => unknown): Promise<{ code?: string, message: string }> {
  try { await call() } catch (caught) { return caught as { code?: string, message: string } }
  return { message: 'nothing was thrown' }
}

t.test('registering twice names the mistake and the fix', async (t) => {
  const app = Fastify()
  t.teardown(async () => await app.close())
  await app.register(zeroDowntime, { signals: false })
  const again = await error(async () => { await app.register(zeroDowntime, { signals: false }) })
  t.equal(again.code, 'FST_ZD_ALREADY_REGISTERED')
  t.match(again.message, /^fastify-zero-downtime is already registered on this instance or one enclosing it: register fastify-zero-downtime once, at the root of the app/)

  const nested = Fastify()
  t.teardown(async () => await nested.close().catch(() => {}))
  await nested.register(zeroDowntime, { signals: false })
  t.match(await error(async () => { await nested.register(async (child) => { await child.register(zeroDowntime, { signals: false }) }) }), { code: 'FST_ZD_ALREADY_REGISTERED' }, 'in a plugin of an app that has it')

  const taken = Fastify()
  t.teardown(async () => await taken.close())
  taken.decorate('health', { up: true })
  t.match(await error(async () => { await taken.register(zeroDowntime, { signals: false }) }), {
    code: 'FST_ZD_ALREADY_REGISTERED',
    message: /^this instance already has a "health" decorator from another plugin: register fastify-zero-downtime once/
  })
})

// The mistakes a newcomer makes, each with what the message must say: the option, the value and the fix.
const MISTAKES: Array<[string, (app: FastifyInstance) => unknown, string, RegExp]> = [
  ['a typo in a plugin option', async () => await Fastify().register(zeroDowntime, { shutdowndelay: 5000 } as never), 'FST_ZD_INVALID_OPTION', /"shutdowndelay".*did you mean "shutdownDelay"/],
  ['seconds, not milliseconds, as a string', async () => await Fastify().register(zeroDowntime, { shutdownDelay: '5s' } as never), 'FST_ZD_INVALID_OPTION', /"shutdownDelay": got "5s", expected a number of milliseconds/],
  ['a signal that cannot be caught', async () => await Fastify().register(zeroDowntime, { signals: ['SIGTERM', 'SIGKILL'] } as never), 'FST_ZD_INVALID_OPTION', /"signals\[1\]": got "SIGKILL", expected one of "SIGTERM"/],
  ['a route without its slash', async () => await Fastify().register(zeroDowntime, { routes: { ready: 'readyz' } }), 'FST_ZD_INVALID_OPTION', /"routes.ready": got "readyz", expected a path starting with "\/"/],
  ['details authorized without authorize', async () => await Fastify().register(zeroDowntime, { details: 'authorized' }), 'FST_ZD_INVALID_OPTION', /"authorize": got undefined, expected a function/],
  ['a budget that does not fit', async () => await Fastify().register(zeroDowntime, { shutdownDelay: 20000, drainTimeout: 15000 }), 'FST_ZD_BUDGET_EXCEEDED', /needs more than gracePeriod 30000 ms\. Lower shutdownDelay/],
  ['a check timeout above its interval', (app) => app.health.check('db', handler, { interval: 1000, timeout: 2000 }), 'FST_ZD_INVALID_ARGUMENT', /"timeout": got 2000, expected at most its interval/],
  ['a check group misspelled', (app) => app.health.check('db', handler, { groups: ['ready'] } as never), 'FST_ZD_INVALID_ARGUMENT', /"groups\[0\]": got "ready", expected one of "readiness"/],
  ['a check name with spaces', (app) => app.health.check('my db', handler), 'FST_ZD_INVALID_NAME', /check name "my db": expected a URL-safe name/],
  ['a check given a promise', (app) => app.health.check('db', Promise.resolve() as never), 'FST_ZD_INVALID_ARGUMENT', /health\.check\("db"\): got an object, expected a function/],
  ['close: true on a hand-written check', (app) => app.health.check('db', handler, { close: true }), 'FST_ZD_INVALID_ARGUMENT', /"close": got true, expected a function, or true with a built-in check/],
  ['a check registered twice', (app) => { app.health.check('db', handler); app.health.check('db', handler) }, 'FST_ZD_DUPLICATE_NAME', /check named "db" is already registered/],
  ['a check added after ready', async (app) => { await app.ready(); app.health.check('late', handler) }, 'FST_ZD_TOO_LATE', /register it before ready\(\)/],
  ['a connection string for a client', () => checks.postgres('postgres://app:hunter2secret@db/app' as never), 'FST_ZD_INVALID_CLIENT', /checks\.postgres\(\) needs a pg Pool or Client.*got "postgres:\/\/\[REDACTED\]@db\/app"/],
  ['expectStatus with a bad element', () => checks.http('http://127.0.0.1:1/', { expectStatus: [200, 2040] }), 'FST_ZD_INVALID_ARGUMENT', /expectStatus\[1\]: got 2040, expected an HTTP status code/],
  ['expectStatus, one bad status', () => checks.http('http://127.0.0.1:1/', { expectStatus: 20 }), 'FST_ZD_INVALID_ARGUMENT', /option expectStatus: got 20, expected an HTTP status code/],
  ['expectStatus, an empty array', () => checks.http('http://127.0.0.1:1/', { expectStatus: [] }), 'FST_ZD_INVALID_ARGUMENT', /option expectStatus: got an empty array, expected an HTTP status code \(100 to 599\) or a non-empty array/],
  ['a disk size without a number', () => checks.disk({ path: '/', minFree: 'lots' }), 'FST_ZD_INVALID_ARGUMENT', /minFree: got "lots", expected bytes, or a size such as "1GiB"/],
  ['a consumer without its queue', () => consumers.amqp(amqpChannel as never, { handler } as never), 'FST_ZD_INVALID_ARGUMENT', /"queue": got undefined, expected the name of the queue/],
  ['a resource timeout of 0', (app) => app.health.resource('db', handler, { timeout: 0 }), 'FST_ZD_INVALID_OPTION', /timeout": got 0, expected a number of milliseconds above 0/]
]

for (const [mistake, call, code, message] of MISTAKES) {
  t.test(`a common mistake: ${mistake}`, async (t) => {
    const app = await fresh(t)
    const thrown = await error(() => call(app))
    t.equal(thrown.code, code, thrown.message)
    t.match(thrown.message, message)
    t.notMatch(thrown.message, /hunter2secret/, 'nothing secret is quoted')
  })
}

// Every API that takes options: a call with them, and the options it accepts (a full, valid set is not needed).
const API: Array<[string, (options: Record<string, unknown>) => unknown, Record<string, unknown>, readonly string[]]> = [
  ['app.register', async (o) => { const app = Fastify(); try { await app.register(zeroDowntime, o) } finally { await app.close() } }, { signals: false }, OPTION_NAMES],
  ['health.check', (o) => shared.health.check(`c${n++}`, handler, o), {}, ['groups', 'critical', 'timeout', 'interval', 'close']],
  ['health.resource', (o) => shared.health.resource(`r${n++}`, handler, o), {}, ['timeout']],
  ['health.worker', (o) => shared.health.worker(`w${n++}`, handler, o), {}, ['timeout', 'http']],
  ['health.websockets', (o) => shared.health.websockets({ on () {}, clients: new Set() }, { name: `ws${n++}`, ...o }), {}, ['name', 'timeout', 'code']],
  ['checks.postgres', (o) => checks.postgres(pgPool as never, o), {}, ['maxWaiting']],
  ['checks.http', (o) => checks.http('http://127.0.0.1:1/', o), {}, ['method', 'expectStatus', 'headers']],
  ['checks.mqtt', (o) => checks.mqtt(mqttClient as never, o), {}, ['topic']],
  ['checks.disk', (o) => checks.disk(o as never), { path: '/', minFree: 1 }, ['path', 'minFree', 'warnFree']],
  ['checks.schema', (o) => checks.schema(pgPool as never, o as never), { history: 'umzug', requires: 'x', compatibility: 1 }, ['history', 'requires', 'compatibility', 'floorTable']],
  ['consumers.amqp', (o) => consumers.amqp(amqpChannel as never, o as never), { queue: 'q', handler }, ['handler', 'concurrency', 'queue', 'prefetch', 'requeueOnError']],
  ['consumers.jetstream', (o) => consumers.jetstream(jetstreamClient as never, o as never), { stream: 's', consumer: 'c', handler }, ['handler', 'concurrency', 'stream', 'consumer', 'expires']],
  ['consumers.redisStream', (o) => consumers.redisStream(redisClient as never, o as never), { stream: 's', group: 'g', handler }, ['handler', 'concurrency', 'stream', 'group', 'consumer', 'block', 'claimIdle']]
]
let shared: FastifyInstance
let n = 0

t.test('every API that takes options lists all it accepts, and names the one a typo meant', async (t) => {
  shared = await fresh(t)
  for (const [api, call, valid, known] of API) {
    const unknown = await error(() => call({ ...valid, zzzz: 1 }))
    t.match(unknown.message, `got an unknown option${api === 'app.register' ? '' : ' "zzzz"'}, expected one of the known options: ${known.join(', ')}`, `${api}: the full list`)
    t.notMatch(unknown.message, /did you mean/, `${api}: nothing is suggested for a name like no other`)
    for (const option of known) {
      // Each listed option is one the API takes: set (to undefined), it is never called unknown.
      t.notMatch((await error(() => call({ ...valid, [option]: undefined }))).message, /unknown option/, `${api}: ${option} is accepted`)
      // Two neighbouring letters swapped, or the case changed: the message names the option meant.
      const transposed = option.slice(0, 1) + option[2] + option[1] + option.slice(3)
      const swapped = transposed === option ? option.toUpperCase() : transposed
      t.match((await error(() => call({ ...valid, [swapped]: 1 }))).message, `(did you mean "${option}"?)`, `${api}: ${swapped} suggests ${option}`)
    }
  }
})

t.test('health.eventStream: unknown options are named too', async (t) => {
  const app = Fastify()
  t.teardown(async () => await app.close())
  await app.register(zeroDowntime, { signals: false })
  app.get('/events', async (request, reply) => await app.health.eventStream(request, reply, { retyr: 5 } as never))
  const response = await app.inject('/events')
  t.equal(response.statusCode, 500)
  t.match(response.json(), { code: 'FST_ZD_INVALID_ARGUMENT', message: /health\.eventStream: got an unknown option "retyr", expected one of the known options: retry, replay \(did you mean "retry"\?\)/ })
})
