import t, { type Test } from 'tap'
import Fastify from 'fastify'
import { MeterProvider, MetricReader, type DataPoint, type ResourceMetrics } from '@opentelemetry/sdk-metrics'
import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import zeroDowntime = require('../lib/index')

// The OpenTelemetry SDK's own reader, collected on demand: what an exporter would send.
class InMemoryReader extends MetricReader {
  protected async onShutdown (): Promise<void> {}
  protected async onForceFlush (): Promise<void> {}
}

interface Collected { points: (name: string) => Array<DataPoint<unknown>>, unit: (name: string) => string | undefined }

async function collect (reader: InMemoryReader): Promise<Collected> {
  const { resourceMetrics } = await reader.collect() as { resourceMetrics: ResourceMetrics }
  const all = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics)
  const find = (name: string): (typeof all)[number] | undefined => all.find((m) => m.descriptor.name === name)
  return { points: (name) => (find(name)?.dataPoints ?? []) as Array<DataPoint<unknown>>, unit: (name) => find(name)?.descriptor.unit }
}

async function setup (t: Test, options: zeroDowntime.ZeroDowntimeOptions = {}): Promise<{ app: ReturnType<typeof Fastify>, reader: InMemoryReader }> {
  const reader = new InMemoryReader()
  const meterProvider = new MeterProvider({ readers: [reader] })
  const app = Fastify()
  t.teardown(async () => { await app.close().catch(() => {}); await meterProvider.shutdown() })
  await app.register(zeroDowntime, { signals: false, shutdownDelay: 0, checkInterval: 1000, meterProvider, ...options })
  return { app, reader }
}

t.test('checks: status as a state set, run durations by check, group and status', async (t) => {
  const { app, reader } = await setup(t)
  let healthy = true
  app.health.check('db', async () => { if (!healthy) throw new Error('down') }, { groups: ['readiness', 'startup'] })
  app.health.check('cache', () => ({ status: 'warn' }), { critical: false })
  await app.ready()
  let metrics = await collect(reader)
  const status = (check: string): string | undefined => metrics.points('zero_downtime.check.status').find((p) => p.attributes['check.name'] === check && p.value === 1)?.attributes['check.status'] as string | undefined
  t.equal(status('db'), 'pass')
  t.equal(status('cache'), 'warn')
  t.equal(metrics.points('zero_downtime.check.status').filter((p) => p.attributes['check.name'] === 'db').length, 3, 'one point per status, 1 for the current one')
  t.match(metrics.points('zero_downtime.check.status').find((p) => p.attributes['check.name'] === 'db')?.attributes, { 'check.groups': 'readiness,startup', 'check.critical': true })
  const durations = metrics.points('zero_downtime.check.duration')
  t.equal(metrics.unit('zero_downtime.check.duration'), 's')
  t.match(durations.find((p) => p.attributes['check.name'] === 'db'), { attributes: { 'check.status': 'pass' }, value: { count: 1 } })
  t.ok(durations.some((p) => p.attributes['check.name'] === 'eventloop'), 'the liveness check too')
  healthy = false
  await new Promise<void>((resolve) => { const off = app.health.onStateChange(() => {}); off(); const timer = setInterval(() => { if (app.health.checks.find((c) => c.name === 'db')?.last?.status === 'fail') { clearInterval(timer); resolve() } }, 20) })
  metrics = await collect(reader)
  t.equal(status('db'), 'fail', 'the gauge follows the result')
  t.match(metrics.points('zero_downtime.check.duration').find((p) => p.attributes['check.name'] === 'db' && p.attributes['check.status'] === 'fail'), { value: { count: 1 } })
  t.same(metrics.points('zero_downtime.readiness').map((p) => p.value), [0], 'readiness off while a critical check fails')
  t.same(metrics.points('zero_downtime.liveness').map((p) => p.value), [1], 'liveness does not follow a dependency')
  app.health.markBroken('deadlock in the worker pool')
  t.same((await collect(reader)).points('zero_downtime.liveness').map((p) => p.value), [0], 'it follows markBroken()')
})

t.test('lifecycle: state set, transitions, each shutdown phase, requests cut at drainTimeout', async (t) => {
  const { app, reader } = await setup(t, { shutdownDelay: 120, drainTimeout: 150 })
  app.get('/slow', async () => await new Promise(() => {}))
  await app.listen({ port: 0, host: '127.0.0.1' })
  let metrics = await collect(reader)
  t.same(metrics.points('zero_downtime.lifecycle.state').filter((p) => p.value === 1).map((p) => p.attributes['lifecycle.state']), ['ready'])
  t.same(metrics.points('zero_downtime.readiness').map((p) => p.value), [1])
  // One request that never ends: cut when drainTimeout is over.
  const { port } = app.server.address() as AddressInfo
  const hanging = request({ host: '127.0.0.1', port, path: '/slow' }).on('error', () => {})
  hanging.end()
  await new Promise((resolve) => app.server.once('request', resolve))
  const report = await app.health.shutdown()
  t.equal(report.clean, false)
  metrics = await collect(reader)
  const transitions = metrics.points('zero_downtime.lifecycle.transitions').map((p) => `${String(p.attributes['lifecycle.state.previous'])}->${String(p.attributes['lifecycle.state'])}:${String(p.value)}`)
  t.same(transitions.sort(), ['closing->closed:1', 'draining->closing:1', 'ready->draining:1', 'starting->ready:1'])
  const phases = Object.fromEntries(metrics.points('zero_downtime.shutdown.phase.duration').map((p) => [p.attributes['shutdown.phase'], (p.value as { sum: number }).sum]))
  t.same(Object.keys(phases).sort(), ['delay', 'drain', 'resources'])
  t.ok(phases.delay >= 0.1 && phases.delay < 2, `delay ${phases.delay} s: shutdownDelay 120 ms`)
  t.ok(phases.drain >= 0.14 && phases.drain < 2, `drain ${phases.drain} s: cut at drainTimeout 150 ms`)
  t.same(metrics.points('zero_downtime.shutdown.requests_cut').map((p) => p.value), [1])
  t.equal(metrics.unit('zero_downtime.shutdown.requests_cut'), '{request}')
  // The callbacks are removed at close (the instance can be collected): the SDK keeps the values of
  // the last collection before it, when the instance was ready.
  t.same(metrics.points('zero_downtime.lifecycle.state').filter((p) => p.value === 1).map((p) => p.attributes['lifecycle.state']), ['ready'], 'a closed instance is no longer observed')
  hanging.destroy()
})

t.test('without an SDK the metrics are the API\'s no-op; a wrong meterProvider is refused', async (t) => {
  const app = Fastify()
  t.teardown(async () => { await app.close() })
  await app.register(zeroDowntime, { signals: false, shutdownDelay: 0 })
  app.health.check('db', async () => {})
  await app.ready()
  t.equal(app.health.ready, true)
  await t.rejects(async () => { await Fastify().register(zeroDowntime, { meterProvider: {} } as never) }, { code: 'FST_ZD_INVALID_OPTION', message: /Invalid option "meterProvider": got an object, expected an OpenTelemetry MeterProvider/ })
  await t.rejects(async () => { await Fastify().register(zeroDowntime, { meterProvider: null } as never) }, { code: 'FST_ZD_INVALID_OPTION', message: /Invalid option "meterProvider": got null/ })
})
