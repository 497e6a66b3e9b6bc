import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { request, Agent } from 'node:http'
import { connect } from 'node:net'
import { spawnFixture, type Fixture } from './lib/process'

interface Reply { status: number, headers: Record<string, string | string[] | undefined>, body: Buffer }

async function httpGet (fixture: Fixture, path: string, agent: Agent | false = false): Promise<Reply> {
  const req = request({ host: '127.0.0.1', port: fixture.port, path, agent })
  req.end()
  const [res] = await once(req, 'response')
  const chunks: Buffer[] = []
  for await (const chunk of res) chunks.push(chunk)
  return { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }
}

t.test('SIGTERM: readiness 503 at once while / answers 200 with Connection: close; exit 0', async (t) => {
  const app = await spawnFixture(t, 'serve', { SHUTDOWN_DELAY: '3000' })
  const keepAlive = new Agent({ keepAlive: true })
  t.teardown(() => keepAlive.destroy())
  t.equal((await httpGet(app, '/readyz')).status, 200)
  t.equal((await httpGet(app, '/', keepAlive)).headers.connection, 'keep-alive')
  app.child.kill('SIGTERM')
  await app.waitFor(/ready -> draining/)
  const ready = await httpGet(app, '/readyz')
  t.equal(ready.status, 503)
  const root = await httpGet(app, '/', keepAlive)
  t.equal(root.status, 200)
  t.equal(root.body.toString(), 'hello')
  t.equal(root.headers.connection, 'close', 'keep-alive clients are told to reconnect elsewhere')
  t.equal((await httpGet(app, '/livez')).status, 200, 'liveness stays 200 while draining')
  t.notOk(app.lines.some((l) => /draining -> closing/.test(String(l.msg))), 'all of this happened inside the delay')
  t.same(await app.exited, { code: 0, signal: null })
  t.ok(app.lines.some((l) => /closing -> closed/.test(String(l.msg))))
})

t.test('a slow download in flight at SIGTERM completes with its full body', async (t) => {
  const app = await spawnFixture(t, 'serve', { SHUTDOWN_DELAY: '100' })
  const response = httpGet(app, '/slow')
  await app.waitFor(/slow: arrived/)
  app.child.kill('SIGTERM')
  const res = await response
  t.equal(res.status, 200)
  t.equal(res.body.length, 16 * 64 * 1024)
  t.ok(res.body.every((byte) => byte === 0x7a))
  t.same(await app.exited, { code: 0, signal: null })
})

