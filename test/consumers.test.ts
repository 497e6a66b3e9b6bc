// Each built-in consumer against its real broker: a shutdown under load takes nothing after it
// began, finishes and acknowledges what was running, gives back what was not, and leaves the rest
// for the next consumer at once. The same scenarios run for every broker (BROKERS below).
import t from 'tap'
import { randomUUID } from 'node:crypto'
import amqplib from 'amqplib'
import { connect as natsConnect, AckPolicy, type NatsConnection } from 'nats'
import Redis from 'ioredis'
import { createClient } from 'redis'
import { Queue, Worker as BullWorker } from 'bullmq'
import { build, logCollector, until, type TestContext } from './lib/helpers'
import { service, type ServiceName } from './lib/services'
import { FaultProxy } from './lib/proxy'
import zeroDowntime = require('../lib/index')

const { consumers } = zeroDowntime

type Handler = (id: string, context: { signal: AbortSignal }) => Promise<void>

interface Broker {
  name: string
  service: ServiceName
  /** A fresh queue with `ids` in it, a worker that consumes it (through `port`, a proxy, if given), and a reader of what is left. */
  setup: (t: TestContext, url: URL, ids: string[], handler: Handler, port?: number, concurrency?: number) => Promise<{
    worker: zeroDowntime.Worker
    /** Takes every message left in the queue within `ms`, with the time each arrived. */
    rest: (ms: number) => Promise<Array<{ id: string, at: number }>>
  }>
}

const settle = async (ms: number): Promise<void> => await new Promise((resolve) => setTimeout(resolve, ms))

/** A fresh RabbitMQ queue on a connection of its own, deleted and closed after the test. */
async function amqpQueue (t: TestContext, url: URL): Promise<{ queue: string, connection: amqplib.ChannelModel, channel: amqplib.Channel }> {
  const queue = `zd-${randomUUID()}`
  const connection = await amqplib.connect(url.href)
  const channel = await connection.createChannel()
  await channel.assertQueue(queue, { durable: false })
  t.teardown(async () => { await channel.deleteQueue(queue).catch(() => {}); await connection.close().catch(() => {}) })
  return { queue, connection, channel }
}

