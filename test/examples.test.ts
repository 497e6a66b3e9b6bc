import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

function withoutCoverage (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NODE_V8_COVERAGE, NODE_OPTIONS, ...rest } = env
  return rest
}

// The examples run as users run them: against the built package (npm test builds first).
t.test('examples/basic: serves, answers the probes, shuts down cleanly on SIGTERM', async (t) => {
  const child = spawn(process.execPath, [join(__dirname, '..', 'examples', 'basic', 'server.mjs')], {
    // Examples are not library code: left out of the coverage report.
    env: { ...withoutCoverage(process.env), PORT: '0', SHUTDOWN_DELAY: '100' },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  t.teardown(() => { child.kill('SIGKILL') })
  const lines: Array<{ msg?: string }> = []
  const listening = new Promise<string>((resolve) => {
    createInterface({ input: child.stdout }).on('line', (text) => {
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
