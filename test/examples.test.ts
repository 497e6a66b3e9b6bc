import t from 'tap'
import { once } from 'node:events'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { spawnPlainNode } from './lib/process'

// The examples run as users run them: against the built package (npm test builds first).
t.test('examples/basic: serves, answers the probes, shuts down cleanly on SIGTERM', async (t) => {
  // Examples are not library code: left out of the coverage report.
  const child = spawnPlainNode([join(__dirname, '..', 'examples', 'basic', 'server.mjs')], { PORT: '0', SHUTDOWN_DELAY: '100' }, ['ignore', 'pipe', 'inherit'])
  t.teardown(() => { child.kill('SIGKILL') })
  const lines: Array<{ msg?: string }> = []
  const listening = new Promise<string>((resolve) => {
    createInterface({ input: child.stdout! }).on('line', (text) => {
      const line = JSON.parse(text)
      lines.push(line)
      const match = /^Server listening at (http:\/\/127\.0\.0\.1:\d+)$/.exec(line.msg ?? '')
      if (match !== null) resolve(match[1])
    })
  })
  const base = await listening
  const readyOnce = async (): Promise<number> => (await fetch(`${base}/readyz`)).status
  while (await readyOnce() !== 200) await new Promise((resolve) => setImmediate(resolve))
  t.same(await (await fetch(base)).json(), { greeting: 'hello' })
  t.match(await (await fetch(`${base}/readyz?verbose`)).text(), /\[\+\]store ok\nreadyz check passed/)
  const exit = once(child, 'exit')
  child.kill('SIGTERM')
  t.same(await exit, [0, null])
  t.ok(lines.some((l) => l.msg === 'zero-downtime: closing -> closed'))
})

t.test('examples/metrics: a Prometheus scrape of the plugin\'s metrics, through the OpenTelemetry SDK', async (t) => {
  const child = spawnPlainNode([join(__dirname, '..', 'examples', 'metrics', 'server.mjs')], { PORT: '0', LOG_LEVEL: 'warn', SHUTDOWN_DELAY: '0' }, ['ignore', 'pipe', 'inherit'])
  t.teardown(() => { child.kill('SIGKILL') })
  const [base] = await once(createInterface({ input: child.stdout! }), 'line') as [string]
  while ((await fetch(`${base}/readyz`)).status !== 200) await new Promise((resolve) => setImmediate(resolve))
  for (let i = 0; i < 3; i++) await fetch(`${base}/jobs`, { method: 'POST' })
  const scrape = await fetch(`${base}/metrics`)
  t.match(scrape.headers.get('content-type'), /^text\/plain/)
  const text = await scrape.text()
  const series = (name: string): string[] => text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
  t.match(text, /# HELP zero_downtime_check_status 1 for the status each check has now/)
  t.ok(series('zero_downtime_check_status').some((line) => /check_name="db".*check_status="pass".*\} 1$/.test(line)), 'db passes')
  t.ok(series('zero_downtime_check_status').some((line) => /check_name="db".*check_status="fail".*\} 0$/.test(line)))
  t.ok(series('zero_downtime_check_duration_bucket').some((line) => /check_name="queue".*le="0\.001"/.test(line)), 'durations in seconds, with buckets for seconds')
  t.match(series('zero_downtime_readiness').join('\n'), / 1$/)
  t.match(series('zero_downtime_liveness').join('\n'), / 1$/)
  t.ok(series('zero_downtime_lifecycle_state').some((line) => /lifecycle_state="ready".*\} 1$/.test(line)))
  t.ok(series('zero_downtime_lifecycle_transitions_total').some((line) => /lifecycle_state_previous="starting",lifecycle_state="ready".*\} 1$/.test(line)))
  const exit = once(child, 'exit')
  child.kill('SIGTERM')
  t.same(await exit, [0, null])
})
