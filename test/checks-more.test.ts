import t from 'tap'
import Fastify from 'fastify'
import { createServer } from 'node:net'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import pg from 'pg'
import postgresJs from 'postgres'
import mysql2 from 'mysql2'
import mysql2Promise from 'mysql2/promise'
import IORedis from 'ioredis'
import { createClient } from 'redis'
import amqplib from 'amqplib'
import { connect as natsConnect } from 'nats'
import mqttJs from 'mqtt'
import { checks } from '../lib/index'
import { parseSize } from '../lib/checks/disk'
import { runCheck, type CheckFunction } from '../lib/run-check'
import { build, get, logCollector, until } from './lib/helpers'
import { service } from './lib/services'
import { FaultProxy } from './lib/proxy'

const run = async (check: CheckFunction, timeout = 2000) => await runCheck(check, timeout, new AbortController().signal).outcome

t.test('a factory given something else throws FST_ZD_INVALID_CLIENT naming what it expected', async (t) => {
  const cases: Array<[() => unknown, RegExp]> = [
    [() => checks.postgres({}), /checks.postgres\(\) needs a pg Pool or Client, or a postgres.js sql instance, got an object/],
    [() => checks.postgres(null), /got null/],
    [() => checks.mysql('mysql://root@db'), /checks.mysql\(\) needs a mysql2 pool or connection .*got "mysql:\/\/\[REDACTED\]@db"/],
    [() => checks.redis({ ping () {} }), /checks.redis\(\) needs an ioredis client, or a node-redis \(v5 or later\) client/],
    [() => checks.amqp(42), /checks.amqp\(\) needs an amqplib connection .*got 42/],
    [() => checks.nats(undefined), /checks.nats\(\) needs a NATS connection/],
    [() => checks.mqtt({ connected: true }), /checks.mqtt\(\) needs an mqtt.js client/]
  ]
  for (const [make, message] of cases) t.throws(make, { code: 'FST_ZD_INVALID_CLIENT', message })
})

t.test('pg: a bare Client, and a saturated Pool warns', async (t) => {
  const url = await service(t, 'postgres')
  if (url === undefined) return
  const client = new pg.Client({ connectionString: url.href })
  await client.connect()
  const single = checks.postgres(client)
  t.match(await run(single), { status: 'pass', observedUnit: 'ms' })
  const app = await build(t)
  app.health.check('pg', single, { close: true })
  await app.ready()
  await app.close()
  await t.rejects(client.query('SELECT 1'), 'the client was ended at shutdown')

  const pool = new pg.Pool({ connectionString: url.href, max: 1 })
  t.teardown(() => pool.end())
  const held = await pool.connect()
  const waiter = pool.connect() // waits for the held client
  const check = checks.postgres(pool, { maxWaiting: 0 })
  const outcome = run(check)
  held.release()
  ;(await waiter).release()
  t.match(await outcome, { status: 'warn', output: /pool saturated: \d+ requests waiting/ })
})

t.test('postgres.js: a timed-out check stays in flight until its query ends; it never cancels', async (t) => {
  const url = await service(t, 'postgres')
  if (url === undefined) return
  const sql = postgresJs(url.href, { max: 1, onnotice: () => {} })
  let busyDone = false
  const busy = sql`SELECT pg_sleep(0.3)`.execute().then(() => { busyDone = true })
  const { outcome, settled } = runCheck(checks.postgres(sql), 30, new AbortController().signal)
  t.match(await outcome, { status: 'fail', output: 'timeout: no result within 30 ms' })
  await settled
  t.equal(busyDone, true, 'pipelined behind the busy query, the check settled after it')
  await busy
  t.match(await run(checks.postgres(sql)), { status: 'pass' })
  const app = await build(t)
  app.health.check('pg', checks.postgres(sql), { close: true })
  await app.ready()
  await app.close()
  await t.rejects(sql`SELECT 1`.execute(), { code: 'CONNECTION_ENDED' }, 'ended at shutdown')
})