const BROKERS: Broker[] = [
  {
    name: 'amqplib',
    service: 'amqp',
    setup: async (t, url, ids, handler, port, concurrency = 2) => {
      const { queue, connection: admin, channel: adminChannel } = await amqpQueue(t, url)
      for (const id of ids) adminChannel.sendToQueue(queue, Buffer.from(id))
      const target = new URL(url.href)
      if (port !== undefined) target.port = String(port)
      const connection = await amqplib.connect(target.href)
      connection.on('error', () => {})
      t.teardown(async () => await connection.close().catch(() => {}))
      const channel = await connection.createChannel()
      channel.on('error', () => {})
      const worker = consumers.amqp(channel, { queue, prefetch: 10, concurrency, handler: async (message, context) => { await handler(String(message.content), context) } })
      return {
        worker,
        rest: async (ms) => {
          const got: Array<{ id: string, at: number }> = []
          const reader = await admin.createChannel()
          await reader.consume(queue, (message) => { if (message !== null) { got.push({ id: String(message.content), at: Date.now() }); reader.ack(message) } })
          await settle(ms)
          await reader.close()
          return got
        }
      }
    }
  },
  {
    name: 'nats JetStream',
    service: 'nats',
    setup: async (t, url, ids, handler, port, concurrency = 2) => {
      const stream = `zd_${randomUUID().replaceAll('-', '')}`
      const nc = await natsConnect({ servers: url.host })
      t.teardown(async () => await nc.close())
      const jsm = await nc.jetstreamManager()
      await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] })
      t.teardown(async () => await jsm.streams.delete(stream).catch(() => {}))
      await jsm.consumers.add(stream, { durable_name: 'workers', ack_policy: AckPolicy.Explicit, ack_wait: 2_000_000_000 })
      const js = nc.jetstream()
      for (const id of ids) await js.publish(`${stream}.jobs`, id)
      let consumerConnection: NatsConnection = nc
      if (port !== undefined) {
        consumerConnection = await natsConnect({ servers: `127.0.0.1:${port}`, reconnect: false })
        t.teardown(async () => await consumerConnection.close().catch(() => {}))
      }
      const worker = consumers.jetstream(consumerConnection.jetstream(), { stream, consumer: 'workers', concurrency, handler: async (message, context) => { await handler(new TextDecoder().decode(message.data), context) } })
      return {
        worker,
        rest: async (ms) => {
          const got: Array<{ id: string, at: number }> = []
          const consumer = await js.consumers.get(stream, 'workers')
          const started = Date.now()
          while (Date.now() - started < ms) {
            const batch = await consumer.fetch({ max_messages: 100, expires: 1000 })
            for await (const message of batch) { got.push({ id: new TextDecoder().decode(message.data), at: Date.now() }); message.ack() }
          }
          return got
        }
      }
    }
  },
  {
    name: 'Redis streams (ioredis)',
    service: 'redis',
    setup: async (t, url, ids, handler, port, concurrency = 2) => {
      const stream = `zd-${randomUUID()}`
      const admin = new Redis(url.href)
      t.teardown(async () => { await admin.del(stream); admin.disconnect() })
      await admin.xgroup('CREATE', stream, 'workers', '$', 'MKSTREAM')
      for (const id of ids) await admin.xadd(stream, '*', 'id', id)
      const target = new URL(url.href)
      if (port !== undefined) target.port = String(port)
      const client = new Redis(target.href, { maxRetriesPerRequest: 0, retryStrategy: () => null })
      client.on('error', () => {})
      t.teardown(() => client.disconnect())
      const worker = consumers.redisStream(client, { stream, group: 'workers', consumer: 'one', concurrency, block: 2000, handler: async (entry, context) => { await handler(entry.fields.id, context) } })
      return {
        worker,
        rest: async (ms) => {
          const got: Array<{ id: string, at: number }> = []
          const started = Date.now()
          while (Date.now() - started < ms) {
            // As a consumer that starts after the roll would: new entries, and those the old one left pending.
            const claimed = await admin.xautoclaim(stream, 'workers', 'two', 0, '0-0', 'COUNT', 100) as [string, Array<[string, string[]]>]
            const read = await admin.xreadgroup('GROUP', 'workers', 'two', 'COUNT', 100, 'BLOCK', 200, 'STREAMS', stream, '>') as Array<[string, Array<[string, string[]]>]> | null
            for (const [entryId, fields] of [...claimed[1], ...(read?.[0]?.[1] ?? [])]) {
              got.push({ id: fields[1], at: Date.now() })
              await admin.xack(stream, 'workers', entryId)
            }
          }
          return got
        }
      }
    }
  }
]

// Ids m0..m(n-1); the handler records what started and finished, and can be held.
function recorder (): { started: string[], done: string[], handler: (hold?: (id: string, signal: AbortSignal) => Promise<void>) => Handler } {
  const started: string[] = []
  const done: string[] = []
  return {
    started,
    done,
    handler: (hold) => async (id, { signal }) => {
      started.push(id)
      await (hold?.(id, signal) ?? settle(20))
      done.push(id)
    }
  }
}

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `m${i}`)