t.test('a large upload in progress at SIGTERM completes and the server received every byte', async (t) => {
  const app = await spawnFixture(t, 'serve', { SHUTDOWN_DELAY: '100' })
  const body = randomBytes(8 * 1024 * 1024)
  const req = request({ host: '127.0.0.1', port: app.port, path: '/upload', method: 'POST', agent: false, headers: { 'content-type': 'application/octet-stream', 'content-length': body.length } })
  req.write(body.subarray(0, 1024 * 1024))
  await app.waitFor(/upload: receiving/)
  app.child.kill('SIGTERM')
  await app.waitFor(/draining -> closing/)
  req.end(body.subarray(1024 * 1024))
  const [res] = await once(req, 'response')
  let text = ''
  for await (const chunk of res) text += chunk
  t.equal(res.statusCode, 200)
  t.same(JSON.parse(text), { bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') })
  t.same(await app.exited, { code: 0, signal: null })
})

t.test('an idle keep-alive socket is closed without a reset, the client having sent nothing', async (t) => {
  const app = await spawnFixture(t, 'serve', { SHUTDOWN_DELAY: '100' })
  const socket = connect(app.port, '127.0.0.1')
  const errors: Error[] = []
  socket.on('error', (err) => errors.push(err))
  let received = ''
  socket.setEncoding('utf8').on('data', (chunk: string) => { received += chunk })
  socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n')
  await app.waitFor((line) => (line.res as { statusCode?: number } | undefined)?.statusCode === 200)
  app.child.kill('SIGTERM')
  const [hadError] = await once(socket, 'close')
  t.equal(hadError, false)
  t.same(errors, [], 'no ECONNRESET')
  t.match(received, /^HTTP\/1.1 200 OK\r\n[\s\S]*connection: keep-alive[\s\S]*hello$/i)
  t.same(await app.exited, { code: 0, signal: null })
})

t.test('a request arriving on an existing connection after close began is answered 200, not 503', async (t) => {
  const app = await spawnFixture(t, 'serve', { SHUTDOWN_DELAY: '100' })
  const socket = connect(app.port, '127.0.0.1')
  let received = ''
  socket.setEncoding('utf8').on('data', (chunk: string) => { received += chunk })
  socket.write('GET /until-next-request HTTP/1.1\r\nHost: localhost\r\n\r\n')
  await app.waitFor(/until-next-request: arrived/)
  app.child.kill('SIGTERM')
  await app.waitFor(/draining -> closing/)
  // Pipelined on the same keep-alive connection, after the server stopped accepting connections.
  socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n')
  await once(socket, 'close')
  const responses = received.split(/(?=HTTP\/1\.1 )/)
  t.equal(responses.length, 2, received)
  t.match(responses[0], /^HTTP\/1.1 200 OK\r\n[\s\S]*answered after the next request arrived$/)
  t.match(responses[1], /^HTTP\/1.1 200 OK\r\n[\s\S]*connection: close[\s\S]*hello$/i)
  t.same(await app.exited, { code: 0, signal: null })
})

t.test('drain timeout: the stuck request is named, its socket closed, exit code 1', async (t) => {
  const app = await spawnFixture(t, 'stuck')
  const pending = httpGet(app, '/stuck').then(() => 'answered', (err: NodeJS.ErrnoException) => err.code)
  await app.waitFor(/stuck: arrived/)
  app.child.kill('SIGTERM')
  t.equal(await pending, 'ECONNRESET')
  t.same(await app.exited, { code: 1, signal: null })
  t.match(await app.waitFor(/still in flight after drainTimeout/), { req: { method: 'GET', url: '/stuck' }, ageMs: Number })
  t.ok(app.lines.some((l) => /Shutdown was not clean: 1 request\(s\) still in flight/.test(JSON.stringify(l))))
})

t.test('resources close in reverse order; a throwing and a hanging one do not block the rest; exit 1', async (t) => {
  const app = await spawnFixture(t, 'resources')
  app.child.kill('SIGTERM')
  t.same(await app.exited, { code: 1, signal: null })
  t.same(app.lines.filter((l) => l.closing !== undefined).map((l) => l.closing), ['d', 'hangs', 'throws', 'a'])
  t.match(app.lines.find((l) => l.resource === 'hangs'), { level: 50, reason: /Resource "hangs" did not close within 100 ms$/ })
  t.match(app.lines.find((l) => l.resource === 'throws'), { level: 50, reason: 'close failed' })
})

t.test('a second signal exits at once with 1', async (t) => {
  const app = await spawnFixture(t, 'second-signal')
  app.child.kill('SIGTERM')
  await app.waitFor(/ready -> draining/)
  app.child.kill('SIGINT')
  t.same(await app.exited, { code: 1, signal: null })
  t.ok(app.lines.some((l) => /second SIGINT during shutdown/.test(String(l.msg))))
  t.notOk(app.lines.some((l) => /-> closing/.test(String(l.msg))), 'it did not wait for the delay')
})

t.test('SIGTERM during a startup task ends the process cleanly: exit 0, no delay', async (t) => {
  const app = await spawnFixture(t, 'startup-task')
  await app.waitFor(/migrations: running/)
  t.equal((await httpGet(app, '/readyz')).status, 503)
  t.equal((await httpGet(app, '/livez')).status, 200)
  const signalled = Date.now()
  app.child.kill('SIGTERM')
  t.same(await app.exited, { code: 0, signal: null })
  t.ok(Date.now() - signalled < 5000, `exited ${Date.now() - signalled} ms after SIGTERM: not after the 10 s shutdownDelay`)
  t.ok(app.lines.some((l) => /migrations: aborted/.test(String(l.msg))))
  t.ok(app.lines.some((l) => /starting -> draining/.test(String(l.msg))))
})

t.test('a failed startup task: never ready, liveness 200; SIGTERM still exits 0', async (t) => {
  const app = await spawnFixture(t, 'startup-task', { FAIL_TASK: '1' })
  await app.waitFor(/^startup failed: startup task "migrations" failed: migration 7 failed/)
  t.equal((await httpGet(app, '/readyz')).status, 503)
  t.equal((await httpGet(app, '/startupz')).status, 503)
  t.equal((await httpGet(app, '/livez')).status, 200)
  app.child.kill('SIGTERM')
  t.same(await app.exited, { code: 0, signal: null })
})

t.test('shutdownOnError: a second unhandled rejection during the shutdown exits at once', async (t) => {
  const app = await spawnFixture(t, 'uncaught')
  t.equal((await httpGet(app, '/twice')).status, 200)
  t.same(await app.exited, { code: 1, signal: null })
  t.ok(app.lines.some((l) => /second uncaught error during shutdown/.test(String(l.msg)) && l.reason === 'second'))
  t.notOk(app.lines.some((l) => /-> closed/.test(String(l.msg))), 'it did not wait for the hanging resource')
})

t.test('a shutdown that overruns gracePeriod (an onClose hook that hangs) exits 1', async (t) => {
  const app = await spawnFixture(t, 'hung-close')
  app.child.kill('SIGTERM')
  t.same(await app.exited, { code: 1, signal: null })
  t.ok(app.lines.some((l) => /shutdown did not finish within gracePeriod \(1500 ms\)/.test(String(l.msg))))
})

t.test('shutdownOnError: an uncaught exception runs the shutdown, then exits 1', async (t) => {
  const app = await spawnFixture(t, 'uncaught')
  t.equal((await httpGet(app, '/boom')).status, 200)
  t.same(await app.exited, { code: 1, signal: null })
  t.ok(app.lines.some((l) => /uncaught error: shutting down/.test(String(l.msg)) && l.reason === 'bug in a timer callback'))
  t.ok(app.lines.some((l) => /closing -> closed/.test(String(l.msg))))
})

t.test('SIGTERM before listen(), during the first round of checks: exits at once, not after the round', async (t) => {
  const app = await spawnFixture(t, 'slow-first-round', {}, /^first round: slow-db running$/)
  const signalled = Date.now()
  app.child.kill('SIGTERM')
  t.same(await app.exited, { code: 0, signal: null })
  t.ok(Date.now() - signalled < 2500, `exited ${Date.now() - signalled} ms after SIGTERM (the first round takes 4000 ms)`)
})

t.test('without signal handling, a closed app lets the process end on its own: no timer or handle of the plugin\'s keeps it alive', async (t) => {
  const app = await spawnFixture(t, 'exits-on-close')
  await app.waitFor(/^closed$/)
  const closed = Date.now()
  t.same(await app.exited, { code: 0, signal: null })
  // The fixture's check, authorize() and resource timeouts are 15 s: a timer left running would
  // hold the process.
  t.ok(Date.now() - closed < 5000, `ended ${Date.now() - closed} ms after close()`)
})
