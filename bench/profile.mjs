// A CPU profile of the server under load on one route: where the time goes, by function, self time.
// Usage: node bench/profile.mjs [mode] [path]   e.g. node bench/profile.mjs plugin /
import autocannon from 'autocannon'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

export async function profile (mode, path, { seconds = 5, top = 25 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'zd-prof-'))
  const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, new URL('server.mjs', import.meta.url).pathname], {
    env: { ...process.env, BENCH_MODE: mode, EXIT_AFTER: String((seconds + 3) * 1000) },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  const [url] = await once(createInterface({ input: child.stdout }), 'line')
  await autocannon({ url: `${url.trim()}${path}`, connections: 32, duration: seconds })
  await once(child, 'exit')
  const { nodes, samples, timeDeltas } = JSON.parse(readFileSync(join(dir, readdirSync(dir)[0]), 'utf8'))
  const byId = new Map(nodes.map((n) => [n.id, n]))
  const self = new Map()
  samples.forEach((id, i) => {
    const { callFrame: f } = byId.get(id)
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(dist|lib)\//, 'plugin:$1/')}:${f.lineNumber + 1}`
    self.set(key, (self.get(key) ?? 0) + (timeDeltas[i] ?? 0))
  })
  const total = [...self.values()].reduce((a, b) => a + b, 0)
  return [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, us]) => ({ name, percent: (100 * us / total).toFixed(1) }))
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await profile(process.argv[2] ?? 'plugin', process.argv[3] ?? '/')
  for (const { name, percent } of rows) process.stdout.write(`${percent.padStart(5)}%  ${name}\n`)
}
