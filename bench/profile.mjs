// A CPU profile of the server under load on one route: where the time goes, by function, self time.
// Usage: node bench/profile.mjs [mode] [path]   e.g. node bench/profile.mjs plugin /
import autocannon from 'autocannon'
import { once } from 'node:events'
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServer } from './server-process.mjs'

export async function profile (mode, path, { seconds = 5, top = 25 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'zd-prof-'))
  const { child, url } = await startServer({ BENCH_MODE: mode, EXIT_AFTER: String((seconds + 3) * 1000) }, { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] })
  await autocannon({ url: `${url}${path}`, connections: 32, duration: seconds })
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

export const description = "the plugin's own functions in a CPU profile of an application route"
const SECONDS = 5

/** The plugin's own functions with at least 0.1% of the samples (idle included), by self time. */
export async function run () {
  const rows = await profile('plugin', '/', { top: 400, seconds: SECONDS })
  return { seconds: SECONDS, rows: rows.filter((row) => row.name.includes('plugin:dist/') && Number(row.percent) >= 0.1) }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await profile(process.argv[2] ?? 'plugin', process.argv[3] ?? '/')
  for (const { name, percent } of rows) process.stdout.write(`${percent.padStart(5)}%  ${name}\n`)
}
