import t, { type Test } from 'tap'
import pg from 'pg'
import postgresJs from 'postgres'
import mysql2 from 'mysql2'
import IORedis from 'ioredis'
import { createClient } from 'redis'
import amqplib from 'amqplib'
import { connect as natsConnect } from 'nats'
import mqttJs from 'mqtt'
import { checks } from '../lib/index'
import { runCheck, type CheckFunction, type CheckOutcome } from '../lib/run-check'
import { FaultProxy } from './lib/proxy'
import { service, type ServiceName } from './lib/services'
import { build, get, until } from './lib/helpers'

interface Opened {
  check: CheckFunction
  close: () => Promise<unknown>
  /** What must be back where it started after timed-out runs (pool counters, ...). */
  pool?: () => Record<string, number>
}

interface Driver {
  name: string
  service: ServiceName
  /** Whether the client reconnects by itself once the server is back. */
  reconnects: boolean
  /** The connections the client may hold: its pool's bound. */
  maxConnections: number
  open: (url: URL) => Promise<Opened>
}

// Eight drivers, each through its fault battery against its real server.
t.setTimeout(300000)

const withPort = (url: URL, port: number): URL => Object.assign(new URL(url), { port: String(port) })

const DRIVERS: Driver[] = [
  {
    name: 'pg Pool',
    maxConnections: 4,
    service: 'postgres',
    reconnects: true,
    open: async (url) => {
      const pool = new pg.Pool({ connectionString: url.href, max: 4 })
      pool.on('error', () => {})
      return { check: checks.postgres(pool), close: async () => await pool.end(), pool: () => ({ waiting: pool.waitingCount }) }
    }
  },
  {
    name: 'postgres.js',
    maxConnections: 2,
    service: 'postgres',
    reconnects: true,
    open: async (url) => {
      const sql = postgresJs(url.href, { max: 2, onnotice: () => {} })
      // A graceful end: `timeout: 0` destroys connections with queries pending, and postgres.js then
      // sometimes leaves a rejection of its own unhandled.
      return { check: checks.postgres(sql), close: async () => await sql.end({ timeout: 2 }) }
    }
  },
  {
    name: 'mysql2 pool',
    maxConnections: 4,
    service: 'mysql',
    reconnects: true,
    open: async (url) => {
      const pool = mysql2.createPool({ uri: url.href, connectionLimit: 4 })
      return { check: checks.mysql(pool), close: async () => await new Promise((resolve) => pool.end(resolve)) }
    }
  },
  {
    name: 'ioredis',
    maxConnections: 1,
    service: 'redis',
    reconnects: true,
    open: async (url) => {
      const client = new IORedis(url.href, { retryStrategy: () => 20, lazyConnect: true })
      client.on('error', () => {})
      await client.connect()
      return { check: checks.redis(client), close: async () => client.disconnect() }
    }
  },
  {
    name: 'node-redis',
    maxConnections: 1,
    service: 'redis',
    reconnects: true,
    open: async (url) => {
      const client = createClient({ url: url.href, socket: { reconnectStrategy: () => 20 } })
      client.on('error', () => {})
      await client.connect()
      return { check: checks.redis(client), close: async () => client.destroy() }
    }
  },
  {
    name: 'amqplib',
    maxConnections: 1,
    service: 'amqp',
    reconnects: false,
    open: async (url) => {
      const connection = await amqplib.connect(url.href)
      connection.on('error', () => {})
      return { check: checks.amqp(connection), close: async () => await connection.close().catch(() => {}) }
    }
  },
  {
    name: 'nats',
    maxConnections: 1,
    service: 'nats',
    reconnects: true,
    open: async (url) => {
      const nc = await natsConnect({ servers: url.host, reconnectTimeWait: 20, maxReconnectAttempts: -1, pingInterval: 60000 })
      return { check: checks.nats(nc), close: async () => await nc.close() }
    }
  },
  {
    name: 'mqtt.js',
    maxConnections: 1,
    service: 'mqtt',
    reconnects: true,
    open: async (url) => {
      const client = await mqttJs.connectAsync(url.href, { reconnectPeriod: 20, keepalive: 60 })
      client.on('error', () => {})
      return { check: checks.mqtt(client), close: async () => await client.endAsync(true) }
    }
  }
]

async function run (check: CheckFunction, timeout = 1000): Promise<CheckOutcome> {
  const { outcome } = runCheck(check, timeout, new AbortController().signal)
  return await outcome
}

