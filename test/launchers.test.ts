import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import Fastify from 'fastify'
import { currentProcess, detectLaunchers, launcherWarnings, readCommandLine, type ProcessFacts } from '../lib/launchers'
import zeroDowntime = require('../lib/index')
import { logCollector } from './lib/helpers'
import { spawnFixture } from './lib/process'

const CLI = join(__dirname, '..', 'node_modules', 'fastify-cli', 'cli.js')

function facts (env: NodeJS.ProcessEnv, main?: string, commandLine?: string[]): ProcessFacts {
  return { env, main, commandLine: () => commandLine }
}

t.test('fastify-cli is recognised, and its close grace delay read with its own parser', async (t) => {
  const found = detectLaunchers(facts({}, CLI, [process.execPath, CLI, 'start', '-g', '20000', 'app.js']))
  t.match(found, [{ name: "fastify-cli's close grace delay", killAfter: 20000 }])
  process.env.FASTIFY_CLOSE_GRACE_DELAY = '7000'
  t.teardown(() => { delete process.env.FASTIFY_CLOSE_GRACE_DELAY })
  t.match(detectLaunchers(facts({}, CLI, [process.execPath, CLI, 'start', 'app.js'])), [{ killAfter: 7000 }], 'from the environment, as fastify-cli reads it')
  delete process.env.FASTIFY_CLOSE_GRACE_DELAY
  t.match(detectLaunchers(facts({}, CLI, [process.execPath, CLI, 'start', 'app.js'])), [{ killAfter: 500 }], "fastify-cli's default")
  t.match(detectLaunchers(facts({}, CLI, undefined)), [{ killAfter: undefined }], 'no /proc: unknown')
  t.match(detectLaunchers(facts({}, CLI, [process.execPath, CLI, 'generate', 'x'])), [{ killAfter: undefined }], 'not a start command')
  t.same(detectLaunchers(facts({}, join(__dirname, 'app.js'), [])), [], 'plain node: no launcher')
  t.same(detectLaunchers(facts({}, undefined, [])), [])
  t.same(detectLaunchers(facts({}, '/nonexistent/fastify-cli/cli.js', undefined)).length, 1, 'a path that does not resolve is taken as it is')
})

t.test('PM2 is recognised by pm_id; its kill_timeout and kill signal are read from the environment', async (t) => {
  t.match(detectLaunchers(facts({ pm_id: '0', kill_timeout: '20000' })), [{ name: "PM2's kill_timeout", killAfter: 20000, signal: 'SIGINT' }])
  t.match(detectLaunchers(facts({ pm_id: '0' })), [{ killAfter: 1600 }], "PM2's default kill_timeout")
  t.match(detectLaunchers(facts({ pm_id: '0', kill_timeout: 'soon', PM2_KILL_SIGNAL: 'SIGTERM' })), [{ killAfter: undefined, signal: 'SIGTERM' }])
})