t.test('mysql2: a single connection, and the promise API wrappers', async (t) => {
  const url = await service(t, 'mysql')
  if (url === undefined) return
  const connection = mysql2.createConnection({ uri: url.href })
  t.match(await run(checks.mysql(connection)), { status: 'pass' })
  const promisePool = mysql2Promise.createPool({ uri: url.href, connectionLimit: 1 })
  t.match(await run(checks.mysql(promisePool)), { status: 'pass' })
  const promiseConnection = await mysql2Promise.createConnection({ uri: url.href })
  const closing = checks.mysql(promiseConnection)
  t.match(await run(closing), { status: 'pass' })
  const app = await build(t)
  app.health.check('conn', closing, { close: true })
  app.health.check('pool', checks.mysql(promisePool), { close: true })
  app.health.check('single', checks.mysql(connection), { close: true })
  await app.ready()
  await app.close()
  await t.rejects(promiseConnection.query('SELECT 1'), 'closed at shutdown')
})

t.test('redis: a server still loading its data set answers LOADING: warn', async (t) => {
  // A stand-in server that answers every command as a loading Redis does: a real one cannot be
  // made to load on demand.
  const loading = createServer((socket) => socket.on('data', (data) => {
    // Each command is a RESP array; its first bulk string is the command's name.
    for (const [, name] of String(data).matchAll(/\*\d+\r\n\$\d+\r\n([A-Za-z]+)\r\n/g)) {
      const command = name.toLowerCase()
      socket.write(command === 'ping' ? '-LOADING Redis is loading the dataset in memory\r\n' : command === 'hello' ? '-ERR unknown command\r\n' : '+OK\r\n')
    }
  }))
  loading.listen(0, '127.0.0.1')
  await once(loading, 'listening')
  t.teardown(() => loading.close())
  const { port } = loading.address() as { port: number }
  const client = new IORedis({ port, host: '127.0.0.1', protocol: 2, enableReadyCheck: false, lazyConnect: true, maxRetriesPerRequest: 0 })
  await client.connect()
  t.teardown(() => client.disconnect())
  t.match(await run(checks.redis(client)), { status: 'warn', output: 'server is loading its data set' })
})

t.test('redis, nats, mqtt, amqp: closed clients fail at once; close: true closes them', async (t) => {
  const [redisUrl, natsUrl, mqttUrl, amqpUrl] = [await service(t, 'redis'), await service(t, 'nats'), await service(t, 'mqtt'), await service(t, 'amqp')]
  if (redisUrl === undefined || natsUrl === undefined || mqttUrl === undefined || amqpUrl === undefined) return
  const io = new IORedis(redisUrl.href)
  const node = createClient({ url: redisUrl.href })
  await node.connect()
  const nc = await natsConnect({ servers: natsUrl.host })
  const mq = await mqttJs.connectAsync(mqttUrl.href)
  const amqp = await amqplib.connect(amqpUrl.href)
  const app = await build(t, { closeTimeout: 1000 })
  const all = { io: checks.redis(io), node: checks.redis(node), nats: checks.nats(nc), mqtt: checks.mqtt(mq), amqp: checks.amqp(amqp) }
  for (const [name, check] of Object.entries(all)) app.health.check(name, check, { close: true })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.equal((await get(app, '/readyz')).status, 200)
  await app.health.shutdown()
  await until(() => io.status === 'end', 'ioredis to end after QUIT')
  t.equal(node.isOpen, false)
  t.equal(nc.isClosed(), true)
  t.equal(mq.connected, false)
  t.match(await run(all.io), { status: 'fail', output: 'not connected (status end)' })
  t.match(await run(all.node), { status: 'fail', output: 'not connected' })
  t.match(await run(all.nats), { status: 'fail', output: 'connection closed' })
  t.match(await run(all.mqtt), { status: 'fail', output: 'not connected' })
  t.match(await run(all.amqp), { status: 'fail' })
})

t.test('amqp: a channel that opens after the timeout is closed at once', async (t) => {
  const url = await service(t, 'amqp')
  if (url === undefined) return
  const connection = await amqplib.connect(url.href)
  t.teardown(() => connection.close())
  let opened = 0
  let closed = 0
  const slow = {
    createChannel: async () => {
      const channel = await connection.createChannel()
      opened++
      channel.on('close', () => { closed++ })
      return channel
    },
    close: async () => {}
  }
  t.match(await run(checks.amqp(slow), 1), { status: 'fail', output: /timeout/ })
  await until(() => closed === 1, 'the late channel to be closed')
  t.equal(opened, 1)
})