/** Runs the check, as the registry would at a short interval, until it reports `status`. */
async function untilStatus (check: CheckFunction, status: 'pass' | 'fail', what: string): Promise<void> {
  const started = Date.now()
  let last = await run(check, 500)
  while (last.status !== status) {
    if (Date.now() - started > 20000) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`)
    await new Promise((resolve) => setTimeout(resolve, 20)) // the interval between two runs
    last = await run(check, 500)
  }
}

for (const driver of DRIVERS) {
  t.test(`checks.${driver.service}() with ${driver.name}, against the real server`, async (t) => {
    const url = await service(t, driver.service)
    if (url === undefined) return
    const proxy = new FaultProxy(Number(url.port), url.hostname)
    await proxy.listen()
    const opened = await driver.open(withPort(url, proxy.port))
    t.teardown(async () => { await opened.close(); await proxy.stop() })
    const { check } = opened

    const live = await run(check)
    t.match(live, { status: 'pass', observedValue: Number, observedUnit: 'ms' }, 'passes against the live service')
    const baseline = { connections: proxy.connections, pool: opened.pool?.() }

    proxy.setMode('blackhole')
    const hung = await run(check, 200)
    t.match(hung, { status: 'fail', output: 'timeout: no result within 200 ms' }, 'blackhole: fails at the timeout')
    t.ok(hung.duration >= 199, `not before the timeout (${hung.duration} ms)`)
    t.ok(hung.duration < 200 + 2000, `not much after (${hung.duration} ms)`)
    proxy.setMode('pass')
    t.match(await run(check), { status: 'pass' }, 'healed: passes on the next run')

    proxy.setMode('reset')
    t.match(await run(check, 500), { status: 'fail' }, 'reset: fails')
    proxy.setMode('pass')
    if (driver.reconnects) await untilStatus(check, 'pass', 'recovery after the reset')

    if (driver.reconnects) {
      const port = proxy.port
      await proxy.stop()
      t.match(await run(check, 500), { status: 'fail' }, 'closed port: fails')
      await proxy.listen(port)
      proxy.setMode('pass')
      await untilStatus(check, 'pass', 'recovery once the port is open again')

      proxy.setMode('blackhole')
      for (let i = 0; i < 100; i++) t.equal((await run(check, 10)).status, 'fail')
      proxy.setMode('pass')
      await untilStatus(check, 'pass', 'recovery after 100 timed-out runs')
      if (opened.pool !== undefined) await until(() => JSON.stringify(opened.pool?.()) === JSON.stringify(baseline.pool), 'the pool to settle')
      await until(() => proxy.connections <= driver.maxConnections, 'the sockets to settle')
      t.pass(`after 100 timed-out runs: ${proxy.connections} connection(s), within the pool's ${driver.maxConnections} (${baseline.connections} at the start)`)
    }
  })
}

t.test('while a check hangs in a blackhole, the probe answers at once from the last result', async (t) => {
  const url = await service(t, 'redis')
  if (url === undefined) return
  const proxy = new FaultProxy(Number(url.port), url.hostname)
  await proxy.listen()
  const client = new IORedis(withPort(url, proxy.port).href, { lazyConnect: true, retryStrategy: () => 20 })
  client.on('error', () => {})
  await client.connect()
  const app = await build(t, { checkInterval: 2000, checkTimeout: 2000 })
  t.teardown(async () => { client.disconnect(); await proxy.stop() })
  app.health.check('cache', checks.redis(client), { interval: 200, timeout: 200 })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const cache = app.health.checks.find((c) => c.name === 'cache')
  const runsBefore = cache?.runs ?? 0
  proxy.setMode('blackhole')
  // The next background run starts and hangs; the probes meanwhile answer from the last result.
  let answered = 0
  while ((cache?.runs ?? 0) === runsBefore) {
    const res = await get(app, '/readyz')
    // Answered before the hung run ended: the probe did not wait for it.
    if ((cache?.runs ?? 0) === runsBefore) {
      t.equal(res.status, 200)
      answered++
    }
  }
  t.ok(answered > 0, `${answered} probes answered while the check was in flight`)
  t.match(cache?.last, { status: 'fail', output: 'timeout: no result within 200 ms' })
  t.equal((await get(app, '/readyz')).status, 503)
  proxy.setMode('pass')
})