for (const broker of BROKERS) {
  t.test(`${broker.name}: a shutdown under load takes nothing after it began, loses nothing, does nothing twice`, async (t) => {
    const url = await service(t, broker.service)
    if (url === undefined) return
    const all = ids(40)
    const { started, done, handler } = recorder()
    const { worker, rest } = await broker.setup(t, url, all, handler())
    const app = await build(t)
    app.health.worker('jobs', worker)
    await app.ready()
    await until(() => done.length >= 6, 'some messages handled')
    const startedBefore = started.length
    const began = Date.now()
    const report = await app.health.shutdown()
    t.ok(report.clean, report.problems.join('; '))
    t.same(started.slice(startedBefore).length, 0, 'no message started after the shutdown began')
    t.same([...done].sort(), [...started].sort(), 'every message started was finished')
    const left = await rest(1500)
    const seen = [...done, ...left.map((m) => m.id)]
    t.same([...seen].sort(), [...all].sort(), 'every message handled exactly once, by the old consumer or the next')
    t.ok(left.length > 0 && left[0].at - began < 1500, `what was left was available at once (first after ${left[0]?.at - began} ms)`)
  })

  t.test(`${broker.name}: a handler that never finishes is cut at the timeout and its message handed on`, async (t) => {
    const url = await service(t, broker.service)
    if (url === undefined) return
    const { started, handler } = recorder()
    let aborted = false
    const { worker, rest } = await broker.setup(t, url, ['stuck'], handler(async (_id, signal) => {
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => { aborted = true; resolve() }))
      await new Promise(() => {})
    }))
    const app = await build(t)
    app.health.worker('jobs', worker, { timeout: 200 })
    await app.ready()
    await until(() => started.length === 1, 'the message started')
    const report = await app.health.shutdown()
    t.notOk(report.clean)
    t.match(report.workers.find((w) => w.name === 'jobs'), { outcome: 'cut', cut: 1 })
    t.ok(aborted, 'the handler\'s signal aborted at the timeout')
    if (broker.service !== 'redis') {
      t.same((await rest(1500)).map((m) => m.id), ['stuck'], 'given back: the next consumer gets it at once')
    } else {
      t.same((await rest(500)).map((m) => m.id), ['stuck'], 'left pending: the next consumer claims it')
    }
  })

  t.test(`${broker.name}: the broker goes away mid-drain: the stop ends at once, reports the unacknowledged work, nothing is lost`, async (t) => {
    const url = await service(t, broker.service)
    if (url === undefined) return
    const proxy = new FaultProxy(Number(url.port), url.hostname)
    await proxy.listen()
    t.teardown(async () => await proxy.stop())
    const { started, handler } = recorder()
    let release: () => void = () => {}
    const held = new Promise<void>((resolve) => { release = resolve })
    const { worker, rest } = await broker.setup(t, url, ['in-flight'], handler(async () => await held), proxy.port)
    const app = await build(t)
    app.health.worker('jobs', worker, { timeout: 5000 })
    await app.ready()
    await until(() => started.length === 1, 'the message started')
    const began = Date.now()
    const shutdown = app.health.shutdown()
    proxy.setMode('reset')
    release()
    const report = await shutdown
    t.ok(Date.now() - began < 4000, `not held until the timeout (${Date.now() - began} ms)`)
    t.notOk(report.clean, 'its acknowledgement could not be sent: the broker will redeliver it')
    t.match(report.workers.find((w) => w.name === 'jobs'), { outcome: 'cut' })
    // JetStream hands an unacknowledged message on after the consumer's ack_wait (2 s here).
    t.same((await rest(broker.service === 'nats' ? 4000 : 2500)).map((m) => m.id), ['in-flight'], 'the broker handed it on')
  })
}

for (const broker of BROKERS) {
  t.test(`${broker.name}: a consumer whose every slot is busy stops once its handlers finish, not at its timeout`, async (t) => {
    const url = await service(t, broker.service)
    if (url === undefined) return
    const { started, done, handler } = recorder()
    const { worker, rest } = await broker.setup(t, url, ids(3), handler(async () => await settle(300)), undefined, 1)
    const app = await build(t)
    app.health.worker('jobs', worker, { timeout: 20000 })
    await app.ready()
    await until(() => started.length === 1, 'the first message started')
    const began = Date.now()
    const report = await app.health.shutdown()
    t.ok(report.clean, report.problems.join('; '))
    t.ok(Date.now() - began < 5000, `stopped after the running handler, not at the timeout (${Date.now() - began} ms)`)
    t.same(done, started)
    t.same((await rest(1500)).length + done.length, 3, 'the others were left for the next consumer')
  })
}

t.test('amqplib: a message delivered while the consumer is being cancelled is given back at once; a deleted queue ends the deliveries', async (t) => {
  const url = await service(t, 'amqp')
  if (url === undefined) return
  const { queue, channel } = await amqpQueue(t, url)
  const handled: string[] = []
  const app = await build(t)
  app.health.worker('jobs', consumers.amqp(channel, { queue, handler: (message) => { handled.push(String(message.content)) } }))
  // Published on the consumer's own channel before the cancel: the broker delivers it before cancel-ok.
  app.health.onStateChange((state) => { if (state === 'draining') channel.sendToQueue(queue, Buffer.from('late')) })
  await app.ready()
  t.ok((await app.health.shutdown()).clean)
  t.same(handled, [], 'nothing taken after the shutdown began')
  const check = await channel.checkQueue(queue)
  t.equal(check.messageCount, 1, 'the late message is back in its queue')

  const other = `zd-${randomUUID()}`
  await channel.assertQueue(other, { durable: false })
  const { stream, lines } = logCollector()
  const second = await build(t, {}, { logger: { stream, level: 'info' } })
  second.health.worker('jobs', consumers.amqp(channel, { queue: other, handler: () => {} }))
  await second.ready()
  await until(() => lines.some((l) => l.msg === 'worker "jobs" started'), 'the consumer')
  await channel.deleteQueue(other)
  await until(() => lines.some((l) => l.msg === `consumer: the broker cancelled the consumer of queue "${other}" (deleted?): no more messages come`), 'the cancel')
  t.ok((await second.health.shutdown()).clean, 'a consumer the broker cancelled stops cleanly')
})

