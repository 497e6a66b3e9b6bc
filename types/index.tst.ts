// Type tests of the published declarations (dist/), through the package's own name.
import Fastify, { type FastifyInstance } from 'fastify'
import pg from 'pg'
import postgresJs from 'postgres'
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import mysql2 from 'mysql2'
import mysql2Promise from 'mysql2/promise'
import { connect as natsConnect } from 'nats'
import mqttJs from 'mqtt'
import { describe, expect, test } from 'tstyche'
import zeroDowntime, {
  fastifyZeroDowntime,
  checks,
  errorCodes,
  type PostgresCheckOptions,
  type HttpCheckOptions,
  type MqttCheckOptions,
  type DiskCheckOptions,
  type SchemaCheckOptions,
  type PostgresClient,
  type CheckResult,
  type LifecycleState,
  type ShutdownReport,
  type ZeroDowntimeHealth,
  type ZeroDowntimeOptions
} from 'fastify-zero-downtime'

const app = Fastify()

describe('registration', () => {
  test('with and without options', () => {
    expect(app.register(zeroDowntime)).type.not.toRaiseError()
    expect(app.register(zeroDowntime, {
      routes: { live: '/livez', ready: false },
      details: 'authorized',
      authorize: (request) => request.headers.authorization === 'Bearer x',
      probeLogLevel: 'silent',
      checkInterval: 5000,
      checkTimeout: 1000,
      liveness: { maxEventLoopDelay: 500, maxRssBytes: 1e9 },
      startupTimeout: 60000,
      signals: ['SIGTERM'],
      shutdownOnError: true,
      shutdownDelay: 5000,
      drainTimeout: 10000,
      closeTimeout: 5000,
      gracePeriod: 30000
    })).type.not.toRaiseError()
  })

  test('wrong options are rejected', () => {
    expect(app.register(zeroDowntime, { shutdownDelay: '5s' })).type.toRaiseError()
    expect(app.register(zeroDowntime, { details: 'sometimes' })).type.toRaiseError()
    expect(app.register(zeroDowntime, { routes: { ready: true } })).type.toRaiseError()
    expect(app.register(zeroDowntime, { signals: ['SIGTERM', 42] })).type.toRaiseError()
    expect(app.register(zeroDowntime, { liveness: true })).type.toRaiseError()
  })

  test('the option type is exported', () => {
    expect<ZeroDowntimeOptions>().type.toBeAssignableFrom({ shutdownDelay: 0 })
    expect<ZeroDowntimeOptions>().type.not.toBeAssignableFrom({ shutdownDelay: null })
  })
})

describe('the decorator', () => {
  test('app.health is typed by declaration merging', () => {
    expect<FastifyInstance['health']>().type.toBe<ZeroDowntimeHealth>()
    expect(app.health.state).type.toBe<LifecycleState>()
    expect(app.health.ready).type.toBe<boolean>()
    expect(app.health.shutdown()).type.toBe<Promise<ShutdownReport>>()
  })

  test('checks: a function of { signal } returning nothing or a result', () => {
    expect(app.health.check('db', async ({ signal }) => { signal.throwIfAborted() })).type.toBe<ZeroDowntimeHealth>()
    expect(app.health.check('db', () => ({ status: 'warn', observedValue: 3, observedUnit: 'ms' }))).type.not.toRaiseError()
    expect(app.health.check('db', async () => {}, { groups: ['readiness', 'liveness'], critical: false, timeout: 1, interval: 2 })).type.not.toRaiseError()
    expect(app.health.check('db', () => ({ status: 'ok' }))).type.toRaiseError()
    expect(app.health.check('db', async () => {}, { groups: ['ready'] })).type.toRaiseError()
    expect(app.health.check('db', async () => {}, { critical: 'yes' })).type.toRaiseError()
    expect(app.health.check(42, async () => {})).type.toRaiseError()
  })

  test('lifecycle methods', () => {
    expect(app.health.startupTask('warm', async ({ signal }) => { signal.throwIfAborted() })).type.not.toRaiseError()
    expect(app.health.resource('db', async () => {}, { timeout: 1000 })).type.not.toRaiseError()
    expect(app.health.resource('db', async () => {}, { timeot: 1000 })).type.toRaiseError()
    expect(app.health.onStateChange((state, previous) => { expect(state).type.toBe<LifecycleState>(); expect(previous).type.toBe<LifecycleState>() })).type.toBe<() => void>()
    expect(app.health.onDrain(() => {})).type.toBe<() => void>()
    expect(app.health.setReady(false)).type.toBe<void>()
    expect(app.health.setReady('no')).type.toRaiseError()
    expect(app.health.markBroken('deadlock')).type.toBe<void>()
  })
})