/** A pg Pool of `max` clients through a fault proxy, and its check, passing once; undefined without PostgreSQL. */
async function pgPoolBehindProxy (t: Test, max: number): Promise<{ pool: pg.Pool, proxy: FaultProxy, check: CheckFunction } | undefined> {
  const url = await service(t, 'postgres')
  if (url === undefined) return
  const proxy = new FaultProxy(Number(url.port), url.hostname)
  await proxy.listen()
  const pool = new pg.Pool({ connectionString: withPort(url, proxy.port).href, max })
  t.teardown(async () => { await pool.end(); await proxy.stop() })
  const check = checks.postgres(pool)
  t.match(await run(check), { status: 'pass' })
  return { pool, proxy, check }
}

t.test('checks.postgres(pool): a timed-out client is destroyed, never returned to the pool', async (t) => {
  const setup = await pgPoolBehindProxy(t, 1)
  if (setup === undefined) return
  const { pool, proxy, check } = setup
  // The pooled connection dies mid-query: what is sent on it is lost for good.
  proxy.dropOpen()
  t.match(await run(check, 100), { status: 'fail', output: 'timeout: no result within 100 ms' })
  // Returned to the pool, that client would take every later query with it.
  t.match(await run(check, 2000), { status: 'pass' }, 'the next run gets a fresh connection')
  t.equal(pool.waitingCount, 0)
})

t.test('checks.postgres(pool) against a server that accepts and never answers: one connection attempt at a time', async (t) => {
  const setup = await pgPoolBehindProxy(t, 3)
  if (setup === undefined) return
  const { pool, proxy, check } = setup
  proxy.setMode('blackhole')
  const outputs = new Set<string | undefined>()
  for (let i = 0; i < 20; i++) outputs.add((await run(check, 20)).output)
  t.same([...outputs], ['timeout: no result within 20 ms'])
  t.equal(pool.waitingCount, 0, 'no request of the check waits for a pool client')
  t.ok(pool.totalCount <= 2, `${pool.totalCount} pool clients: the timed-out one destroyed, at most one attempt pending`)
  t.equal(await Promise.race([pool.query('SELECT 1').then(() => 'served'), new Promise((resolve) => setTimeout(resolve, 50, 'queued'))]), 'queued', '(the server answers no one)')
  proxy.setMode('pass')
  await untilStatus(check, 'pass', 'recovery once the server answers')
  t.equal(pool.waitingCount, 0)
})

t.test('checks.redis() against a server that accepts and never answers: one PING in the queue, shared by later runs', async (t) => {
  const url = await service(t, 'redis')
  if (url === undefined) return
  const proxy = new FaultProxy(Number(url.port), url.hostname)
  await proxy.listen()
  const client = new IORedis(withPort(url, proxy.port).href, { maxRetriesPerRequest: 0 })
  t.teardown(async () => { client.disconnect(); await proxy.stop() })
  const check = checks.redis(client)
  await untilStatus(check, 'pass', 'the client to connect')
  proxy.setMode('blackhole')
  for (let i = 0; i < 20; i++) t.equal((await run(check, 10)).status, 'fail')
  t.equal((client as unknown as { commandQueue: { length: number } }).commandQueue.length, 1, 'one PING waiting, not twenty')
  proxy.setMode('pass')
  t.match(await run(check), { status: 'pass' }, 'the next run reads the answer to that PING')
})

t.test('checks.mqtt() against a broker that accepts and never answers: one publish waiting, shared by later runs', async (t) => {
  const url = await service(t, 'mqtt')
  if (url === undefined) return
  const proxy = new FaultProxy(Number(url.port), url.hostname)
  await proxy.listen()
  const client = await mqttJs.connectAsync(withPort(url, proxy.port).href, { reconnectPeriod: 20, keepalive: 60 })
  client.on('error', () => {})
  t.teardown(async () => { await client.endAsync(true); await proxy.stop() })
  const check = checks.mqtt(client)
  t.match(await run(check), { status: 'pass' })
  proxy.setMode('blackhole')
  for (let i = 0; i < 20; i++) t.equal((await run(check, 10)).status, 'fail')
  t.equal(Object.keys((client as unknown as { outgoing: Record<string, unknown> }).outgoing).length, 1, 'one publish awaiting its PUBACK, not twenty')
  proxy.setMode('pass')
  t.match(await run(check), { status: 'pass' }, 'the next run reads the PUBACK of that publish')
})