t.test('JetStream and Redis streams: a read that fails (consumer or group deleted) is logged and retried; the consumer goes on', async (t) => {
  for (const name of ['nats', 'redis'] as const) {
    const url = await service(t, name)
    if (url === undefined) return
    const { stream, lines } = logCollector()
    const handled: string[] = []
    const app = await build(t, {}, { logger: { stream, level: 'info' } })
    const key = `zd_${randomUUID().replaceAll('-', '')}`
    let add: () => Promise<void>
    if (name === 'nats') {
      const nc = await natsConnect({ servers: url.host })
      t.teardown(async () => await nc.close())
      const jsm = await nc.jetstreamManager()
      await jsm.streams.add({ name: key, subjects: [`${key}.>`] })
      t.teardown(async () => await jsm.streams.delete(key).catch(() => {}))
      await jsm.consumers.add(key, { durable_name: 'workers', ack_policy: AckPolicy.Explicit })
      app.health.worker('jobs', consumers.jetstream(nc.jetstream(), { stream: key, consumer: 'workers', handler: (m) => { handled.push(new TextDecoder().decode(m.data)) } }))
      await app.ready()
      await until(() => lines.some((l) => l.msg === 'worker "jobs" started'), 'the consumer started')
      await jsm.consumers.delete(key, 'workers')
      await until(() => lines.some((l) => l.msg === 'consumer: pull failed; retrying in 1 s'), 'the failure logged')
      await jsm.consumers.add(key, { durable_name: 'workers', ack_policy: AckPolicy.Explicit })
      add = async () => { await nc.jetstream().publish(`${key}.jobs`, 'after') }
    } else {
      const client = new Redis(url.href)
      t.teardown(async () => { await client.del(key); client.disconnect() })
      app.health.worker('jobs', consumers.redisStream(client, { stream: key, group: 'workers', block: 100, handler: (entry) => { handled.push(entry.fields.id) } }))
      await app.ready()
      await until(() => lines.some((l) => l.msg === 'worker "jobs" started'), 'the consumer started')
      await client.xgroup('DESTROY', key, 'workers')
      await until(() => lines.some((l) => l.msg === 'consumer: read failed; retrying in 1 s'), 'the failure logged')
      await client.xgroup('CREATE', key, 'workers', '$')
      add = async () => { await client.xadd(key, '*', 'id', 'after') }
    }
    // Published until the consumer, back from its retry, takes one.
    await until(() => { add().catch(() => {}); return handled.includes('after') }, 'a message after the recovery', 10000)
    t.ok((await app.health.shutdown()).clean)
  }
})

t.test('amqplib: a handler that throws requeues its message (or drops it with requeueOnError: false); the consumer keeps going', async (t) => {
  const url = await service(t, 'amqp')
  if (url === undefined) return
  const { stream, lines } = logCollector()
  for (const requeueOnError of [true, false]) {
    const { queue, channel } = await amqpQueue(t, url)
    let failures = 0
    const handled: string[] = []
    const app = await build(t, {}, { logger: { stream, level: 'info' } })
    app.health.worker('jobs', consumers.amqp(channel, {
      queue,
      requeueOnError,
      handler: (message) => {
        // Something that is not an Error is a failure too.
        if (String(message.content) === 'bad' && failures++ === 0) throw (requeueOnError ? new Error('token=abcd1234secret failed') : undefined)
        handled.push(String(message.content))
      }
    }))
    await app.ready()
    channel.sendToQueue(queue, Buffer.from('bad'))
    channel.sendToQueue(queue, Buffer.from('good'))
    await until(() => handled.includes('good') && (!requeueOnError || handled.includes('bad')), 'the messages')
    t.same(handled, requeueOnError ? ['good', 'bad'] : ['good'])
    t.ok((await app.health.shutdown()).clean)
  }
  t.ok(lines.some((l) => l.msg === 'consumer: handler failed; requeued'))
  t.ok(lines.some((l) => l.msg === 'consumer: handler failed; rejected'))
  t.notMatch(JSON.stringify(lines), /abcd1234secret/)
})