t.test('warnings name the setting and the value to use; none when the launcher allows enough', async (t) => {
  const cli = detectLaunchers(facts({}, CLI, [process.execPath, CLI, 'start', 'app.js']))
  t.same(launcherWarnings(7500, cli, ['SIGTERM']), [
    "zero-downtime: fastify-cli's close grace delay is 500 ms, shorter than the shutdown budget (7500 ms): the process would be killed mid-shutdown and requests dropped. Start it with `fastify start -g 7500` (or FASTIFY_CLOSE_GRACE_DELAY=7500)"
  ])
  t.same(launcherWarnings(500, cli, ['SIGTERM']), [], 'exactly enough')
  t.same(launcherWarnings(501, cli, ['SIGTERM']).length, 1, 'one millisecond short')
  t.match(launcherWarnings(7500, detectLaunchers(facts({}, CLI, undefined)), ['SIGTERM']), [/cannot read fastify-cli's close grace delay; it must be at least 7500 ms/])
  const pm2 = detectLaunchers(facts({ pm_id: '1', kill_timeout: '3000' }))
  t.same(launcherWarnings(7500, pm2, ['SIGTERM']), [
    'zero-downtime: PM2 stops the process with SIGINT, which the signals option (SIGTERM) leaves out: the process would die at once. Add "SIGINT" to signals',
    "zero-downtime: PM2's kill_timeout is 3000 ms, shorter than the shutdown budget (7500 ms): the process would be killed mid-shutdown and requests dropped. Set `kill_timeout: 7500` in the ecosystem file (or `pm2 start --kill-timeout 7500`)"
  ])
  t.same(launcherWarnings(3000, pm2, ['SIGTERM', 'SIGINT']), [])
  t.same(launcherWarnings(3000, pm2, false), [], 'signals: false: the app handles them itself')
})

t.test('under fastify-cli with its default grace delay, the plugin warns at startup, once, on stderr', async (t) => {
  if (currentProcess().commandLine() === undefined) return t.skip('no /proc/self/cmdline on this system: the plugin can only say it cannot tell')
  const child = spawn(process.execPath, [CLI, 'start', '-a', '127.0.0.1', '-p', '0', join(__dirname, '..', 'examples', 'fastify-cli', 'app.js')], {
    env: { ...process.env, SHUTDOWN_DELAY: '1500' },
    stdio: ['ignore', 'ignore', 'pipe']
  })
  t.teardown(() => { child.kill('SIGKILL') })
  let stderr = ''
  const warned = new Promise<void>((resolve) => {
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; if (stderr.includes('\n') && /FST_ZD_LAUNCHER_TIMEOUT/.test(stderr)) resolve() })
  })
  await Promise.race([warned, once(child, 'exit').then(() => { throw new Error(`exited: ${stderr}`) })])
  child.kill('SIGTERM')
  const [code] = await once(child, 'exit')
  t.match(stderr, /\[FST_ZD_LAUNCHER_TIMEOUT\] FastifyZeroDowntimeWarning: zero-downtime: fastify-cli's close grace delay is 500 ms, shorter than the shutdown budget \(7500 ms\).*fastify start -g 7500/)
  t.equal(stderr.match(/FST_ZD_LAUNCHER_TIMEOUT/g)?.length, 1, 'once')
  t.equal(code, 1, 'and fastify-cli, as warned, cut the shutdown short')
})

t.test('a launcher warning on stderr carries its code, and --disable-warning with that code silences it', async (t) => {
  const pm2 = { pm_id: '1', kill_timeout: '100' }
  const warned = await spawnFixture(t, 'quiet-launcher', pm2, /^ready$/)
  t.equal((await warned.exited).code, 0)
  t.match(warned.stderr(), /\[FST_ZD_LAUNCHER_TIMEOUT\] FastifyZeroDowntimeWarning: zero-downtime: PM2's kill_timeout is 100 ms/)
  const silenced = await spawnFixture(t, 'quiet-launcher', { ...pm2, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --disable-warning=FST_ZD_LAUNCHER_TIMEOUT` }, /^ready$/)
  t.equal((await silenced.exited).code, 0)
  t.notMatch(silenced.stderr(), /FST_ZD_LAUNCHER_TIMEOUT|kill_timeout/)
})

t.test('two instances in one process: one SIGTERM, each runs its own sequence, one exit after the last', async (t) => {
  const app = await spawnFixture(t, 'two-apps', { SHUTDOWN_DELAY: '1000' })
  await app.waitFor(/^service: ready$/)
  await app.waitFor(/^metrics: ready$/)
  const signalled = Date.now()
  app.child.kill('SIGTERM')
  const exit = await app.exited
  const elapsed = Date.now() - signalled
  t.same(exit, { code: 0, signal: null })
  const order = app.lines.map((l) => String(l.msg)).filter((m) => /^(service|metrics): (draining|closing|closed)$/.test(m))
  t.same(order.filter((m) => m.startsWith('service')), ['service: draining', 'service: closing', 'service: closed'])
  t.same(order.filter((m) => m.startsWith('metrics')), ['metrics: draining', 'metrics: closing', 'metrics: closed'])
  t.equal(order.at(-1), 'service: closed', 'the process waited for the service, the last to finish')
  t.ok(elapsed >= 1000, `exited ${elapsed} ms after SIGTERM: after the service's delay`)
  t.equal(app.lines.filter((l) => /SIGTERM received/.test(String(l.msg))).length, 2, 'each instance logs the signal')
})

t.test('two instances in one process: the worst exit code wins', async (t) => {
  const app = await spawnFixture(t, 'two-apps', { SHUTDOWN_DELAY: '300', FAIL_METRICS: '1' })
  await app.waitFor(/^service: ready$/)
  await app.waitFor(/^metrics: ready$/)
  app.child.kill('SIGTERM')
  t.same(await app.exited, { code: 1, signal: null })
  t.ok(app.lines.some((l) => l.msg === 'service: closed'), 'the clean service still finished its sequence')
  t.ok(app.lines.some((l) => /shutdown failed \(exit code 1\)/.test(String(l.msg)) && /exporter/.test(String(l.reason))))
})

t.test('two instances in one process: the process allows the longest of their grace periods', async (t) => {
  // The metrics server's gracePeriod (2500 ms) is over before the service's delay (3500 ms) is.
  const app = await spawnFixture(t, 'two-apps', { SHUTDOWN_DELAY: '3500', METRICS_GRACE_PERIOD: '2500' })
  await app.waitFor(/^service: ready$/)
  await app.waitFor(/^metrics: ready$/)
  app.child.kill('SIGTERM')
  t.same(await app.exited, { code: 0, signal: null }, 'exit 0: not cut at the shorter grace period')
  t.ok(app.lines.some((l) => l.msg === 'service: closed'), 'the service finished its sequence')
  t.notOk(app.lines.some((l) => /within gracePeriod/.test(String(l.msg))), 'no grace period expired')
})

t.test('the process command line is read from /proc where there is one', async (t) => {
  const line = currentProcess().commandLine()
  if (line === undefined) return t.skip('no /proc on this system')
  t.ok(line.some((arg) => arg.endsWith('launchers.test.ts')), 'names this test file')
})

t.test('a close grace delay that is not a number is unknown, and /proc missing reads as unknown', async (t) => {
  t.match(detectLaunchers(facts({}, CLI, [process.execPath, CLI, 'start', '-g', 'soon', 'app.js'])), [{ killAfter: undefined }])
  t.equal(readCommandLine('/nonexistent/cmdline'), undefined)
})

t.test('a fastify-cli whose args.js cannot be loaded: the delay is unknown, and said so', async (t) => {
  const fake = '/nonexistent/fastify-cli/cli.js'
  t.match(detectLaunchers(facts({}, fake, [process.execPath, fake, 'start', '-g', '9000', 'app.js'])), [{ killAfter: undefined }])
})

t.test('under PM2: a warning through the logger, and `ready` sent once every instance is ready and listening', async (t) => {
  const sent: unknown[] = []
  const originalSend = process.send
  // PM2's IPC channel cannot be had inside the test runner: process.send stands in for it here;
  // the real PM2 is driven by test/rolling.test.ts (pm2 reload).
  process.send = ((message: unknown) => { sent.push(message); return true }) as typeof process.send
  process.env.pm_id = '0'
  t.teardown(() => { process.send = originalSend; delete process.env.pm_id })
  const { stream, lines } = logCollector()
  const service = Fastify({ logger: { stream, level: 'warn' } })
  const metrics = Fastify()
  t.teardown(async () => { await service.close(); await metrics.close() })
  await service.register(zeroDowntime, { shutdownDelay: 0 })
  await metrics.register(zeroDowntime, { shutdownDelay: 0 })
  await service.listen({ port: 0, host: '127.0.0.1' })
  t.same(sent, [], 'not while the metrics server is not listening')
  t.ok(lines.some((l) => /PM2's kill_timeout is 1600 ms, shorter than the shutdown budget \(11000 ms\)/.test(String(l.msg))), 'the warning went to the logger')
  await metrics.listen({ port: 0, host: '127.0.0.1' })
  t.same(sent, ['ready'])
})
