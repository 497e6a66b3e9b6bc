// Rolls examples/long-lived (WebSockets, SSE, three queue consumers) behind an L4 balancer that
// checks /readyz every 300 ms and takes an instance out after 3 failures, with clients of each
// kind connected and messages published throughout; once with the plugin's workers, once with the
// naive variant. Prints, per kind, what the clients and the queues saw.
//
//   npm run demo:long-lived [-- --write-docs]    (needs RabbitMQ, NATS, Redis; the report goes to demo/out/ or, with --write-docs, docs/)
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { request } from 'node:http'
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import amqplib from 'amqplib'
import { connect as natsConnect } from 'nats'
import Redis from 'ioredis'
import { startBuiltinBalancer } from './balancer.mjs'
import { freePorts } from './ports.mjs'
import { demoOutput } from './output.mjs'

const server = fileURLToPath(new URL('../examples/long-lived/server.mjs', import.meta.url))
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function until (predicate, what, limit = 20000) {
  const started = Date.now()
  while (!(await predicate())) {
    if (Date.now() - started > limit) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

/** A WebSocket client through the balancer: echo every 100 ms; reconnects 100 ms after a close. */
function webSocketClient (port, figures) {
  let stopped = false
  let ws
  const connectOnce = (closedAt) => {
    ws = new WebSocket(`ws://127.0.0.1:${port}/ws`)
    let timer
    ws.on('open', () => {
      if (closedAt !== undefined) figures.reconnectMs = Math.max(figures.reconnectMs, Date.now() - closedAt)
      timer = setInterval(() => ws.send('ping'), 100)
    })
    ws.on('error', () => {})
    ws.on('close', (code) => {
      clearInterval(timer)
      if (stopped) return
      // 1006: the connection ended without a close frame.
      if (code === 1006) figures.abnormal++
      else figures.clean++
      setTimeout(() => connectOnce(Date.now()), 100)
    })
  }
  connectOnce()
  return { stop: () => { stopped = true; ws.terminate() } }
}

/** An EventSource-like client: reconnects after the retry hint with Last-Event-ID; checks ids for gaps and repeats. */
function eventSourceClient (port, figures) {
  let stopped = false
  let last
  let req
  const seen = new Set()
  const connectOnce = (closedAt) => {
    let retry = 200
    let buffer = ''
    let ended = false
    req = request({ host: '127.0.0.1', port, path: '/events', agent: false, headers: last === undefined ? {} : { 'last-event-id': last } }, (res) => {
      if (closedAt !== undefined) figures.reconnectMs = Math.max(figures.reconnectMs, Date.now() - closedAt)
      res.setEncoding('utf8')
      res.on('data', (chunk) => {
        buffer += chunk
        let end
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const id = /^id: (.*)$/m.exec(block)?.[1]
          const hint = /^retry: (\d+)$/m.exec(block)?.[1]
          if (hint !== undefined) retry = Number(hint)
          if (id === undefined) continue
          if (seen.has(id)) figures.duplicated++
          else if (last !== undefined && Number(id) !== Number(last) + 1) figures.missed += Number(id) - Number(last) - 1
          seen.add(id)
          last = id
        }
      })
      res.on('end', () => { ended = true })
      res.on('close', () => {
        if (stopped) return
        if (ended) figures.clean++
        else figures.abnormal++
        setTimeout(() => connectOnce(Date.now()), retry)
      })
    })
    req.on('error', () => { if (!stopped) { figures.abnormal++; setTimeout(() => connectOnce(Date.now()), 200) } })
    req.end()
  }
  connectOnce()
  return { stop: () => { stopped = true; req.destroy() } }
}

/**
 * One roll of `instances` instances of the variant, `rolls` times each slot; returns figures per kind.
 */
export async function rollLongLived ({ variant, rolls = 1, instances = 2, clients = 20, rate = 50, shutdownDelay = 1000, urls = {}, onProgress = () => {} }) {
  const run = `zd-demo-${variant}-${randomUUID().slice(0, 8)}`.replaceAll('-', '_')
  const epoch = Date.now()
  const [frontPort, ...slots] = await freePorts(instances + 2)
  const lb = await startBuiltinBalancer({ frontPort, slots, inter: 300, fall: 3 })
  const redis = new Redis(urls.redis ?? 'redis://127.0.0.1:6379')
  const amqp = await amqplib.connect(urls.amqp ?? 'amqp://guest:guest@127.0.0.1:5672')
  const channel = await amqp.createChannel()
  const nc = await natsConnect({ servers: urls.nats ?? '127.0.0.1:4222' })
  // The queues exist before anything is published (the instances declare them too).
  await channel.assertQueue(`${run}-amqp`, { durable: false })
  const jsm = await nc.jetstreamManager()
  await jsm.streams.add({ name: `${run}_js`, subjects: [`${run}_js.>`] })
  await jsm.consumers.add(`${run}_js`, { durable_name: 'workers', ack_policy: 'explicit', ack_wait: 30_000_000_000 })
  await redis.xgroup('CREATE', `${run}-stream`, 'workers', '0', 'MKSTREAM')
  const running = new Array(slots.length).fill(undefined)
  const exits = []
  const env = { ...process.env, VARIANT: variant, RUN: run, EPOCH: String(epoch), SHUTDOWN_DELAY: String(shutdownDelay), LOG_LEVEL: 'warn' }
  if (urls.redis) env.REDIS_URL = urls.redis
  if (urls.amqp) env.AMQP_URL = urls.amqp
  if (urls.nats) env.NATS_URL = urls.nats

  const launch = async (slot) => {
    const child = spawn(process.execPath, [server], { env: { ...env, PORT: String(slots[slot]) }, stdio: ['ignore', 'inherit', 'inherit'] })
    running[slot] = { child, exited: once(child, 'exit') }
    await until(async () => (await lb.status())[slot] === 'UP', `slot ${slot} to be up`)
  }
  const retire = async (slot) => {
    const { child, exited } = running[slot]
    running[slot] = undefined
    child.kill('SIGTERM')
    const [code] = await exited
    exits.push(code)
  }

  const ws = { abnormal: 0, clean: 0, reconnectMs: 0 }
  const sse = { abnormal: 0, clean: 0, missed: 0, duplicated: 0, reconnectMs: 0 }
  const published = { amqp: new Map(), nats: new Map(), redis: new Map() }
  let publishing = true
  let seq = 0
  const publisher = (async () => {
    const js = nc.jetstream()
    for (;;) {
      if (!publishing) break
      const id = String(seq++)
      const now = Date.now()
      published.amqp.set(id, now)
      published.nats.set(id, now)
      published.redis.set(id, now)
      channel.sendToQueue(`${run}-amqp`, Buffer.from(id))
      await Promise.all([js.publish(`${run}_js.orders`, id), redis.xadd(`${run}-stream`, '*', 'id', id)])
      await sleep(1000 / rate)
    }
  })()

  let connected = []
  try {
    await Promise.all(Array.from({ length: instances }, async (_, slot) => await launch(slot)))
    connected = [
      ...Array.from({ length: clients }, () => webSocketClient(frontPort, ws)),
      ...Array.from({ length: clients }, () => eventSourceClient(frontPort, sse))
    ]
    await sleep(1500)
    for (let roll = 1; roll <= rolls; roll++) {
      for (const old of running.map((r, slot) => r === undefined ? -1 : slot).filter((slot) => slot >= 0)) {
        const free = running.findIndex((r) => r === undefined)
        await launch(free)
        await retire(old)
        onProgress(`${variant}: roll ${roll}/${rolls}: slot ${old} replaced on slot ${free}`)
        await sleep(500)
      }
    }
    publishing = false
    await publisher
    // Everything published is handled by the instances still running (or never, if lost).
    const total = seq * 3
    await until(async () => await redis.llen(`${run}:processed`) >= total, 'the queues to be drained', 15000).catch(() => {})
  } finally {
    publishing = false
    for (const client of connected) client.stop()
    for (const slot of running.keys()) if (running[slot] !== undefined) await retire(slot)
  }

  const processed = await redis.lrange(`${run}:processed`, 0, -1)
  const takenLate = Number(await redis.get(`${run}:taken-late`) ?? 0)
  const queues = {}
  for (const kind of ['amqp', 'nats', 'redis']) {
    const records = processed.filter((p) => p.startsWith(`${kind}:`)).map((p) => p.split(':'))
    const handled = records.map(([, id]) => id)
    const distinct = new Set(handled)
    // From publication to the end of its handling: a message given back at a roll waits longest.
    const waitMs = Math.max(0, ...records.map(([, id, at]) => Number(at) - published[kind].get(id)))
    queues[kind] = { published: published[kind].size, lost: [...published[kind].keys()].filter((id) => !distinct.has(id)).length, duplicated: handled.length - distinct.size, waitMs }
  }
  await Promise.all([
    redis.del(`${run}:processed`, `${run}:taken-late`, `${run}-stream`),
    channel.deleteQueue(`${run}-amqp`).catch(() => {}),
    jsm.streams.delete(`${run}_js`).catch(() => {})
  ])
  redis.disconnect()
  await amqp.close()
  await nc.close()
  await lb.stop()
  return { variant, ws, sse, queues, takenLate, exits }
}

export function table (results) {
  const rows = ['| figure | ' + results.map((r) => r.variant).join(' | ') + ' |', '| --- |' + results.map(() => ' --- |').join('')]
  const row = (name, pick) => rows.push(`| ${name} | ${results.map(pick).join(' | ')} |`)
  row('WebSocket: abnormal closes (1006)', (r) => r.ws.abnormal)
  row('WebSocket: clean closes (close frame), then reconnected', (r) => r.ws.clean)
  row('WebSocket: longest reconnect (ms)', (r) => r.ws.reconnectMs)
  row('SSE: abnormal disconnects (stream cut)', (r) => r.sse.abnormal)
  row('SSE: events missed / duplicated', (r) => `${r.sse.missed} / ${r.sse.duplicated}`)
  row('SSE: longest reconnect (ms)', (r) => r.sse.reconnectMs)
  for (const kind of ['amqp', 'nats', 'redis']) {
    row(`${kind}: messages not handled within 15 s / handled twice (of published)`, (r) => `${r.queues[kind].lost} / ${r.queues[kind].duplicated} (of ${r.queues[kind].published})`)
    row(`${kind}: longest publish-to-handled (ms)`, (r) => r.queues[kind].waitMs)
  }
  row('messages taken after SIGTERM (all queues)', (r) => r.takenLate)
  row('exit codes of the retired instances', (r) => r.exits.join(', '))
  return rows.join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const results = []
  for (const variant of ['plugin', 'naive']) results.push(await rollLongLived({ variant, rolls: 2, onProgress: console.log }))
  const text = table(results)
  console.log(`\n${text}`)
  // Only the part between the markers is this script's; the rest of the doc is written by hand.
  const output = demoOutput()
  const doc = output.readDoc('long-lived.md')
  const begin = '<!-- long-lived demo: begin -->'
  const end = '<!-- long-lived demo: end -->'
  const measured = `Written by \`npm run demo:long-lived -- --write-docs\` on Node.js ${process.version}, ${new Date().toISOString().slice(0, 10)}: 2 instances\nrolled twice behind the built-in L4 balancer (\`/readyz\` every 300 ms, out after 3 failures; the\nissue's setup), 20 WebSocket clients (a message every 100 ms), 20 SSE clients with event ids, and\n50 messages a second published to each of RabbitMQ, NATS JetStream and Redis streams (50-200 ms of\nwork each, 4 at once per consumer). \`shutdownDelay\` 1000 ms.\n\n${text}\n`
  output.write('long-lived.md', doc.slice(0, doc.indexOf(begin) + begin.length) + '\n' + measured + doc.slice(doc.indexOf(end)))
  output.report()
  const plugin = results[0]
  const failed = plugin.ws.abnormal + plugin.sse.abnormal + plugin.sse.missed + plugin.sse.duplicated + plugin.takenLate +
    Object.values(plugin.queues).reduce((sum, q) => sum + q.lost + q.duplicated, 0) + plugin.exits.filter((code) => code !== 0).length
  process.exitCode = failed > 0 ? 1 : 0
}
