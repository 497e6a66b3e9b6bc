// The benchmark runner: runs each benchmark of bench/ in turn (all, or those named), saves its raw
// results as docs/benchmarks/<name>.json, then writes docs/benchmarks.md from them (bench/doc.mjs).
// Usage: npm run bench [-- name...]    e.g. npm run bench -- probe-storm shutdown-time
// BENCH_PIN=1 (Linux): the servers on the last CPU, this process (autocannon) on the others. Off by
// default: pinned, a server's GC and compiler threads share its one core; unpinned is how a service runs.
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { BENCHMARKS, summarize, writeDoc } from './doc.mjs'

const here = new URL('.', import.meta.url)
const versionOf = (path) => JSON.parse(readFileSync(new URL(path, here), 'utf8')).version

const names = process.argv.slice(2)
const unknown = names.filter((name) => !BENCHMARKS.includes(name))
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark ${unknown.join(', ')}; expected some of: ${BENCHMARKS.join(', ')}\n`)
  process.exit(2)
}

const cpus = os.cpus().length
const pinned = process.env.BENCH_PIN === '1' && os.platform() === 'linux' && cpus > 1 &&
  spawnSync('taskset', ['-pc', `0-${cpus - 2}`, String(process.pid)], { stdio: 'ignore' }).status === 0
const context = { pinned, cpus }
const environment = {
  machine: `${cpus} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}`,
  pinned,
  versions: {
    node: process.version,
    fastify: versionOf('../node_modules/fastify/package.json'),
    plugin: versionOf('../package.json'),
    autocannon: versionOf('../node_modules/autocannon/package.json')
  }
}

// A fresh clone has no results yet.
mkdirSync(new URL('../docs/benchmarks/', here), { recursive: true })
for (const name of names.length > 0 ? names : BENCHMARKS) {
  const benchmark = await import(`./${name}.mjs`)
  process.stderr.write(`== ${name}: ${benchmark.description}\n`)
  const started = new Date()
  const results = await benchmark.run(context)
  if (results.partial === true) {
    for (const c of results.comparisons.map(summarize)) process.stdout.write(`${c.label}: ${c.ratio.toFixed(3)}× req/s, ${c.cpuRatio.toFixed(3)}× by CPU per request\n`)
    process.stdout.write(`${name}: a partial run (BENCH_ONLY), not saved\n`)
    continue
  }
  const raw = { benchmark: name, date: started.toISOString().slice(0, 10), minutes: (Date.now() - started) / 60000, ...environment, results }
  writeFileSync(new URL(`../docs/benchmarks/${name}.json`, here), `${JSON.stringify(raw, null, 2)}\n`)
}
writeDoc()