t.test('http: GET or HEAD another service\'s probe; status decides; redirects are not followed', async (t) => {
  const upstream = Fastify()
  t.teardown(() => upstream.close())
  let status = 200
  upstream.get('/readyz', async (_request, reply) => reply.code(status).send({ status: status === 200 ? 'pass' : 'fail' }))
  upstream.get('/moved', async (_request, reply) => reply.redirect('/readyz'))
  upstream.get('/hang', async () => await new Promise(() => {}))
  const base = await upstream.listen({ port: 0, host: '127.0.0.1' })
  t.match(await run(checks.http(`${base}/readyz`)), { status: 'pass', observedUnit: 'ms', observedValue: Number })
  t.match(await run(checks.http(new URL(`${base}/readyz`), { method: 'HEAD' })), { status: 'pass' })
  status = 503
  t.match(await run(checks.http(`${base}/readyz`)), { status: 'fail', output: 'status 503, expected 2xx' })
  t.match(await run(checks.http(`${base}/readyz`, { expectStatus: [200, 503] })), { status: 'pass' })
  t.match(await run(checks.http(`${base}/readyz`, { expectStatus: [200, 204] })), { status: 'fail', output: 'status 503, expected 200 or 204' })
  t.match(await run(checks.http(`${base}/moved`)), { status: 'fail', output: 'status 302, expected 2xx' })
  t.match(await run(checks.http(`${base}/moved`, { expectStatus: 302, headers: { 'x-probe': '1' } })), { status: 'pass' })
  t.match(await run(checks.http(`${base}/hang`), 100), { status: 'fail', output: 'timeout: no result within 100 ms' })
  t.match(await run(checks.http('http://127.0.0.1:1/readyz')), { status: 'fail', output: /fetch failed|ECONNREFUSED/ })
})

t.test('http: bad arguments are coded errors', async (t) => {
  t.throws(() => checks.http('billing/readyz'), { code: 'FST_ZD_INVALID_ARGUMENT', message: /checks.http\(\): got "billing\/readyz", expected an absolute http/ })
  t.throws(() => checks.http('ftp://host/x'), { message: /expected an http:\/\/ or https:\/\/ URL/ })
  t.throws(() => checks.http('http://h/x', { method: 'POST' as never }), { message: /option method: got "POST"/ })
  t.throws(() => checks.http('http://h/x', { expectStatus: 99 }), { message: /option expectStatus: got 99/ })
})

t.test('disk: free bytes as observedValue; fail below minFree, warn below warnFree', async (t) => {
  t.match(await run(checks.disk({ path: tmpdir(), minFree: 1 })), { status: 'pass', observedValue: Number, observedUnit: 'bytes' })
  t.match(await run(checks.disk({ path: tmpdir(), minFree: '1 TiB', warnFree: '2TiB' })), { status: 'fail', output: /bytes free, below minFree 1099511627776/ })
  t.match(await run(checks.disk({ path: tmpdir(), minFree: 0, warnFree: '1e3 TB'.replace('1e3 ', '1000') })), { status: 'warn', output: /below warnFree 1000000000000000/ })
  t.match(await run(checks.disk({ path: '/nonexistent/path', minFree: 1 })), { status: 'fail', output: /ENOENT/ })
  t.throws(() => checks.disk({ path: '', minFree: 1 }), { code: 'FST_ZD_INVALID_ARGUMENT', message: /option path: got ""/ })
  t.throws(() => checks.disk({ path: '/', minFree: '1 parsec' }), { message: /option minFree: got "1 parsec", expected bytes, or a size/ })
  t.throws(() => checks.disk({ path: '/', minFree: -1 }), { message: /option minFree: got -1/ })
  t.equal(parseSize('x', '1.5 KiB'), 1536)
  t.equal(parseSize('x', '500MB'), 5e8)
  t.equal(parseSize('x', '42'), 42)
})

