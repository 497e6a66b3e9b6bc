import t from 'tap'
import Fastify from 'fastify'
import underPressure from '@fastify/under-pressure'
import { get, until } from './lib/helpers'
import zeroDowntime = require('../lib/index')

t.test('liveness holds an event-loop check by default, fed by under-pressure', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(zeroDowntime, { signals: false, shutdownDelay: 0 })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.ok(app.hasDecorator('memoryUsage'), 'under-pressure is registered')
  t.match(app.health.checks, [{ name: 'eventloop', critical: true }])
  t.same([...app.health.checks[0].groups], ['liveness'])
  t.match(app.health.checks[0].last, { status: 'pass', observedUnit: 'ms', observedValue: Number })
  t.equal((await get(app, '/livez')).status, 200)
})

t.test('liveness: false leaves the group empty and under-pressure out', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(zeroDowntime, { signals: false, shutdownDelay: 0, liveness: false })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.notOk(app.hasDecorator('memoryUsage'))
  t.equal((await get(app, '/livez?verbose')).body, 'livez check passed\n')
})

for (const [threshold, message] of [
  [{ maxHeapUsedBytes: 1 }, /^heap used \d+ bytes above 1$/],
  [{ maxRssBytes: 1 }, /^RSS \d+ bytes above 1$/]
] as const) {
  t.test(`memory thresholds fail liveness: ${Object.keys(threshold)[0]}`, async (t) => {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(underPressure, { sampleInterval: 10 })
    await app.register(zeroDowntime, { signals: false, shutdownDelay: 0, details: 'always', liveness: threshold })
    await until(() => (app as unknown as { memoryUsage: () => { heapUsed: number } }).memoryUsage().heapUsed > 0, 'a sample')
    await app.listen({ port: 0, host: '127.0.0.1' })
    t.equal((await get(app, '/livez')).status, 503)
    t.match((await get(app, '/livez?verbose')).body, new RegExp(`\\[-\\]eventloop failed: ${message.source.slice(1, -1)}\\n`))
    t.equal((await get(app, '/readyz')).status, 200, 'readiness is not about the process')
  })
}

t.test('a blocked event loop fails liveness', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  // The app's own under-pressure (sampling every 10 ms) is reused rather than registered twice.
  await app.register(underPressure, { sampleInterval: 10 })
  await app.register(zeroDowntime, { signals: false, shutdownDelay: 0, checkInterval: 20, checkTimeout: 20, liveness: { maxEventLoopDelay: 5 } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const usage = (): number => (app as unknown as { memoryUsage: () => { eventLoopDelay: number } }).memoryUsage().eventLoopDelay
  await until(() => {
    const end = Date.now() + 60
    while (Date.now() < end) { /* block the loop, as a runaway computation would */ }
    return app.health.checks[0].last?.status === 'fail'
  }, 'the event-loop check to fail')
  t.ok(usage() >= 0)
  t.match(app.health.checks[0].last, { status: 'fail', output: /^event loop delay [\d.]+ ms above 5 ms$/ })
})