t.test('JetStream and Redis streams: a handler that throws gives its message back; it is handled again', async (t) => {
  for (const broker of BROKERS.slice(1)) {
    const url = await service(t, broker.service)
    if (url === undefined) return
    let failures = 0
    const handled: string[] = []
    const { worker } = await broker.setup(t, url, ['bad'], async (id) => {
      if (failures++ === 0) throw new Error('first try fails')
      handled.push(id)
    })
    const app = await build(t)
    app.health.worker('jobs', worker)
    await app.ready()
    if (broker.service === 'nats') await until(() => handled.includes('bad'), 'the retry')
    else await until(() => failures === 1, 'the failure')
    t.ok((await app.health.shutdown()).clean)
  }
})

t.test('Redis streams with node-redis and ioredis over RESP2: the consumer leaves the group once its pending list is empty', async (t) => {
  const url = await service(t, 'redis')
  if (url === undefined) return
  const admin = createClient({ url: url.href })
  await admin.connect()
  t.teardown(async () => await admin.close())
  const node = createClient({ url: url.href })
  await node.connect()
  t.teardown(async () => await node.close())
  const io = new Redis(url.href, { protocol: 2 })
  t.teardown(() => io.disconnect())
  for (const client of [node, io]) {
    const stream = `zd-${randomUUID()}`
    t.teardown(async () => await admin.del(stream))
    // Created first, so that an entry added before the consumer's start is not missed.
    await admin.xGroupCreate(stream, 'workers', '0', { MKSTREAM: true })
    const handled: string[] = []
    const app = await build(t)
    app.health.worker('jobs', consumers.redisStream(client as never, { stream, group: 'workers', claimIdle: 0, handler: (entry) => { handled.push(entry.fields.id) } }))
    await app.ready()
    await admin.xAdd(stream, '*', { id: 'a' })
    await until(() => handled.includes('a'), 'the entry')
    t.same((await admin.xInfoConsumers(stream, 'workers')).length, 1)
    const began = Date.now()
    t.ok((await app.health.shutdown()).clean)
    t.ok(Date.now() - began < 2000, 'the blocking read was interrupted, not waited out')
    t.same(await admin.xInfoConsumers(stream, 'workers'), [], 'removed from the group')
    t.same(await admin.xPending(stream, 'workers'), { pending: 0, firstId: null, lastId: null, consumers: null })
  }
})

t.test('BullMQ: the worker\'s own close waits for the active job; a job still active at the timeout is counted', async (t) => {
  const url = await service(t, 'redis')
  if (url === undefined) return
  for (const hang of [false, true]) {
    const name = `zd-${randomUUID()}`
    const connection = { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null }
    const queue = new Queue(name, { connection })
    t.teardown(async () => { await queue.obliterate({ force: true }).catch(() => {}); await queue.close() })
    let started = 0
    let finished = 0
    // The hanging job is released once the test is over, so that BullMQ's own close can end.
    let release: () => void = () => {}
    const released = new Promise<void>((resolve) => { release = resolve })
    const worker = new BullWorker(name, async () => {
      started++
      await (hang ? released : settle(100))
      finished++
    }, { connection, autorun: false })
    t.teardown(async () => { release(); await worker.close() })
    const app = await build(t)
    app.health.worker('jobs', consumers.bullmq(worker), { timeout: hang ? 300 : 5000 })
    await app.ready()
    await queue.add('job', {})
    await until(() => started === 1, 'the job started')
    const report = await app.health.shutdown()
    if (hang) {
      t.notOk(report.clean)
      t.match(report.workers.find((w) => w.name === 'jobs'), { outcome: 'cut', cut: 1 })
    } else {
      t.ok(report.clean, report.problems.join('; '))
      t.equal(finished, 1, 'the active job finished before the stop resolved')
    }
  }
})

