import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
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
    // 50 ms is the shortest sample in which an idle loop turns twice (docs/internals.md); 250 ms so
    // that it still does on a loaded machine, where a missed sample would read as a blocked loop.
    await app.register(underPressure, { sampleInterval: 250 })
    await app.register(zeroDowntime, { signals: false, shutdownDelay: 0, details: 'always', liveness: threshold })
    await until(() => (app as unknown as { memoryUsage: () => { heapUsed: number } }).memoryUsage().heapUsed > 0, 'a sample')
    await app.listen({ port: 0, host: '127.0.0.1' })
    t.equal((await get(app, '/livez')).status, 503)
    t.match((await get(app, '/livez?verbose')).body, new RegExp(`\\[-\\]eventloop failed: ${message.source.slice(1, -1)}\\n`))
    t.equal((await get(app, '/readyz')).status, 200, 'readiness is not about the process')
  })
}

type Last = FastifyInstance['health']['checks'][number]['last']

/**
 * Runs `busyMs` of blocking work, then yields for `idleMs`, until the event-loop check fails with
 * the given output (on a loaded machine a sample may miss, and fail the other way first).
 */
async function spinUntilLivenessFails (app: FastifyInstance, busyMs: number, idleMs: number, output: RegExp): Promise<void> {
  const started = Date.now()
  const failed = (last: Last): boolean => last?.status === 'fail' && output.test(String((last as { output?: unknown }).output))
  while (!failed(app.health.checks[0].last)) {
    if (Date.now() - started > 15000) throw new Error('timed out waiting for the event-loop check to fail')
    const end = Date.now() + busyMs
    while (Date.now() < end) { /* block the loop, as a runaway computation would */ }
    await new Promise((resolve) => setTimeout(resolve, idleMs))
  }
}

t.test('a loop blocked in stretches shorter than the sample interval fails liveness with its delay', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  // The app's own under-pressure is reused rather than registered twice. Its 300 ms sample holds
  // several turns of the loop, even on a loaded machine, so the delay is measured: 30 ms stretches
  // against a 5 ms threshold.
  await app.register(underPressure, { sampleInterval: 300 })
  await app.register(zeroDowntime, { signals: false, shutdownDelay: 0, checkInterval: 20, checkTimeout: 20, liveness: { maxEventLoopDelay: 5 } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  await spinUntilLivenessFails(app, 30, 30, /^event loop delay/)
  t.match(app.health.checks[0].last, { status: 'fail', observedUnit: 'ms', output: /^event loop delay [\d.]+ ms above 5 ms$/ })
  t.ok((app.health.checks[0].last?.observedValue as number) > 5)
})

// A loop that spins with only short breaks never gives under-pressure's histogram two turns within
// one sample: it reports Infinity, not a delay. That is the worst case of a blocked loop, not "no
// measurement" (an earlier version passed liveness here forever, with the default settings). Each
// threshold is above any delay these stretches can measure, so only that rule can fail the check.
for (const [how, sampleInterval, busyMs, threshold] of [
  ['the default sample interval (1 s)', undefined, 1100, 5000],
  ['an app\'s own under-pressure sampling every 50 ms', 50, 60, 500]
] as const) {
  t.test(`a loop spinning with short breaks fails liveness: ${how}`, async (t) => {
    const app = Fastify()
    t.teardown(() => app.close())
    if (sampleInterval !== undefined) await app.register(underPressure, { sampleInterval })
    await app.register(zeroDowntime, { signals: false, shutdownDelay: 0, checkInterval: 200, checkTimeout: 20, details: 'always', liveness: { maxEventLoopDelay: threshold } })
    await app.listen({ port: 0, host: '127.0.0.1' })
    await spinUntilLivenessFails(app, busyMs, 2, /^event loop blocked throughout/)
    const last = app.health.checks[0].last
    t.match(last, { status: 'fail', output: `event loop blocked throughout the last sample interval (no delay sample), above ${threshold} ms` })
    t.notOk('observedValue' in (last ?? {}), 'no number stands in for the missing sample')
    // The probe shows it while it lasts (checkInterval 200: stale only 600 ms after the last run).
    // On a loaded machine the idle loop may get its next sample before the request is answered
    // (the check then passes again): block again, and ask again.
    let body = ''
    for (let attempt = 0; attempt < 5 && !body.includes('blocked throughout'); attempt++) {
      if (attempt > 0) await spinUntilLivenessFails(app, busyMs, 2, /^event loop blocked throughout/)
      body = (await app.inject('/livez?verbose')).body
    }
    t.match(body, /\[-\]eventloop failed: event loop blocked throughout/)
  })
}
