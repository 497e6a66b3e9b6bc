import t from 'tap'
import Fastify from 'fastify'
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics'
import { build, logCollector, until } from './lib/helpers'
import zeroDowntime = require('../lib/index')
import { describeBudget } from '../lib/budget'

t.test('consumers stop as draining begins, HTTP-borne workers when shutdownDelay ends, resources after both', async (t) => {
  const events: string[] = []
  const app = await build(t, { shutdownDelay: 200 })
  app.health.resource('pool', () => { events.push('pool closed') })
  app.health.worker('queue', {
    start: () => { events.push('queue started') },
    stop: async () => { events.push(`queue stop (${app.health.state})`); await new Promise((resolve) => setTimeout(resolve, 50)); events.push('queue stopped') }
  })
  app.health.worker('sockets', async () => { events.push(`sockets stop (${app.health.state})`) }, { http: true })
  await app.listen({ port: 0, host: '127.0.0.1' })
  await until(() => events.includes('queue started'), 'the worker started at ready')
  t.equal(app.health.state, 'ready')
  const began = Date.now()
  const report = await app.health.shutdown()
  t.same(events, ['queue started', 'queue stop (draining)', 'queue stopped', 'sockets stop (closing)', 'pool closed'])
  t.ok(Date.now() - began >= 190, 'the HTTP-borne worker waited for shutdownDelay')
  t.ok(report.clean)
  t.same(report.workers.map((w) => [w.name, w.http, w.outcome, w.cut]), [['queue', false, 'stopped', 0], ['sockets', true, 'stopped', 0]], 'the built-in SSE worker had no stream: not in the report')
})

t.test('a consumer-only process: no listen, no delay, the stop runs at once', async (t) => {
  const app = await build(t, { shutdownDelay: 5000 })
  let stopped = 0
  app.health.worker('queue', () => { stopped = Date.now() })
  await app.ready()
  const began = Date.now()
  t.ok((await app.health.shutdown()).clean)
  t.ok(stopped - began < 1000, 'not held for shutdownDelay: nothing routes to an app that does not listen')
})

t.test('a stop that never settles is abandoned at its timeout: reported, unclean, the signal aborted', async (t) => {
  const { stream, lines } = logCollector()
  const app = await build(t, {}, { logger: { stream, level: 'info' } })
  let reason: unknown
  app.health.worker('stuck', async ({ signal }) => {
    signal.addEventListener('abort', () => { reason = signal.reason })
    await new Promise(() => {})
  }, { timeout: 150 })
  await app.ready()
  const began = Date.now()
  const report = await app.health.shutdown()
  const elapsed = Date.now() - began
  t.ok(elapsed >= 140 && elapsed < 3000, `within its timeout and the reaction time (${elapsed} ms)`)
  t.notOk(report.clean)
  t.match(report.workers[0], { name: 'stuck', outcome: 'timeout' })
  t.same(report.problems, ['worker "stuck" did not stop within its timeout'])
  t.match(reason, { code: 'FST_ZD_WORKER_TIMEOUT', message: 'Worker "stuck" did not stop within 150 ms' })
  t.ok(lines.some((l) => l.msg === 'worker "stuck" did not stop within its timeout (150 ms); abandoning it'))
})

t.test('a stop that throws, or reports work cut short, makes the shutdown unclean; the others still stop', async (t) => {
  const { stream, lines } = logCollector()
  const app = await build(t, {}, { logger: { stream, level: 'info' } })
  let calm = false
  app.health.worker('broken', () => { throw new Error('password=hunter2 refused') })
  app.health.worker('cutter', () => ({ cut: 2 }))
  app.health.worker('calm', () => { calm = true })
  await app.ready()
  const report = await app.health.shutdown()
  t.ok(calm)
  t.same(report.problems, ['worker "broken" failed to stop', 'worker "cutter" cut 2 unit(s) of work short at its timeout'])
  const failed = lines.find((l) => l.msg === 'worker "broken" failed to stop')
  t.match(failed?.reason, /^password=\[REDACTED\]/)
  t.notMatch(JSON.stringify(lines), /hunter2/, 'the reason is redacted')
})

t.test('a worker whose start fails makes liveness fail; a shutdown before ready skips the stops of workers never started', async (t) => {
  const app = await build(t)
  let badStopped = false
  // Its stop still runs: a start that failed halfway may have taken some work.
  app.health.worker('bad', { start: async () => { throw new Error('no broker') }, stop: () => { badStopped = true } })
  let handStopped = false
  app.health.worker('by-hand', () => { handStopped = true })
  await app.ready()
  await until(() => app.health.report('live').status === 'fail', 'liveness to fail')
  t.match(app.health.report('live').lines.find((l) => l.name === 'broken'), { ok: false })

  const early = await build(t)
  let started = false
  early.health.startupTask('slow', async ({ signal }) => { await new Promise((resolve) => signal.addEventListener('abort', resolve)) })
  early.health.worker('consumer', { start: () => { started = true }, stop: () => { t.fail('not started') } })
  await early.ready()
  const report = await early.health.shutdown()
  t.notOk(started)
  t.ok(report.clean)
  t.notOk(report.workers.some((w) => w.name === 'consumer'))
  t.ok((await app.health.shutdown()).clean)
  t.ok(handStopped)
  t.ok(badStopped)
})

t.test('a stop waits for a start still running, whose signal the shutdown aborted', async (t) => {
  const app = await build(t)
  const events: string[] = []
  app.health.worker('slow-start', {
    start: async ({ signal }) => {
      events.push('start')
      await new Promise((resolve) => signal.addEventListener('abort', resolve))
      events.push('start aborted')
    },
    stop: () => { events.push('stop') }
  })
  await app.ready()
  await until(() => events.includes('start'), 'the start')
  t.ok((await app.health.shutdown()).clean)
  t.same(events, ['start', 'start aborted', 'stop'])
})