t.test('amqplib: the channel closed under a running handler: its ack is not sent, the work is counted as cut, the broker requeues it', async (t) => {
  const url = await service(t, 'amqp')
  if (url === undefined) return
  const { queue, channel: adminChannel } = await amqpQueue(t, url)
  const connection = await amqplib.connect(url.href)
  t.teardown(async () => await connection.close().catch(() => {}))
  const channel = await connection.createChannel()
  let release: () => void = () => {}
  const held = new Promise<void>((resolve) => { release = resolve })
  let started = false
  const app = await build(t)
  app.health.worker('jobs', consumers.amqp(channel, { queue, handler: async () => { started = true; await held } }))
  await app.ready()
  adminChannel.sendToQueue(queue, Buffer.from('one'))
  await until(() => started, 'the handler')
  const shutdown = app.health.shutdown()
  await channel.close()
  release()
  const report = await shutdown
  t.match(report.workers.find((w) => w.name === 'jobs'), { outcome: 'cut', cut: 1 })
  t.equal((await adminChannel.checkQueue(queue)).messageCount, 1, 'requeued by the broker')
})

t.test('Redis streams: entries a dead consumer left pending are claimed and handled; a start that fails makes liveness fail', async (t) => {
  const url = await service(t, 'redis')
  if (url === undefined) return
  const stream = `zd-${randomUUID()}`
  const admin = new Redis(url.href)
  t.teardown(async () => { await admin.del(stream); admin.disconnect() })
  await admin.xgroup('CREATE', stream, 'workers', '$', 'MKSTREAM')
  await admin.xadd(stream, '*', 'id', 'orphan')
  // Read by a consumer that then died without acknowledging it.
  await admin.xreadgroup('GROUP', 'workers', 'dead', 'COUNT', 1, 'STREAMS', stream, '>')
  const handled: string[] = []
  const app = await build(t)
  app.health.worker('jobs', consumers.redisStream(admin, { stream, group: 'workers', consumer: 'alive', claimIdle: 1, block: 100, handler: (entry) => { handled.push(entry.fields.id) } }))
  await app.ready()
  await until(() => handled.includes('orphan'), 'the orphan claimed')
  t.ok((await app.health.shutdown()).clean)
  t.same(await admin.xpending(stream, 'workers'), [0, null, null, null], 'acknowledged')

  // An entry added as the shutdown begins, before the stop's CLIENT UNBLOCK on the same connection:
  // the blocked read brings it. It is not started but handed on, and claimed at once by the next consumer.
  const late = await build(t)
  const taken: string[] = []
  late.health.worker('jobs', consumers.redisStream(admin, { stream, group: 'workers', consumer: 'leaving', block: 5000, handler: (entry) => { taken.push(entry.fields.id) } }))
  late.health.onStateChange((state) => { if (state === 'draining') admin.xadd(stream, '*', 'id', 'late') })
  await late.ready()
  // Until the reader's XREADGROUP is blocked on the server.
  while (!(await admin.client('LIST') as string).includes('cmd=xreadgroup')) await settle(10)
  t.ok((await late.health.shutdown()).clean)
  t.same(taken, [], 'nothing started once the shutdown began')
  const claimed = await admin.xautoclaim(stream, 'workers', 'next', 60000, '0-0') as [string, Array<[string, string[]]>]
  t.same(claimed[1].map(([, fields]) => fields[1]), ['late'], 'handed on: the next consumer claims it at once, whatever its claimIdle')

  const wrong = `zd-${randomUUID()}`
  await admin.set(wrong, 'not a stream')
  t.teardown(async () => await admin.del(wrong))
  const broken = await build(t)
  broken.health.worker('jobs', consumers.redisStream(admin, { stream: wrong, group: 'workers', handler: () => {} }))
  await broken.ready()
  await until(() => broken.health.report('live').status === 'fail', 'liveness to fail')
  t.ok((await broken.health.shutdown()).clean)
})