describe('exports', () => {
  test('CheckResult', () => {
    expect<CheckResult>().type.toBeAssignableFrom({ status: 'pass' as const })
    expect<CheckResult>().type.not.toBeAssignableFrom({ status: 'ok' as const })
  })

  test('checks is an object', () => {
    expect(checks).type.toBeAssignableTo<object>()
  })

  test('errorCodes: each error class by its code, for instanceof and its code', () => {
    const error: unknown = new Error('x')
    if (error instanceof errorCodes.FST_ZD_UNCLEAN_SHUTDOWN) expect(error.code).type.toBe<'FST_ZD_UNCLEAN_SHUTDOWN'>()
    expect(errorCodes).type.not.toHaveProperty('FST_ZD_NO_SUCH_CODE')
  })

  test('built-in checks plug into app.health.check, with close: true', () => {
    expect(app.health.check('api', checks.http('http://billing/readyz', { method: 'HEAD', expectStatus: [200, 204] }))).type.not.toRaiseError()
    expect(checks.http('http://billing/readyz', { method: 'POST' })).type.toRaiseError()
    expect(app.health.check('disk', checks.disk({ path: '/var/data', minFree: '1GiB' }))).type.not.toRaiseError()
    expect(checks.disk({ minFree: '1GiB' })).type.toRaiseError()
    expect(app.health.check('db', checks.postgres(new pg.Pool()), { close: true })).type.not.toRaiseError()
    expect(checks.schema(new pg.Pool(), { history: 'node-pg-migrate', requires: '001', compatibility: 1 })).type.not.toRaiseError()
    expect(checks.schema(new pg.Pool(), { history: 'flyway', requires: '001', compatibility: 1 })).type.toRaiseError()
    expect(checks.raiseFloorSql(3)).type.toBe<string>()
  })
})

describe('the drivers\' clients', () => {
  test('each check takes its driver\'s client, and rejects what cannot work', async () => {
    expect(checks.postgres(new pg.Pool())).type.not.toRaiseError()
    expect(checks.postgres(new pg.Client())).type.not.toRaiseError()
    expect(checks.postgres(postgresJs())).type.not.toRaiseError()
    expect(checks.postgres('postgres://db')).type.toRaiseError()
    expect(checks.postgres(new Redis())).type.toRaiseError()
    expect(checks.mysql(mysql2.createPool({}))).type.not.toRaiseError()
    expect(checks.mysql(mysql2.createConnection({}))).type.not.toRaiseError()
    expect(checks.mysql(mysql2Promise.createPool({}))).type.not.toRaiseError()
    expect(checks.mysql(new pg.Pool())).type.toRaiseError()
    expect(checks.redis(new Redis())).type.not.toRaiseError()
    expect(checks.redis(createClient())).type.not.toRaiseError()
    expect(checks.redis({ ping () {} })).type.toRaiseError()
    expect(checks.nats(await natsConnect())).type.not.toRaiseError()
    expect(checks.nats(42)).type.toRaiseError()
    expect(checks.mqtt(mqttJs.connect('mqtt://localhost'), { topic: 'health' })).type.not.toRaiseError()
    expect(checks.mqtt({ connected: true })).type.toRaiseError()
    expect(checks.amqp({ createChannel: async () => ({}), close: async () => {} })).type.not.toRaiseError()
    expect(checks.amqp('amqp://localhost')).type.toRaiseError()
  })

  test('the options types of the built-in checks are exported', () => {
    expect<PostgresCheckOptions>().type.toBeAssignableFrom({ maxWaiting: 5 })
    expect<HttpCheckOptions>().type.toBeAssignableFrom({ method: 'HEAD' as const })
    expect<MqttCheckOptions>().type.toBeAssignableFrom({})
    expect<DiskCheckOptions>().type.toBeAssignableFrom({ path: '/', minFree: '1GiB' })
    expect<SchemaCheckOptions>().type.toBeAssignableFrom({ history: 'umzug' as const, requires: '001', compatibility: 1 })
    expect<PostgresClient>().type.toBeAssignableFrom(new pg.Pool())
  })

  test('fastifyZeroDowntime is the plugin too, as Fastify\'s own plugins name theirs', () => {
    expect(fastifyZeroDowntime).type.toBe<typeof zeroDowntime>()
  })
})
