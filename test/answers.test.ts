import t from 'tap'
import { Status } from '../lib/status'
import { AnswerCache } from '../lib/answers'
import { build, get, until } from './lib/helpers'

t.test('AnswerCache: computed once, again after invalidate() or once validUntil has passed', async (t) => {
  let validUntil = Infinity
  let computed = 0
  const cache = new AnswerCache(() => validUntil)
  const compute = (): { statusCode: number, contentType: string, body: string } => ({ statusCode: 200, contentType: 'text/plain', body: String(++computed) })
  t.equal(cache.get('k', compute).body, '1')
  t.equal(cache.get('k', compute).body, '1', 'kept')
  t.equal(cache.get('other', compute).body, '2', 'one entry per key')
  cache.invalidate()
  t.equal(cache.get('k', compute).body, '3', 'recomputed after invalidate()')
  validUntil = Date.now() - 1
  cache.invalidate()
  t.equal(cache.get('k', compute).body, '4')
  t.equal(cache.get('k', compute).body, '5', 'a moment already past: recomputed each time')
})

t.test('probes do not recompute their answer while nothing changes, whatever the number of checks', async (t) => {
  const app = await build(t, { liveness: false, checkInterval: 60000, details: 'always' })
  for (let i = 0; i < 200; i++) app.health.check(`dep-${i}`, () => {})
  await app.listen({ port: 0, host: '127.0.0.1' })
  await until(() => app.health.state === 'ready', 'ready')
  // Counted where the routes call it: the plugin's Status (app.health is its public face only).
  let reports = 0
  const report = Status.prototype.report
  Status.prototype.report = function (this: Status, ...args: Parameters<Status['report']>) { reports++; return report.apply(this, args) }
  t.teardown(() => { Status.prototype.report = report })
  for (let i = 0; i < 300; i++) t.equal((await get(app, i % 3 === 0 ? '/readyz' : i % 3 === 1 ? '/readyz?verbose' : '/livez')).status, 200)
  t.ok(reports <= 3, `${reports} computations for 300 probes (one per answer)`)
  t.equal((await get(app, '/readyz?exclude=dep-1')).status, 200)
  t.equal(reports, 4, 'an answer with ?exclude is computed for its request')
})

t.test('runs that change nothing a probe shows keep its answer; /health follows every run', async (t) => {
  // 1 s apart, stale after 3 s: within the ~1.5 s below no kept result turns stale, so only a run
  // could make a probe recompute.
  const app = await build(t, { liveness: false, checkInterval: 1000, details: 'always' })
  for (let i = 0; i < 50; i++) app.health.check(`dep-${i}`, () => {})
  await app.listen({ port: 0, host: '127.0.0.1' })
  await until(() => app.health.state === 'ready', 'ready')
  const runs = (): number => app.health.checks.reduce((sum, check) => sum + check.runs, 0)
  let reports = 0
  const report = Status.prototype.report
  Status.prototype.report = function (this: Status, ...args: Parameters<Status['report']>) { reports++; return report.apply(this, args) }
  t.teardown(() => { Status.prototype.report = report })
  const before = runs()
  const healthBefore = JSON.parse((await get(app, '/health')).body).checks['dep-0'][0].time
  const probes = ['/readyz', '/readyz?verbose', '/livez']
  let probed = 0
  const statuses = new Set<number>()
  while (runs() < before + 50) statuses.add((await get(app, probes[probed++ % 3])).status)
  t.same([...statuses], [200])
  t.ok(probed > 30, `${probed} probes while ${runs() - before} runs passed`)
  t.ok(reports <= 3, `${reports} computations (one per answer), not one per run`)
  await until(() => app.health.checks[0].runs > 1, 'dep-0 to run again')
  const healthAfter = JSON.parse((await get(app, '/health')).body).checks['dep-0'][0].time
  t.not(healthAfter, healthBefore, '/health shows the newest run')
})