t.test('bad arguments are coded errors naming what was wrong; workers are added before ready', async (t) => {
  const app = await build(t)
  const stop = (): void => {}
  t.throws(() => app.health.worker('Bad Name', stop), { code: 'FST_ZD_INVALID_NAME' })
  t.throws(() => app.health.worker('w', 'stop' as never), { code: 'FST_ZD_INVALID_ARGUMENT', message: 'Invalid argument to health.worker("w"): got "stop", expected a stop function ({ signal }) => Promise<void>, or an object { start?, stop }' })
  t.throws(() => app.health.worker('w', {} as never), { code: 'FST_ZD_INVALID_ARGUMENT', message: /health\.worker\("w"\) stop: got undefined, expected a function/ })
  t.throws(() => app.health.worker('w', { stop, start: 1 } as never), { code: 'FST_ZD_INVALID_ARGUMENT', message: /health\.worker\("w"\) start: got 1/ })
  t.throws(() => app.health.worker('w', stop, null as never), { code: 'FST_ZD_INVALID_ARGUMENT', message: /expected an options object \{ timeout, http \}/ })
  t.throws(() => app.health.worker('w', stop, { htpp: true } as never), { code: 'FST_ZD_INVALID_ARGUMENT', message: 'Invalid argument to health.worker("w"): got an unknown option "htpp", expected one of the known options: timeout, http (did you mean "http"?)' })
  t.throws(() => app.health.worker('w', stop, { http: 'yes' } as never), { code: 'FST_ZD_INVALID_ARGUMENT', message: /option "http": got "yes", expected a boolean/ })
  t.throws(() => app.health.worker('w', stop, { timeout: 0 }), { code: 'FST_ZD_INVALID_OPTION', message: /health\.worker\("w"\) timeout/ })
  t.throws(() => app.health.worker('event-streams', stop), { code: 'FST_ZD_DUPLICATE_NAME' }, 'the built-in SSE worker\'s name is taken')
  t.equal(app.health.worker('w', stop), app.health, 'chainable')
  await app.ready()
  t.throws(() => app.health.worker('late', stop), { code: 'FST_ZD_TOO_LATE', message: 'Cannot add worker "late" once the application is ready: register it before ready() or listen()' })
})

t.test('the budget counts worker stops: an HTTP-borne one after the delay, a consumer from the signal', async (t) => {
  const base = { shutdownDelay: 5000, drainTimeout: 10000, resourceTimeouts: [2000], gracePeriod: 30000 }
  t.same(describeBudget(base), { total: 18000, text: 'shutdownDelay 5000 + drainTimeout 10000 + 1 resource timeout(s) 2000 + margin 1000 = 18000 ms' })
  t.same(describeBudget({ ...base, workers: [{ timeout: 12000, http: true }, { timeout: 10000, http: false }] }), { total: 20250, text: 'shutdownDelay 5000 + longest HTTP worker stop 12250 (above drainTimeout 10000) + 1 resource timeout(s) 2000 + margin 1000 = 20250 ms' })
  t.same(describeBudget({ ...base, workers: [{ timeout: 19750, http: false }] }), { total: 23000, text: 'longest consumer worker stop 20000 (above shutdownDelay 5000 + drainTimeout 10000) + 1 resource timeout(s) 2000 + margin 1000 = 23000 ms' })
  const app = Fastify()
  t.teardown(async () => await app.close())
  await app.register(zeroDowntime, { signals: false })
  app.health.worker('fits', () => {}, { timeout: 25000 })
  t.throws(() => app.health.worker('too-long', () => {}, { timeout: 24000, http: true }), { code: 'FST_ZD_BUDGET_EXCEEDED', message: /shutdownDelay 5000 \+ longest HTTP worker stop 24250 \(above drainTimeout 10000\)/ })
  t.throws(() => app.health.websockets({ on () {}, handleUpgrade () {} }, { timeout: 29000 }), { code: 'FST_ZD_BUDGET_EXCEEDED' })
  t.throws(() => app.health.worker('way-too-long', () => {}, { timeout: 29000 }), { code: 'FST_ZD_BUDGET_EXCEEDED', message: /longest consumer worker stop 29250/ })
})

t.test('metrics: each worker\'s stop duration by outcome, and the work cut', async (t) => {
  class InMemoryReader extends MetricReader {
    protected async onShutdown (): Promise<void> {}
    protected async onForceFlush (): Promise<void> {}
  }
  const reader = new InMemoryReader()
  const meterProvider = new MeterProvider({ readers: [reader] })
  t.teardown(async () => await meterProvider.shutdown())
  const app = await build(t, { meterProvider })
  app.health.worker('queue', () => ({ cut: 3 }))
  await app.ready()
  await app.health.shutdown()
  const { resourceMetrics } = await reader.collect() as { resourceMetrics: ResourceMetrics }
  const all = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics)
  const points = (name: string): Array<{ attributes: Record<string, unknown>, value: unknown }> => (all.find((m) => m.descriptor.name === name)?.dataPoints ?? []) as never
  t.match(points('zero_downtime.worker.stop.duration').find((p) => p.attributes['worker.name'] === 'queue'), { attributes: { 'worker.outcome': 'cut' }, value: { count: 1 } })
  t.notOk(points('zero_downtime.worker.stop.duration').some((p) => p.attributes['worker.name'] === 'event-streams'), 'a worker with nothing to stop is not measured')
  t.same(points('zero_downtime.worker.cut').map((p) => [p.attributes['worker.name'], p.value]), [['queue', 3]])
  t.ok(points('zero_downtime.shutdown.phase.duration').some((p) => p.attributes['shutdown.phase'] === 'workers'))
})
