import t from 'tap'
import Fastify from 'fastify'
import { build, get, logCollector, until } from './lib/helpers'
import zeroDowntime = require('../lib/index')
import { runCheck } from '../lib/run-check'
import { jittered } from '../lib/registry'

t.test('check names are URL-safe and unique; options are validated', async (t) => {
  const app = await build(t)
  const noop = async (): Promise<void> => {}
  t.equal(app.health.check('db', noop), app.health, 'chainable')
  t.throws(() => app.health.check('db', noop), { code: 'FST_ZD_DUPLICATE_NAME', message: /check named "db" is already registered/ })
  for (const name of ['', 'DB', '-db', 'd b', 'a/b', 'x'.repeat(64), 42]) {
    t.throws(() => app.health.check(name as string, noop), { code: 'FST_ZD_INVALID_NAME' }, `rejects ${String(name)}`)
  }
  t.throws(() => app.health.check('a', 'nope' as never), { code: 'FST_ZD_INVALID_ARGUMENT', message: /health.check\("a"\): got "nope", expected a function/ })
  t.throws(() => app.health.check('a', noop, null as never), { code: 'FST_ZD_INVALID_ARGUMENT', message: /got null, expected an options object/ })
  t.throws(() => app.health.check('a', noop, { group: ['readiness'] } as never), { message: 'Invalid argument to health.check("a"): got an unknown option "group", expected one of the known options: groups, critical, timeout, interval, close (did you mean "groups"?)' })
  t.throws(() => app.health.check('a', noop, { groups: ['readiness', 'ready'] } as never), { message: /"groups\[1\]": got "ready", expected one of "readiness", "liveness", "startup"/ })
  t.throws(() => app.health.check('a', noop, { groups: [] }), { message: /"groups": got an empty array, expected a non-empty array of "readiness"/ })
  t.throws(() => app.health.check('a', noop, { critical: 'no' } as never), { message: /"critical": got "no", expected a boolean/ })
  t.throws(() => app.health.check('a', noop, { timeout: -1 }), { code: 'FST_ZD_INVALID_OPTION', message: /timeout/ })
  t.throws(() => app.health.check('a', noop, { interval: 100, timeout: 200 }), { message: /"timeout": got 200, expected at most its interval \(100 ms\)/ })
  app.health.check('short', noop, { interval: 100 })
  t.equal(app.health.checks.find((c) => c.name === 'short')?.timeout, 100, 'the default timeout never exceeds the interval')
  await app.ready()
  t.throws(() => app.health.check('late', noop), { code: 'FST_ZD_TOO_LATE', message: /Cannot add check "late" once the application is ready/ })
})

t.test('before the first round, every check counts as failing', async (t) => {
  const app = await build(t)
  app.health.check('db', async () => {})
  t.match(app.health.report('ready').lines, [{ name: 'startup', ok: false }, { name: 'db', ok: false, reason: 'no result yet' }])
  t.equal(app.health.report('live').status, 'fail', 'the event-loop check has no result yet either')
})

t.test('a fail without output reads "failed" when details are shown', async (t) => {
  const app = await build(t, { details: 'always' })
  app.health.check('db', () => ({ status: 'fail' }))
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.equal((await get(app, '/readyz/db?verbose')).body, '[-]db failed: failed\nreadyz check failed\n')
})

t.test('the first round runs during ready(): ready as soon as it listens', async (t) => {
  const app = await build(t)
  let runs = 0
  app.health.check('db', async () => { runs++ })
  t.equal(app.health.state, 'starting')
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.equal(runs, 1)
  t.equal(app.health.state, 'ready')
  t.equal((await get(app, '/readyz')).status, 200)
})

t.test('results: nothing is pass, a status object is used, throwing and garbage are fail', async (t) => {
  const { stream, lines } = logCollector()
  const app = await build(t, { liveness: false }, { logger: { stream, level: 'info' } })
  app.health.check('void', () => {})
  app.health.check('warn', () => ({ status: 'warn', observedValue: 7, observedUnit: 'ms', output: 'slow' }))
  app.health.check('throws', () => { throw new Error('boom') })
  app.health.check('rejects', async () => { throw Object.assign(new Error('no route'), { code: 'EHOSTUNREACH' }) })
  app.health.check('string-thrown', async () => { throw 'plain string' }) // eslint-disable-line no-throw-literal
  app.health.check('number-thrown', async () => { throw 42 }) // eslint-disable-line no-throw-literal
  app.health.check('empty-error', async () => { throw new Error('') })
  app.health.check('garbage', () => 'ok' as never)
  app.health.check('garbage-object', () => ({ ok: true }) as never)
  app.health.check('bad-value', () => ({ status: 'pass', observedValue: {} }) as never)
  await app.ready()
  const byName = Object.fromEntries(app.health.checks.map((c) => [c.name, c.last]))
  t.match(byName.void, { status: 'pass' })
  t.match(byName.warn, { status: 'warn', observedValue: 7, observedUnit: 'ms', output: 'slow' })
  t.match(byName.throws, { status: 'fail', output: 'boom' })
  t.match(byName.rejects, { status: 'fail', output: 'EHOSTUNREACH: no route' })
  t.match(byName['string-thrown'], { status: 'fail', output: 'plain string' })
  t.match(byName['number-thrown'], { status: 'fail', output: 'a thrown number (not an Error)' })
  t.match(byName['empty-error'], { status: 'fail', output: 'Error' })
  t.match(byName.garbage, { status: 'fail', output: /invalid result: .* got a string of 2 characters/ })
  t.match(byName['garbage-object'], { status: 'fail', output: /got an object without a valid status/ })
  t.match(byName['bad-value'], { status: 'fail' })
  t.ok(lines.some((l) => l.level === 50 && /health check "garbage" returned an invalid result/.test(String(l.msg))), 'garbage gets a clear log line')
  t.notOk(lines.some((l) => l.check === 'void'), 'a first pass logs nothing')
  t.ok(lines.some((l) => l.check === 'warn' && /degraded/.test(String(l.msg))))
})

