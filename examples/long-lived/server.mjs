// A service with long-lived work of every kind: WebSocket echo (/ws), Server-Sent Events (/events)
// and three queue consumers (RabbitMQ, NATS JetStream, Redis streams). `npm run demo -- --long-lived`
// rolls it under load; run it alone with `node examples/long-lived/server.mjs` (after npm run build).
//
// VARIANT=plugin (the default) uses the plugin's workers. VARIANT=naive does what the README of
// 0.1 suggested: close sockets and end streams in onDrain, close the clients as resources.
//
// Each message handled is recorded in Redis (list `<RUN>:processed`, `kind:id:time` per handling), and
// each message taken once the shutdown began is counted (`<RUN>:taken-late`): the demo reads both.
import Fastify from 'fastify'
import websocket from '@fastify/websocket'
import amqplib from 'amqplib'
import { connect as natsConnect, AckPolicy } from 'nats'
import Redis from 'ioredis'
import zeroDowntime from 'fastify-zero-downtime'

const { consumers } = zeroDowntime
const env = process.env
const variant = env.VARIANT ?? 'plugin'
const run = env.RUN ?? 'zd-demo'
const port = Number(env.PORT ?? 3000)
// Events happen every 100 ms on one clock shared by every instance: event n at EPOCH + n * 100 ms,
// so any instance can replay what a reconnecting client missed.
const EPOCH = Number(env.EPOCH ?? Date.now())
const eventNow = () => Math.floor((Date.now() - EPOCH) / 100)

const app = Fastify({ logger: { level: env.LOG_LEVEL ?? 'info' } })
await app.register(zeroDowntime, { shutdownDelay: Number(env.SHUTDOWN_DELAY ?? 1000), drainTimeout: 5000 })
await app.register(websocket)

const redis = new Redis(env.REDIS_URL ?? 'redis://127.0.0.1:6379')
const amqp = await amqplib.connect(env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672')
const nc = await natsConnect({ servers: env.NATS_URL ?? '127.0.0.1:4222' })
app.health.check('redis', zeroDowntime.checks.redis(redis), { close: true })
app.health.check('amqp', zeroDowntime.checks.amqp(amqp), { close: true })
app.health.check('nats', zeroDowntime.checks.nats(nc), { close: true })

// The work a message stands for: 50-200 ms, then its record. A message handled twice shows twice.
const handle = async (kind, id) => {
  if (app.health.state !== 'ready') {
    app.log.warn({ kind, id, state: app.health.state }, 'message taken after the shutdown began')
    await redis.incr(`${run}:taken-late`)
  }
  await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 150))
  await redis.rpush(`${run}:processed`, `${kind}:${id}:${Date.now()}`)
}

const channel = await amqp.createChannel()
await channel.assertQueue(`${run}-amqp`, { durable: false })
const jsm = await nc.jetstreamManager()
await jsm.streams.add({ name: `${run}_js`, subjects: [`${run}_js.>`] }).catch(() => {})
await jsm.consumers.add(`${run}_js`, { durable_name: 'workers', ack_policy: AckPolicy.Explicit, ack_wait: 30_000_000_000 }).catch(() => {})
await redis.xgroup('CREATE', `${run}-stream`, 'workers', '0', 'MKSTREAM').catch(() => {})

if (variant === 'plugin') {
  app.health.websockets(app.websocketServer)
  app.get('/ws', { websocket: true }, (socket) => {
    // An async handler would wrap its work in sockets.track(socket, work), so its answer goes out before the close frame.
    socket.on('message', (data) => socket.send(String(data)))
  })
  app.get('/events', async (request, reply) => {
    // One cursor for the replay and the live feed: reading the clock again after the replay would
    // skip the events of a 100 ms boundary crossed in between.
    let last
    const sendUpToNow = (s) => { for (const now = eventNow(); last < now; last++) s.send({ id: String(last + 1), data: String(last + 1) }) }
    const stream = await app.health.eventStream(request, reply, {
      retry: 200,
      replay: (s) => { last = Number(s.lastEventId ?? eventNow()); sendUpToNow(s) }
    })
    if (stream.ended) return
    const timer = setInterval(() => sendUpToNow(stream), 20)
    stream.signal.addEventListener('abort', () => clearInterval(timer))
  })
  const options = { concurrency: 4 }
  app.health.worker('amqp-orders', consumers.amqp(channel, { ...options, queue: `${run}-amqp`, prefetch: 10, handler: async (m) => await handle('amqp', String(m.content)) }))
  app.health.worker('nats-orders', consumers.jetstream(nc.jetstream(), { ...options, stream: `${run}_js`, consumer: 'workers', handler: async (m) => await handle('nats', new TextDecoder().decode(m.data)) }))
  app.health.worker('redis-orders', consumers.redisStream(redis, { ...options, stream: `${run}-stream`, group: 'workers', claimIdle: 3000, block: 1000, handler: async (e) => await handle('redis', e.fields.id) }))
} else {
  // The naive variant: what is open at drain start is closed then (one onDrain, as the 0.1 README
  // put it); consumers are only closed as resources.
  const streams = new Set()
  app.health.onDrain(() => {
    for (const client of app.websocketServer.clients) client.close(1001)
    for (const end of streams) end()
  })
  app.get('/ws', { websocket: true }, (socket) => {
    socket.on('message', (data) => socket.send(String(data)))
  })
  app.get('/events', async (request, reply) => {
    reply.hijack()
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' })
    let last = Number(request.headers['last-event-id'] ?? eventNow())
    const timer = setInterval(() => { for (; last < eventNow(); last++) reply.raw.write(`id: ${last + 1}\ndata: ${last + 1}\n\n`) }, 20)
    const end = () => { clearInterval(timer); streams.delete(end); reply.raw.end() }
    streams.add(end)
    request.raw.on('close', () => { clearInterval(timer); streams.delete(end) })
  })
  await channel.prefetch(10)
  app.addHook('onReady', async () => {
    await channel.consume(`${run}-amqp`, (m) => { if (m !== null) handle('amqp', String(m.content)).then(() => channel.ack(m), () => {}) })
    const messages = await (await nc.jetstream().consumers.get(`${run}_js`, 'workers')).consume({ max_messages: 10 })
    ;(async () => { for await (const m of messages) handle('nats', new TextDecoder().decode(m.data)).then(() => m.ack(), () => {}) })()
    const reader = new Redis(env.REDIS_URL ?? 'redis://127.0.0.1:6379')
    app.health.onDrain(() => reader.disconnect())
    ;(async () => {
      while (reader.status !== 'end') {
        const reply = await reader.xreadgroup('GROUP', 'workers', `c-${process.pid}`, 'COUNT', 10, 'BLOCK', 1000, 'STREAMS', `${run}-stream`, '>').catch(() => null)
        for (const [, entries] of reply ?? []) {
          for (const [entryId, fields] of entries) handle('redis', fields[1]).then(() => redis.xack(`${run}-stream`, 'workers', entryId), () => {})
        }
      }
    })()
  })
}

await app.listen({ port, host: '127.0.0.1' })
