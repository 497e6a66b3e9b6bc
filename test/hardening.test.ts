import t from 'tap'
import Fastify from 'fastify'
import { build, get, logCollector, until } from './lib/helpers'
import zeroDowntime = require('../lib/index')
import { describeError } from '../lib/redact'

t.test('checks that throw odd things: the app starts, and the check keeps being scheduled', async (t) => {
  const revoked = Proxy.revocable({}, {})
  revoked.revoke()
  const throwers: Record<string, () => unknown> = {
    'number-message': () => { const e = new Error('x'); (e as unknown as { message: unknown }).message = 42; return e },
    'null-message': () => { const e = new Error('x'); (e as unknown as { message: unknown }).message = null; return e },
    'object-message': () => Object.assign(new Error('x'), { message: { password: 'hunter2' } }),
    'getter-throws': () => { const e = new Error('x'); Object.defineProperty(e, 'message', { get () { throw new Error('getter') } }); return e },
    'revoked-proxy': () => revoked.proxy,
    'a-number': () => 7,
    'a-null': () => null,
    'a-symbol': () => Symbol('s')
  }
  const app = await build(t, { liveness: false, details: 'always' })
  const runs: Record<string, number> = {}
  for (const [name, make] of Object.entries(throwers)) {
    runs[name] = 0
    app.health.check(name, () => { runs[name]++; throw make() }, { interval: 30, timeout: 20 })
  }
  await app.listen({ port: 0, host: '127.0.0.1' })
  await until(() => Object.values(runs).every((n) => n >= 3), 'every check to run three times')
  const body = (await get(app, '/readyz?verbose')).body
  for (const name of Object.keys(throwers)) t.match(body, new RegExp(`\\[-\\]${name} failed: `), name)
  t.notOk(body.includes('hunter2'))
})

t.test('durations Node cannot time (2^31 ms or more) are refused', async (t) => {
  for (const option of ['checkInterval', 'closeTimeout', 'gracePeriod', 'drainTimeout', 'shutdownDelay', 'startupTimeout']) {
    const app = Fastify()
    t.teardown(() => app.close())
    await t.rejects(async () => { await app.register(zeroDowntime, { signals: false, [option]: 2 ** 31 }) }, { code: 'FST_ZD_INVALID_OPTION', message: new RegExp(`"${option}".*at most 2147483647`) }, option)
  }
  const app = await build(t)
  t.throws(() => app.health.check('x', () => {}, { interval: 2 ** 31 }), { code: 'FST_ZD_INVALID_OPTION' })
  t.throws(() => app.health.resource('x', () => {}, { timeout: 2 ** 32 }), { code: 'FST_ZD_INVALID_OPTION' })
})

t.test('drainTimeout: 0 is refused: it would cut every request in flight', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await t.rejects(async () => { await app.register(zeroDowntime, { signals: false, drainTimeout: 0 }) }, { code: 'FST_ZD_INVALID_OPTION', message: /"drainTimeout"/ })
})

t.test('options that are a Map, Set, Date, RegExp or class instance are refused', async (t) => {
  for (const value of [new Map(), new Set(), new Date(), /x/, new (class Options {})()]) {
    for (const options of [value, { routes: value }, { liveness: value }]) {
      const app = Fastify()
      t.teardown(() => app.close())
      await t.rejects(async () => { await app.register(zeroDowntime, options as never) }, { code: 'FST_ZD_INVALID_OPTION' }, `${Object.prototype.toString.call(value)} in ${JSON.stringify(Object.keys(options))}`)
    }
  }
})

t.test('twelve checks: no MaxListenersExceededWarning', async (t) => {
  const warnings: Error[] = []
  const onWarning = (warning: Error): void => { warnings.push(warning) }
  process.on('warning', onWarning)
  t.teardown(() => process.off('warning', onWarning))
  const app = await build(t, { liveness: false })
  for (let i = 0; i < 12; i++) app.health.check(`c${i}`, async () => await new Promise((resolve) => setTimeout(resolve, 20)))
  await app.ready()
  await new Promise((resolve) => setImmediate(resolve))
  t.same(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message), [])
})