t.test('a timeout aborts the signal and fails, not before the timeout', async (t) => {
  const app = await build(t)
  let aborted: unknown
  app.health.check('slow', ({ signal }) => new Promise<void>((resolve) => {
    signal.addEventListener('abort', () => { aborted = signal.reason; resolve() })
  }), { timeout: 50 })
  const started = Date.now()
  await app.ready()
  t.ok(Date.now() - started >= 45, 'not before the timeout')
  t.match(aborted, { code: 'FST_ZD_CHECK_TIMEOUT' })
  t.match(app.health.checks.find((c) => c.name === 'slow')?.last, { status: 'fail', output: 'timeout: no result within 50 ms' })
})

t.test('the check rate does not depend on the probe rate', async (t) => {
  const app = await build(t, { liveness: false })
  let runs = 0
  // An interval no test run reaches, however loaded the machine: only probes could add runs.
  app.health.check('db', async () => { runs++ }, { interval: 600000, timeout: 100 })
  await app.listen({ port: 0, host: '127.0.0.1' })
  await Promise.all(Array.from({ length: 200 }, async () => await get(app, '/readyz')))
  t.equal(runs, 1, '200 probes, still the single first-round run')
})

t.test('background runs continue, with transitions logged once each', async (t) => {
  const { stream, lines } = logCollector()
  const app = await build(t, { liveness: false }, { logger: { stream, level: 'info' } })
  let healthy = true
  let runs = 0
  app.health.check('db', async () => { runs++; if (!healthy) throw new Error('connect ECONNREFUSED postgres://app:hunter2@db:5432/app') }, { interval: 20, timeout: 10 })
  await app.listen({ port: 0, host: '127.0.0.1' })
  healthy = false
  await until(() => app.health.checks[0].last?.status === 'fail', 'the failure')
  const failingAt = runs
  await until(() => runs >= failingAt + 3, 'more failing runs')
  t.equal((await get(app, '/readyz')).status, 503)
  t.equal((await get(app, '/')).status, 404, 'application routes are not shed: 404, not 503')
  healthy = true
  await until(() => app.health.checks[0].last?.status === 'pass', 'the recovery')
  const db = lines.filter((l) => l.check === 'db')
  t.equal(db.length, 2, 'one line for the failure, one for the recovery')
  t.match(db[0], { level: 40, msg: 'health check "db" is failing', reason: 'connect ECONNREFUSED postgres://[REDACTED]@db:5432/app' })
  t.match(db[1], { level: 30, msg: 'health check "db" recovered' })
  t.notOk(JSON.stringify(lines).includes('hunter2'))
})

t.test('closing aborts runs in flight and ignores their outcome', async (t) => {
  const app = Fastify()
  await app.register(zeroDowntime, { signals: false, liveness: false })
  let signal: AbortSignal | undefined
  let starts = 0
  app.health.check('db', async (ctx) => {
    if (++starts === 1) throw new Error('not yet')
    signal = ctx.signal
    // The second run stays in flight until aborted, then reports a pass that must be ignored.
    await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve))
  }, { interval: 60000, timeout: 60000 })
  // Once startup tasks are done, checks that have not passed yet run again at once.
  app.health.startupTask('warm', () => {})
  await app.ready()
  await until(() => signal !== undefined, 'the second run to start')
  t.equal(signal?.aborted, false)
  await app.close()
  t.equal(signal?.aborted, true)
  t.equal(app.health.checks[0].runs, 1)
})

t.test('runCheck on an already closing signal aborts at once', async (t) => {
  const closing = new AbortController()
  const { outcome } = runCheck(async ({ signal }) => {
    await new Promise((resolve) => signal.addEventListener('abort', resolve))
    throw signal.reason
  }, 1000, closing.signal)
  closing.abort(new Error('closing'))
  t.match(await outcome, { status: 'fail', output: 'closing' })
})

t.test('the delay between runs: within ±10% of the interval, in 21 steps whatever the number of checks', async (t) => {
  t.equal(jittered(1000, () => 0), 900)
  t.equal(jittered(1000, () => 0.9999), 1100)
  t.equal(jittered(5000, () => 0.5), 5000)
  const delays = new Set(Array.from({ length: 2000 }, () => jittered(1000)))
  t.equal(delays.size, 21, 'one timer list per step, not one per check')
  t.ok([...delays].every((d) => d >= 900 && d <= 1100 && Number.isInteger(d)))
  t.ok(jittered(45) >= 40.5 && jittered(45) <= 49.5)
})
