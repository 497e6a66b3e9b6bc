import t from 'tap'
import { randomUUID } from 'node:crypto'
import amqplib from 'amqplib'
import { service } from './lib/services'
import { spawnFixture } from './lib/process'
import { exclusively } from './lib/exclusive'

// Issue 24's promise, as the demo measures it: long-lived work of every kind (WebSockets, SSE,
// RabbitMQ, JetStream and Redis streams consumers) rolled behind an L4 balancer under load, with
// the plugin's workers and with the naive variant. Real child processes receive real SIGTERMs.
t.setTimeout(600000)
// One rolling-deploy test at a time (test/lib/exclusive.ts).
t.before(async () => { await exclusively(t) })

t.test('a rolling deploy of long-lived work: the plugin cuts, loses, repeats and takes late nothing; the naive variant does', async (t) => {
  const urls = { redis: await service(t, 'redis'), amqp: await service(t, 'amqp'), nats: await service(t, 'nats') }
  if (urls.redis === undefined || urls.amqp === undefined || urls.nats === undefined) return
  const { rollLongLived, table } = await import('../demo/long-lived.mjs')
  const options = { rolls: 1, clients: 10, urls: { redis: urls.redis.href, amqp: urls.amqp.href, nats: urls.nats.host }, onProgress: (line: string) => t.comment(line) }
  const plugin = await rollLongLived({ ...options, variant: 'plugin' })
  const naive = await rollLongLived({ ...options, variant: 'naive' })
  t.comment(`\n${table([plugin, naive])}`)
  t.equal(plugin.ws.abnormal, 0, 'no WebSocket closed without a close frame')
  t.ok(plugin.ws.clean >= 10, 'each client was told to go, and reconnected')
  t.equal(plugin.sse.abnormal, 0, 'no stream cut')
  t.same([plugin.sse.missed, plugin.sse.duplicated], [0, 0], 'no event missed or repeated')
  for (const [kind, queue] of Object.entries(plugin.queues) as Array<[string, { published: number, lost: number, duplicated: number }]>) {
    t.ok(queue.published > 50, `${kind}: ${queue.published} published`)
    t.same([queue.lost, queue.duplicated], [0, 0], `${kind}: nothing lost or handled twice`)
    t.ok(queue.waitMs < 3000, `${kind}: every message handled within 3 s of its publication, rolls included (longest ${queue.waitMs} ms)`)
  }
  t.equal(plugin.takenLate, 0, 'no message taken after SIGTERM')
  t.same(new Set(plugin.exits), new Set([0]), 'every instance exited 0')
  t.ok(naive.takenLate > 0, `the naive variant kept taking messages after SIGTERM (${naive.takenLate})`)
})

t.test('a real SIGTERM to a consumer whose handler never finishes: cut at the worker\'s timeout, given back, exit 1', async (t) => {
  const url = await service(t, 'amqp')
  if (url === undefined) return
  const queue = `zd-${randomUUID()}`
  const connection = await amqplib.connect(url.href)
  t.teardown(async () => await connection.close())
  const channel = await connection.createChannel()
  await channel.assertQueue(queue, { durable: false })
  t.teardown(async () => await channel.deleteQueue(queue))
  const app = await spawnFixture(t, 'hung-consumer', { AMQP_URL: url.href, QUEUE: queue })
  channel.sendToQueue(queue, Buffer.from('one'))
  await app.waitFor(/hung-consumer: message started/)
  const began = Date.now()
  app.child.kill('SIGTERM')
  const { code } = await app.exited
  t.equal(code, 1, 'unclean: exit 1')
  t.ok(Date.now() - began < 5000, `bounded by the worker's timeout (${Date.now() - began} ms)`)
  t.match(await app.waitFor(/cut 1 unit\(s\) of work short/), { worker: 'orders', cut: 1 })
  t.match(await app.waitFor(/shutdown failed \(exit code 1\)/), { reason: /worker "orders" cut 1 unit\(s\) of work short at its timeout/ })
  t.equal((await channel.checkQueue(queue)).messageCount, 1, 'the message is back in its queue')
})