t.test('close: true wires the checked client into shutdown; a function works too; misuse is coded', async (t) => {
  const app = await build(t)
  const closed: string[] = []
  const builtIn = checks.disk({ path: tmpdir(), minFree: 0 })
  t.throws(() => app.health.check('disk', builtIn, { close: true }), { code: 'FST_ZD_INVALID_ARGUMENT', message: /option "close": got true, expected a function, or true with a built-in check/ })
  t.throws(() => app.health.check('x', async () => {}, { close: 'yes' as never }), { message: /option "close": got "yes", expected true, or a function/ })
  t.throws(() => app.health.check('x', async () => {}, { close: () => {}, groups: [] }), { message: /"groups"/ })
  t.equal(app.health.checks.length, 1, 'nothing registered by the failed calls but the event-loop check')
  app.health.check('custom', async () => {}, { close: () => { closed.push('custom') } })
  app.health.check('plain', async () => {}, { close: false })
  t.throws(() => app.health.check('custom2', async () => {}, { close: () => {}, critical: 'no' as never }), { message: /"critical"/ })
  await app.ready()
  await app.close()
  t.same(closed, ['custom'])
})

t.test('secrets: clients with passwords in their URLs, at dead ports, never reach a response body', async (t) => {
  const secret = 'Sup3rS3cretPw'
  const { stream, lines } = logCollector()
  for (const details of ['never', 'always'] as const) {
    const app = await build(t, { details, checkTimeout: 300, closeTimeout: 1000 }, { logger: { stream, level: 'info' } })
    const pool = new pg.Pool({ connectionString: `postgres://app:${secret}@127.0.0.1:1/db`, max: 1 })
    const io = new IORedis(`redis://default:${secret}@127.0.0.1:1`, { lazyConnect: true, retryStrategy: () => null })
    io.on('error', () => {})
    const mysqlPool = mysql2.createPool({ uri: `mysql://root:${secret}@127.0.0.1:1/db`, connectionLimit: 1 })
    app.health.check('pg', checks.postgres(pool), { close: true })
    app.health.check('redis', checks.redis(io), { close: () => io.disconnect() })
    app.health.check('mysql', checks.mysql(mysqlPool), { close: true })
    app.health.check('api', checks.http(`http://user:${secret}@127.0.0.1:1/readyz?token=${secret}`))
    await app.listen({ port: 0, host: '127.0.0.1' })
    const bodies = await Promise.all(['/readyz', '/readyz?verbose', '/health', '/readyz/api?verbose', '/readyz/pg?verbose', '/livez?verbose', '/startupz?verbose'].map(async (path) => (await get(app, path)).body))
    t.notOk(bodies.join('\n').includes(secret), `${details}: no body holds the password`)
    if (details === 'always') t.match(bodies.join('\n'), /\[REDACTED\]/, 'the redacted reason is shown')
    await app.close()
  }
  const logged = JSON.stringify(lines)
  t.notOk(logged.includes(secret), 'no log line holds the password')
  t.match(logged, /\[REDACTED\]/, 'logs show it redacted')
})

t.test('mqtt: a client that lost its broker and is reconnecting fails at once', async (t) => {
  const url = await service(t, 'mqtt')
  if (url === undefined) return
  const proxy = new FaultProxy(Number(url.port), url.hostname)
  await proxy.listen()
  const client = await mqttJs.connectAsync(`mqtt://127.0.0.1:${proxy.port}`, { reconnectPeriod: 20 })
  client.on('error', () => {})
  t.teardown(async () => { await client.endAsync(true); await proxy.stop() })
  proxy.setMode('reset')
  await until(() => client.reconnecting, 'the client to start reconnecting')
  t.match(await run(checks.mqtt(client)), { status: 'fail', output: 'not connected (reconnecting)' })
})

t.test('pg Pool: a checked-out client whose connection resets mid-query fails the check, not the app', async (t) => {
  const url = await service(t, 'postgres')
  if (url === undefined) return
  const proxy = new FaultProxy(Number(url.port), url.hostname)
  await proxy.listen()
  const pool = new pg.Pool({ connectionString: Object.assign(new URL(url), { port: String(proxy.port) }).href, max: 1 })
  pool.on('error', () => {})
  t.teardown(async () => { await pool.end(); await proxy.stop() })
  const check = checks.postgres(pool)
  t.match(await run(check), { status: 'pass' })
  proxy.setMode('blackhole')
  const pending = run(check, 10000)
  await until(() => pool.idleCount === 0, 'the client to be checked out')
  proxy.setMode('reset') // the checked-out client's socket errors: without a listener, an uncaught 'error'
  t.match(await pending, { status: 'fail', output: /ECONNRESET|Connection terminated/ })
})