t.test('a failing check whose reason changes changes the verbose answer', async (t) => {
  const app = await build(t, { liveness: false, checkInterval: 50, checkTimeout: 20, details: 'always' })
  let attempt = 0
  app.health.check('db', () => { throw new Error(`down, attempt ${++attempt}`) }, { critical: false })
  await app.listen({ port: 0, host: '127.0.0.1' })
  await until(() => attempt >= 2, 'two runs')
  await until(() => app.health.checks[0].last?.output === `down, attempt ${attempt}`, 'the last run recorded')
  const seen = (await get(app, '/readyz?verbose')).body
  const shown = Number(/attempt (\d+)/.exec(seen)?.[1])
  t.ok(shown >= 2, `the reason of run ${shown} is shown`)
  await until(() => attempt > shown, 'another run')
  await until(() => app.health.checks[0].last?.output === `down, attempt ${attempt}`, 'it recorded')
  t.match((await get(app, '/readyz?verbose')).body, /\[-\]db failed: down, attempt \d+/)
  t.not((await get(app, '/readyz?verbose')).body, seen, 'the new reason, not the kept answer')
})

t.test('the cached answer follows every change: a check result, rotation, broken, the lifecycle', async (t) => {
  const app = await build(t, { liveness: false, checkInterval: 50, checkTimeout: 20 })
  let healthy = true
  app.health.check('db', () => { if (!healthy) throw new Error('down') })
  await app.listen({ port: 0, host: '127.0.0.1' })
  await until(() => app.health.state === 'ready', 'ready')
  t.equal((await get(app, '/readyz')).body, '{"status":"pass"}')
  healthy = false
  await until(() => app.health.checks[0].last?.status === 'fail', 'the failure')
  t.equal((await get(app, '/readyz')).status, 503, 'a new result')
  healthy = true
  await until(() => app.health.checks[0].last?.status === 'pass', 'the recovery')
  t.equal((await get(app, '/readyz')).status, 200)
  app.health.setReady(false)
  t.equal((await get(app, '/readyz')).status, 503, 'out of rotation')
  app.health.setReady(true)
  t.equal((await get(app, '/readyz')).status, 200, 'back')
  app.health.markBroken('deadlock')
  t.equal((await get(app, '/livez')).status, 503, 'broken')
  t.equal((await get(app, '/health')).status, 503)
})

t.test('a kept result that turns stale changes the answer with no new result', async (t) => {
  const app = await build(t, { liveness: false, checkInterval: 1000, checkTimeout: 20 })
  app.health.check('db', () => {})
  await app.listen({ port: 0, host: '127.0.0.1' })
  await until(() => app.health.state === 'ready', 'ready')
  t.equal((await get(app, '/readyz?verbose')).status, 200)
  // The clock moves past three intervals and no run records a result (as in a stalled loop).
  const now = Date.now
  Date.now = () => now() + 10000
  t.teardown(() => { Date.now = now })
  const res = await get(app, '/readyz?verbose')
  Date.now = now
  t.match(res.body, /\[-\]db failed: reason withheld/, 'stale, though nothing invalidated the answer')
})

t.test('startup progress changes the startup answer', async (t) => {
  const app = await build(t, { liveness: false })
  let finish: () => void = () => {}
  app.health.startupTask('warm', async () => await new Promise<void>((resolve) => { finish = resolve }))
  let dbUp = false
  app.health.check('db', () => dbUp ? undefined : { status: 'fail' as const }, { groups: ['startup'] })
  await app.listen({ port: 0, host: '127.0.0.1' })
  // Still running is not failing: fixed words, shown whatever the details policy.
  t.equal((await get(app, '/startupz?verbose')).body, '[-]task:warm pending\n[-]db has not passed yet\nstartupz check failed\n')
  t.equal((await get(app, '/readyz?verbose')).body, '[-]startup in progress\nreadyz check failed\n')
  dbUp = true
  finish()
  await until(() => app.health.state === 'ready', 'ready')
  t.equal((await get(app, '/startupz')).status, 200)
})

t.test('a startup that failed says failed, withholding why', async (t) => {
  const app = await build(t, { liveness: false })
  app.health.startupTask('warm', async () => { throw new Error('password=hunter2 rejected') })
  await app.listen({ port: 0, host: '127.0.0.1' })
  await until(async () => (await get(app, '/startupz?verbose')).body.includes('task:warm failed'), 'the task failed')
  t.equal((await get(app, '/startupz?verbose')).body, '[-]task:warm failed: reason withheld\n[-]startup failed: reason withheld\nstartupz check failed\n')
  t.equal((await get(app, '/readyz?verbose')).body, '[-]startup failed: reason withheld\nreadyz check failed\n')
})