t.test('an authorize() that never settles: the probe answers, details withheld, and the shutdown stays clean', async (t) => {
  const { stream, lines } = logCollector()
  const app = await build(t, { details: 'authorized', authorize: async () => await new Promise<boolean>(() => {}), checkTimeout: 100 }, { logger: { stream, level: 'info' } })
  app.health.check('db', () => ({ status: 'fail', output: 'down' }))
  await app.listen({ port: 0, host: '127.0.0.1' })
  const verbose = await get(app, '/readyz?verbose')
  t.match(verbose.body, /\[-\]db failed: reason withheld/)
  t.equal((await get(app, '/health')).status, 503)
  t.ok(lines.some((l) => /authorize\(\) did not answer within 100 ms: details withheld/.test(String(l.msg))))
  t.same(await app.health.shutdown(), { clean: true, problems: [], workers: [] })
})

t.test('an authorize() that throws is logged without the error object (its config may carry credentials)', async (t) => {
  const { stream, lines } = logCollector()
  const app = await build(t, {
    details: 'authorized',
    authorize: () => { throw Object.assign(new Error('request failed'), { config: { headers: { Authorization: 'Bearer sk_live_abcdefghijklmnopqrstuvwx' } } }) }
  }, { logger: { stream, level: 'info' } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.equal((await get(app, '/health')).status, 200)
  t.ok(lines.some((l) => /authorize\(\) threw: details withheld/.test(String(l.msg))))
  t.notOk(JSON.stringify(lines).includes('sk_live_'))
})

t.test('observedValue and observedUnit follow the details policy', async (t) => {
  for (const details of ['never', 'always'] as const) {
    const app = await build(t, { liveness: false, details })
    app.health.check('db', () => ({ status: 'pass', observedValue: 'postgres://app:hunter2@db/x', observedUnit: 'url' }))
    app.health.check('latency', () => ({ status: 'pass', observedValue: 3, observedUnit: 'ms' }))
    app.health.check('odd-unit', () => ({ status: 'pass', observedValue: 1, observedUnit: 'api_key=hunter2' }))
    await app.listen({ port: 0, host: '127.0.0.1' })
    const body = JSON.parse((await get(app, '/health')).body)
    t.notOk(JSON.stringify(body).includes('hunter2'), `${details}: no secret`)
    if (details === 'never') {
      t.same(Object.keys(body.checks.db[0]).sort(), ['duration', 'status', 'time'], 'never: no observed value at all')
    } else {
      t.equal(body.checks.latency[0].observedValue, 3)
      t.equal(body.checks.db[0].observedValue, 'postgres://[REDACTED]@db/x', 'always: redacted')
      t.equal(body.checks['odd-unit'][0].observedUnit, 'api_key=[REDACTED]', 'always: the unit redacted too')
    }
  }
})

t.test('a failure reason a check returns is redacted wherever it shows: responses, logs, app.health.checks', async (t) => {
  const { stream, lines } = logCollector()
  const app = await build(t, { liveness: false, details: 'always' }, { logger: { stream, level: 'info' } })
  app.health.check('db', () => ({ status: 'fail', output: 'login refused: postgres://app:hunter2@db/x' }))
  await app.listen({ port: 0, host: '127.0.0.1' })
  await until(() => app.health.checks[0].last !== undefined, 'a run')
  const shown = 'login refused: postgres://[REDACTED]@db/x'
  t.equal(app.health.checks[0].last?.output, shown, 'app.health.checks')
  t.equal(JSON.parse((await get(app, '/health')).body).checks.db[0].output, shown, '/health')
  t.match((await get(app, '/readyz?verbose')).body, `[-]db failed: ${shown}`, '/readyz?verbose')
  t.notOk(JSON.stringify(lines).includes('hunter2'), 'the logs')
})

t.test('an invalid result names its type, never its start', async (t) => {
  const app = await build(t, { liveness: false, details: 'always' })
  app.health.check('odd', () => 'sk_live_abcdefghijklmnopqrstuvwx and more text' as never)
  app.health.check('null', () => null as never)
  app.health.check('number', () => 42 as never)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const body = (await get(app, '/readyz?verbose')).body
  t.match(body, /\[-\]odd failed: invalid result: .* got a string of 46 characters/)
  t.match(body, /\[-\]null failed: invalid result: .* got null\n/)
  t.match(body, /\[-\]number failed: invalid result: .* got 42\n/)
  t.notOk(body.includes('sk_live'))
})

t.test('a check that hangs once, ignoring its signal, runs again and recovers', async (t) => {
  const app = await build(t, { liveness: false })
  let starts = 0
  app.health.check('flaky', () => { starts++; if (starts === 1) return new Promise<void>(() => {}) }, { interval: 30, timeout: 20 })
  await app.listen({ port: 0, host: '127.0.0.1' })
  await until(() => app.health.checks[0].last?.status === 'pass', 'a later run to pass')
  t.equal((await get(app, '/readyz')).status, 200)
})

t.test('a check that always hangs: at most 3 runs abandoned, readiness fails naming it', async (t) => {
  const app = await build(t, { liveness: false })
  let starts = 0
  app.health.check('wedged', () => { starts++; return new Promise<void>(() => {}) }, { interval: 30, timeout: 20 })
  await app.listen({ port: 0, host: '127.0.0.1' })
  await until(() => /hung/.test(app.health.checks[0].last?.output ?? ''), 'the hung verdict')
  const runs = app.health.checks[0].runs
  await until(() => app.health.checks[0].runs >= runs + 5, 'five more intervals')
  t.equal(starts, 3, 'no run started beyond the three abandoned')
  t.match(app.health.checks[0].last?.output, /hung: 3 runs never settled after their timeout/)
  t.equal((await get(app, '/readyz')).status, 503)
  t.equal((await get(app, '/livez')).status, 200, 'liveness is not touched: a readiness check cannot restart the pod')
})

t.test('hung runs that settle at last free their places: new runs start again', async (t) => {
  const app = await build(t, { liveness: false })
  const hung: Array<() => void> = []
  let healed = false
  app.health.check('wedged', async () => { if (!healed) await new Promise<void>((resolve) => hung.push(resolve)) }, { interval: 30, timeout: 20 })
  await app.listen({ port: 0, host: '127.0.0.1' })
  await until(() => /hung: 3 runs/.test(app.health.checks[0].last?.output ?? ''), 'three runs abandoned')
  healed = true
  // Long after their timeout, the hung runs return: each frees its place.
  for (const settle of hung) settle()
  await until(() => app.health.checks[0].last?.status === 'pass', 'a new run, started once places are free, passes')
  t.equal((await get(app, '/readyz')).status, 200)
})

t.test('a critical check answering warn counts as passed for startup', async (t) => {
  const app = await build(t, { liveness: false })
  app.health.check('degraded', () => ({ status: 'warn', output: 'slow' }), { critical: true })
  await app.listen({ port: 0, host: '127.0.0.1' })
  await until(() => app.health.state === 'ready', 'ready')
  t.equal((await get(app, '/readyz')).status, 200)
  t.equal(JSON.parse((await get(app, '/readyz')).body).status, 'warn')
})

t.test('once ready, the startup timer is cleared: startupTimeout never fires later', async (t) => {
  const { stream, lines } = logCollector()
  const app = await build(t, { liveness: false, startupTimeout: 100, checkInterval: 300, checkTimeout: 100 }, { logger: { stream, level: 'info' } })
  let runs = 0
  app.health.check('db', () => { runs++ })
  await app.listen({ port: 0, host: '127.0.0.1' })
  await until(() => app.health.state === 'ready', 'ready')
  // The next run comes at least 270 ms later: past the 100 ms startupTimeout.
  await until(() => runs >= 2, 'a later run')
  t.notOk(lines.some((l) => /startup failed/.test(String(l.msg))), 'no startup failure logged after ready')
  t.same(app.health.report('startup'), { status: 'pass', lines: [{ name: 'startup', ok: true, reason: undefined }] })
})

t.test('a long message is redacted before it is cut: no part of a secret straddles the cut', async (t) => {
  const secret = 'Zq7rP2vX9kLm4Tn8'
  for (let pad = 470; pad <= 500; pad++) {
    const out = describeError(new Error('x'.repeat(pad) + ` postgres://app:${secret}@db/app`))
    for (let i = 0; i + 6 <= secret.length; i++) t.notOk(out.includes(secret.slice(i, i + 6)), `pad ${pad}: ${secret.slice(i, i + 6)}`)
  }
})
