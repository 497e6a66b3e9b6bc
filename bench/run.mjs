// Benchmarks, side by side in one run; writes docs/benchmarks.md. Usage: npm run bench
// Each comparison alternates its two sides over several rounds and compares medians.
import autocannon from 'autocannon'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { writeFileSync, readFileSync } from 'node:fs'
import { request, Agent } from 'node:http'
import os from 'node:os'
import { createInterface } from 'node:readline'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const DURATION = Number(process.env.BENCH_DURATION ?? 5)
const here = new URL('.', import.meta.url)

async function startServer (env) {
  const child = spawn(process.execPath, [new URL('server.mjs', here).pathname], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  const [line] = await once(createInterface({ input: child.stdout }), 'line')
  return { child, url: line.trim() }
}

async function stop (server) {
  if (server.child.exitCode !== null) return
  server.child.kill('SIGKILL')
  await once(server.child, 'exit')
}

async function load (url, options = {}) {
  const result = await autocannon({ url, connections: 50, pipelining: 1, duration: DURATION, ...options })
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`)
  return result.requests.average
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

async function sideBySide (label, a, b) {
  const results = { a: [], b: [] }
  // Warm both up (JIT, connection pools) before anything is counted.
  await load(a.url, { duration: 1 })
  await load(b.url, { duration: 1 })
  for (let round = 0; round < ROUNDS; round++) {
    results.a.push(await load(a.url))
    results.b.push(await load(b.url))
    process.stderr.write(`  ${label} round ${round + 1}: ${Math.round(results.a.at(-1))} vs ${Math.round(results.b.at(-1))} req/s\n`)
  }
  return { a: median(results.a), b: median(results.b), ratio: median(results.a) / median(results.b) }
}

async function probeVsBare () {
  const server = await startServer({ BENCH_MODE: 'plugin' })
  try {
    return await sideBySide('/readyz vs bare', { url: `${server.url}/readyz` }, { url: `${server.url}/bare` })
  } finally { await stop(server) }
}

async function hookOverhead () {
  const withPlugin = await startServer({ BENCH_MODE: 'plugin' })
  const without = await startServer({ BENCH_MODE: 'bare' })
  try {
    return await sideBySide('app route with vs without plugin', { url: `${withPlugin.url}/` }, { url: `${without.url}/` })
  } finally { await stop(withPlugin); await stop(without) }
}

async function probeStorm () {
  const interval = 1000
  const server = await startServer({ BENCH_MODE: 'plugin', CHECK_INTERVAL: String(interval) })
  try {
    const before = await getJson(`${server.url}/runs`)
    const started = Date.now()
    await autocannon({ url: `${server.url}/readyz`, connections: 10, amount: 10000, overallRate: 2000 })
    const seconds = (Date.now() - started) / 1000
    const after = await getJson(`${server.url}/runs`)
    const runs = after.runs - before.runs
    const bound = Math.ceil(seconds * 1000 / interval) + 1
    return { probes: 10000, seconds, runs, bound, interval }
  } finally { await stop(server) }
}

async function getJson (url) {
  const res = await fetch(url)
  return await res.json()
}

async function shutdownTime (idle) {
  const samples = []
  for (let round = 0; round < ROUNDS; round++) {
    const server = await startServer({ BENCH_MODE: 'shutdown' })
    const agent = new Agent({ keepAlive: true, maxSockets: idle })
    const { port } = new URL(server.url)
    // Open `idle` keep-alive connections: one request each, then they sit idle.
    await Promise.all(Array.from({ length: idle }, () => new Promise((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/', agent }, (res) => { res.resume(); res.on('end', resolve) }).on('error', reject).end()
    })))
    const exited = once(server.child, 'exit')
    const started = process.hrtime.bigint()
    server.child.kill('SIGTERM')
    const [code] = await exited
    samples.push(Number(process.hrtime.bigint() - started) / 1e6)
    agent.destroy()
    if (code !== 0) throw new Error(`shutdown exited ${code}`)
  }
  return median(samples)
}

const versions = {
  node: process.version,
  fastify: JSON.parse(readFileSync(new URL('../node_modules/fastify/package.json', here))).version,
  plugin: JSON.parse(readFileSync(new URL('../package.json', here))).version,
  autocannon: JSON.parse(readFileSync(new URL('../node_modules/autocannon/package.json', here))).version
}

process.stderr.write('probe vs bare route\n')
const probe = await probeVsBare()
process.stderr.write('hook overhead\n')
const hooks = await hookOverhead()
process.stderr.write('probe storm\n')
const storm = await probeStorm()
process.stderr.write('shutdown time\n')
const shutdownIdle0 = await shutdownTime(0)
const shutdownIdle1000 = await shutdownTime(1000)

const verdict = (ok) => ok ? 'met' : '**not met**'
const fmt = (n) => Math.round(n).toLocaleString('en-US')
const doc = `# Benchmarks

Written by \`npm run bench\` (bench/run.mjs) on ${new Date().toISOString().slice(0, 10)}; do not edit by hand.

Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}.
Versions: Node.js ${versions.node}, fastify ${versions.fastify}, fastify-zero-downtime ${versions.plugin}, autocannon ${versions.autocannon}.
Method: servers run in their own processes on loopback; autocannon, 50 connections, ${DURATION} s per measurement;
the two sides of each comparison alternate over ${ROUNDS} rounds and the medians are compared. The
load generator shares the machine's cores with the servers, so absolute figures are low; the ratios are the point.

| benchmark | result | goal | |
| --- | --- | --- | --- |
| \`/readyz\` with 5 checks vs a bare route with the same body | ${fmt(probe.a)} vs ${fmt(probe.b)} req/s = **${probe.ratio.toFixed(3)}×** | ≥ 0.9× | ${verdict(probe.ratio >= 0.9)} |
| an application route with the plugin vs without | ${fmt(hooks.a)} vs ${fmt(hooks.b)} req/s = **${hooks.ratio.toFixed(3)}×** | ≥ 0.97× | ${verdict(hooks.ratio >= 0.97)} |
| probe storm: ${storm.probes.toLocaleString('en-US')} probes in ${storm.seconds.toFixed(1)} s, check interval ${storm.interval} ms | **${storm.runs}** runs of the check | ≤ ceil(duration / interval) + 1 = ${storm.bound} | ${verdict(storm.runs <= storm.bound)} |
| SIGTERM to exit, \`shutdownDelay: 0\`, nothing in flight, 0 idle keep-alive connections | **${shutdownIdle0.toFixed(1)} ms** | ≤ 50 ms | ${verdict(shutdownIdle0 <= 50)} |
| the same with 1,000 idle keep-alive connections | **${shutdownIdle1000.toFixed(1)} ms** | ≤ 50 ms | ${verdict(shutdownIdle1000 <= 50)} |

SIGTERM-to-exit is measured by the parent from \`kill()\` to the child's \`exit\` event, so it includes
the process's own exit; the median of ${ROUNDS} runs.

Found with this benchmark: a JSON-schema \`params\` on the \`/readyz/:name\` routes slowed every
other route of a small app to about 0.83× (V8 polymorphism in Fastify's request path, not the
probe itself); the routes therefore declare response schemas only.
`
writeFileSync(new URL('../docs/benchmarks.md', here), doc)
process.stdout.write(doc)