t.test('consumers: bad clients and options are coded errors naming what was wrong', async (t) => {
  const handler = (): void => {}
  const expect = (fn: () => unknown, code: string, message: RegExp): void => { t.throws(fn, { code, message }) }
  expect(() => consumers.amqp({} as never, { queue: 'q', handler }), 'FST_ZD_INVALID_CLIENT', /^consumers\.amqp\(\) needs an amqplib channel \(connection\.createChannel\(\)\), got an object$/)
  const channel = { consume () {}, cancel () {}, ack () {}, nack () {}, prefetch () {}, checkQueue () {}, once () {} }
  expect(() => consumers.amqp(channel as never, { queue: '', handler }), 'FST_ZD_INVALID_ARGUMENT', /consumers\.amqp option "queue": got "", expected the name of the queue to consume/)
  expect(() => consumers.amqp(channel as never, { queue: 'q', handler, prefetch: 0 }), 'FST_ZD_INVALID_ARGUMENT', /option "prefetch": got 0, expected an integer from 1 to 65535/)
  expect(() => consumers.amqp(channel as never, { queue: 'q', handler: 'x' as never }), 'FST_ZD_INVALID_ARGUMENT', /consumers\.amqp option "handler": got "x", expected a function/)
  expect(() => consumers.amqp(channel as never, { queue: 'q', handler, concurrency: 0 }), 'FST_ZD_INVALID_ARGUMENT', /option "concurrency": got 0, expected an integer from 1 to 10000/)
  expect(() => consumers.amqp(channel as never, undefined as never), 'FST_ZD_INVALID_ARGUMENT', /^Invalid argument to consumers\.amqp: got undefined, expected an options object \{ handler, concurrency, queue, prefetch, requeueOnError \}$/)
  expect(() => consumers.amqp(channel as never, { queue: 'q', handler, prefech: 5 } as never), 'FST_ZD_INVALID_ARGUMENT', /got an unknown option "prefech", expected one of the known options: handler, concurrency, queue, prefetch, requeueOnError \(did you mean "prefetch"\?\)$/)
  expect(() => consumers.jetstream({} as never, { stream: 's', consumer: 'c', handler }), 'FST_ZD_INVALID_CLIENT', /^consumers\.jetstream\(\) needs a JetStream client \(nc\.jetstream\(\)\)/)
  const js = { consumers: { get () {} } }
  expect(() => consumers.jetstream(js as never, { stream: 's', consumer: '', handler }), 'FST_ZD_INVALID_ARGUMENT', /option "consumer": got "", expected the consumer's name/)
  expect(() => consumers.jetstream(js as never, { stream: 's', consumer: 'c', handler, expires: 500 }), 'FST_ZD_INVALID_ARGUMENT', /option "expires": got 500, expected milliseconds from 1000 to 60000/)
  expect(() => consumers.redisStream({ duplicate () {} } as never, { stream: 's', group: 'g', handler }), 'FST_ZD_INVALID_CLIENT', /^consumers\.redisStream\(\) needs an ioredis or node-redis client/)
  const redis = { duplicate () {}, call () {} }
  expect(() => consumers.redisStream(redis as never, { stream: 's', group: '', handler }), 'FST_ZD_INVALID_ARGUMENT', /option "group": got "", expected the group's name/)
  expect(() => consumers.redisStream(redis as never, { stream: 's', group: 'g', handler, block: -1 }), 'FST_ZD_INVALID_ARGUMENT', /option "block": got -1/)
  expect(() => consumers.redisStream(redis as never, { stream: 's', group: 'g', handler, claimIdle: 1.5 }), 'FST_ZD_INVALID_ARGUMENT', /option "claimIdle": got 1\.5/)
  expect(() => consumers.bullmq({ run () {} } as never), 'FST_ZD_INVALID_CLIENT', /^consumers\.bullmq\(\) needs a BullMQ Worker/)
  expect(() => consumers.jetstream(js as never, { stream: 's', consumer: 'c', handler, expire: 5000 } as never), 'FST_ZD_INVALID_ARGUMENT', /known options: handler, concurrency, stream, consumer, expires \(did you mean "expires"\?\)$/)
  expect(() => consumers.redisStream(redis as never, { stream: 's', group: 'g', handler, claimidle: 5 } as never), 'FST_ZD_INVALID_ARGUMENT', /known options: handler, concurrency, stream, group, consumer, block, claimIdle \(did you mean "claimIdle"\?\)$/)
})
