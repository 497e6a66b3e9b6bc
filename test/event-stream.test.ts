import t from 'tap'
import { once } from 'node:events'
import { request, type IncomingMessage } from 'node:http'
import type { FastifyInstance } from 'fastify'
import { build, logCollector, until, type TestContext } from './lib/helpers'

interface Reader { res: IncomingMessage, text: () => string, ended: Promise<'end' | 'aborted'> }

async function open (t: TestContext, app: FastifyInstance, path: string, headers: Record<string, string> = {}): Promise<Reader> {
  const { port } = app.server.address() as { port: number }
  const req = request({ host: '127.0.0.1', port, path, headers: { accept: 'text/event-stream', ...headers }, agent: false })
  req.end()
  t.teardown(() => req.destroy())
  const [res] = await once(req, 'response') as [IncomingMessage]
  let text = ''
  res.setEncoding('utf8').on('data', (chunk: string) => { text += chunk })
  const ended = new Promise<'end' | 'aborted'>((resolve) => {
    res.once('end', () => resolve('end'))
    res.once('aborted', () => resolve('aborted'))
    res.once('error', () => resolve('aborted'))
  })
  return { res, text: () => text, ended }
}

// Events 1..n exist; a stream replays those after Last-Event-ID, then sends the next ones live.
// With `hold`, each request is held until closing has begun (one already on its way when it did); `arrived` resolves as one is.
async function streamingApp (t: TestContext, options: Record<string, unknown> = {}, hold = false): Promise<{ app: FastifyInstance, publish: (n: number) => void, lines: Array<Record<string, unknown>>, arrived: Promise<void> }> {
  const { stream, lines } = logCollector()
  const app = await build(t, { shutdownDelay: 300, ...options }, { logger: { stream, level: 'info' } })
  let onArrival: () => void = () => {}
  const arrived = new Promise<void>((resolve) => { onArrival = resolve })
  if (hold) app.addHook('onRequest', async () => { onArrival(); await until(() => app.health.state === 'closing', 'closing') })
  const log: string[] = []
  const live = new Set<(n: number) => void>()
  app.get('/events', async (request, reply) => {
    const sse = await app.health.eventStream(request, reply, {
      retry: 250,
      replay: (s) => {
        const from = Number(s.lastEventId ?? 0)
        for (let n = from + 1; n <= log.length; n++) s.send({ id: String(n), data: `event ${n}` })
      }
    })
    const send = (n: number): void => { sse.send({ id: String(n), event: 'tick', data: `event ${n}\nsecond line` }) }
    live.add(send)
    sse.signal.addEventListener('abort', () => live.delete(send))
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  await until(() => app.health.state === 'ready', 'ready')
  return { app, publish: (n) => { log.push(`event ${n}`); for (const send of live) send(n) }, lines, arrived }
}

t.test('streams stay open through shutdownDelay, then end with a retry hint; a reconnect resumes from Last-Event-ID', async (t) => {
  const { app, publish } = await streamingApp(t)
  publish(1)
  const readers = await Promise.all([1, 2, 3].map(async () => await open(t, app, '/events')))
  for (const reader of readers) {
    t.equal(reader.res.statusCode, 200)
    t.match(reader.res.headers['content-type'], /^text\/event-stream/)
    t.equal(reader.res.headers['cache-control'], 'no-store')
  }
  await until(() => readers.every((r) => r.text().includes('id: 1\ndata: event 1\n\n')), 'the replay')
  const began = Date.now()
  const report = app.health.shutdown()
  await until(() => app.health.state === 'draining', 'draining')
  publish(2)
  await until(() => readers.every((r) => r.text().includes('id: 2\nevent: tick\ndata: event 2\ndata: second line\n\n')), 'a live event during the delay')
  for (const reader of readers) {
    t.equal(await reader.ended, 'end', 'ended cleanly, not cut')
    t.ok(reader.text().endsWith('retry: 250\n\n'), 'the last thing said is the retry hint')
  }
  t.ok(Date.now() - began >= 290, 'not before shutdownDelay')
  const { clean, workers, problems } = await report
  t.ok(clean, problems.join('; '))
  t.match(workers.find((w) => w.name === 'event-streams'), { http: true, outcome: 'stopped', cut: 0 })

  // Another instance: the client resumes after its last id, missing nothing and seeing nothing twice.
  const { app: next, publish: publishNext } = await streamingApp(t)
  for (const n of [1, 2, 3]) publishNext(n)
  const resumed = await open(t, next, '/events', { 'last-event-id': '2' })
  await until(() => resumed.text().includes('data: event 3'), 'the replay after id 2')
  t.equal(resumed.text(), 'id: 3\ndata: event 3\n\n')
})

t.test('a stream opened while the instance is closing is ended right after its replay', async (t) => {
  const { app, publish, arrived } = await streamingApp(t, { shutdownDelay: 0 }, true)
  publish(1)
  publish(2)
  const opened = open(t, app, '/events', { 'last-event-id': '1' })
  await arrived
  const report = app.health.shutdown()
  const reader = await opened
  t.equal(await reader.ended, 'end')
  t.equal(reader.text(), 'id: 2\ndata: event 2\n\nretry: 250\n\n', 'what it missed, then the retry hint')
  t.ok((await report).clean)
})

t.test('a stream whose client stops reading is destroyed at drainTimeout and counted as cut', async (t) => {
  const { stream, lines } = logCollector()
  const app = await build(t, { shutdownDelay: 0, drainTimeout: 300 }, { logger: { stream, level: 'info' } })
  const chunk = 'x'.repeat(64 * 1024)
  app.get('/flood', async (request, reply) => {
    const sse = await app.health.eventStream(request, reply)
    // Far more than the socket buffers hold: the end can never be flushed to a client that does not read.
    for (let i = 0; i < 400; i++) sse.send({ data: chunk })
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const reader = await open(t, app, '/flood')
  reader.res.pause()
  const began = Date.now()
  const report = await app.health.shutdown()
  t.notOk(report.clean)
  t.match(report.workers.find((w) => w.name === 'event-streams'), { outcome: 'cut', cut: 1 })
  t.ok(Date.now() - began < 5000)
  t.ok(lines.some((l) => l.msg === 'worker "event-streams" cut 1 unit(s) of work short at its timeout (300 ms)'))
})

t.test('the stream API: send() after end() is false, end() twice is harmless, a client that leaves aborts the signal', async (t) => {
  const app = await build(t)
  let left: Promise<void> = Promise.resolve()
  const results: boolean[] = []
  app.get('/once', async (request, reply) => {
    const sse = await app.health.eventStream(request, reply)
    t.equal(sse.lastEventId, undefined)
    results.push(sse.send({ data: 'one' }))
    sse.end()
    sse.end()
    results.push(sse.send({ data: 'two' }), sse.ended)
  })
  app.get('/stay', async (request, reply) => {
    const sse = await app.health.eventStream(request, reply)
    left = new Promise((resolve) => sse.signal.addEventListener('abort', () => resolve()))
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const reader = await open(t, app, '/once')
  t.equal(await reader.ended, 'end')
  t.equal(reader.text(), 'data: one\n\n')
  t.same(results, [true, false, true])
  const staying = await open(t, app, '/stay')
  staying.res.destroy()
  await left
  t.pass('the signal aborted when the client left')
})

t.test('bad events and options are coded errors', async (t) => {
  const app = await build(t)
  const errors: string[] = []
  const attempt = (fn: () => unknown): void => { try { fn() } catch (error) { errors.push(`${(error as { code: string }).code}: ${(error as Error).message}`) } }
  app.get('/bad', async (request, reply) => {
    for (const options of [null, { retry: -1 }, { replay: 'x' }]) {
      try { await app.health.eventStream(request, reply, options as never) } catch (error) { errors.push(`${(error as { code: string }).code}: ${(error as Error).message}`) }
    }
    const sse = await app.health.eventStream(request, reply)
    attempt(() => sse.send({ data: 1 } as never))
    attempt(() => sse.send(null as never))
    attempt(() => sse.send({ data: 'x', id: 'a\nb' }))
    attempt(() => sse.send({ data: 'x', event: 3 } as never))
    sse.end()
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  await (await open(t, app, '/bad')).ended
  t.same(errors, [
    'FST_ZD_INVALID_ARGUMENT: Invalid argument to health.eventStream: got null, expected an options object { retry, replay }',
    'FST_ZD_INVALID_OPTION: Invalid option "health.eventStream retry": got -1, expected a number of milliseconds, 0 or more, at most 2147483647',
    'FST_ZD_INVALID_ARGUMENT: Invalid argument to health.eventStream option "replay": got "x", expected a function (stream) => void | Promise<void>',
    'FST_ZD_INVALID_ARGUMENT: Invalid argument to stream.send: got an object, expected an event { id?, event?, data: string }',
    'FST_ZD_INVALID_ARGUMENT: Invalid argument to stream.send: got null, expected an event { id?, event?, data: string }',
    'FST_ZD_INVALID_ARGUMENT: Invalid argument to stream.send "id": got "a\\nb", expected a string without line breaks or NUL',
    'FST_ZD_INVALID_ARGUMENT: Invalid argument to stream.send "event": got 3, expected a string without line breaks or NUL'
  ])
})
