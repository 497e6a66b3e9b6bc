// Throughput side by side: each comparison starts PAIRS fresh pairs of server processes, one pair
// after the other; the two sides of a pair alternate over ROUNDS rounds (which goes first
// alternates too). Every round's two measurements are saved; the doc generator takes the medians.
import autocannon from 'autocannon'
import { NATIVE_WARMUP_RUNS } from './server-process.mjs'
import { counters, kinds, startServer, stop } from './common.mjs'

export const description = 'req/s and CPU per request, side by side'

// Many short rounds rather than a few long ones: on a shared VM only sides measured close
// together in time cancel the machine's drift (docs/design.md has the trials). Not shorter than
// 1 s: autocannon ends a run on its one-second tick, whatever its duration.
const params = () => ({
  pairs: Number(process.env.BENCH_PAIRS ?? 7),
  rounds: Number(process.env.BENCH_ROUNDS ?? 9),
  duration: Number(process.env.BENCH_DURATION ?? 1),
  connections: 32
})

const bare = { kind: 'bare', path: '/bare' }
// The first compares a server with itself: its true ratio is 1, so its spread is the noise floor.
const COMPARISONS = [
  { id: 'noise-floor', label: 'noise floor: a bare route vs the same in another process', a: bare, b: bare },
  { id: 'app-route', label: 'an application route: app with the plugin vs the same app without', a: { kind: 'plugin', path: '/' }, b: { kind: 'bare', path: '/' } },
  { id: 'readyz', label: '`/readyz`, 5 checks, vs a bare route in a plain app', a: { kind: 'plugin', path: '/readyz' }, b: bare },
  { id: 'livez', label: '`/livez` vs a bare route in a plain app', a: { kind: 'plugin', path: '/livez' }, b: bare },
  { id: 'health', label: '`/health`, 5 checks, vs a bare route in a plain app', a: { kind: 'plugin', path: '/health' }, b: bare },
  { id: 'verbose', label: '`/readyz?verbose`, 5 checks, vs a bare route in a plain app', a: { kind: 'plugin', path: '/readyz?verbose' }, b: bare },
  { id: 'openapi-app-route', label: 'an application route, probes documented (`openapi: true`: querystring and params schemas) vs without the plugin', a: { kind: 'pluginOpenapi', path: '/' }, b: { kind: 'bare', path: '/' } },
  { id: 'readyz-200-checks', label: '`/readyz` with 200 checks vs with 5 (each check every 5 s, the default)', a: { kind: 'plugin200DefaultInterval', path: '/readyz' }, b: { kind: 'pluginDefaultInterval', path: '/readyz' } },
  { id: 'under-pressure', label: '@fastify/under-pressure `/status` (healthCheck: the same 5 checks) vs a bare route', a: { kind: 'underPressure', path: '/status' }, b: bare },
  { id: 'terminus', label: '@godaddy/terminus `/readyz` (the same 5 checks) vs a bare route', a: { kind: 'terminus', path: '/readyz' }, b: bare }
]

/** One measurement: req/s, the server's CPU time per request (µs), its dependency queries meanwhile. */
async function load (server, path, { duration, connections }) {
  const before = await counters(server)
  const result = await autocannon({ url: `${server.url}${path}`, connections, pipelining: 1, duration })
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${path}: ${result.non2xx} non-2xx, ${result.errors} errors`)
  const after = await counters(server)
  return { rps: result.requests.average, cpuPerRequest: (after.cpu - before.cpu) / result.requests.total, queries: after.queries - before.queries }
}

/** One pair of processes: both warmed up, then alternating over the rounds. */
async function pair (label, a, b, settings) {
  const results = { a: [], b: [] }
  // V8 keeps optimizing (and deoptimizing Node's connection setup as new sockets arrive) through
  // about three runs of fresh connections: both sides warm up before anything is counted.
  for (let run = 0; run < NATIVE_WARMUP_RUNS; run++) {
    for (const side of [a, b]) await load(side.server, side.path, { ...settings, duration: 1 })
  }
  for (let round = 0; round < settings.rounds; round++) {
    for (const side of round % 2 === 0 ? ['a', 'b'] : ['b', 'a']) {
      const { server, path } = side === 'a' ? a : b
      results[side].push(await load(server, path, settings))
    }
    const [ra, rb] = [results.a.at(-1), results.b.at(-1)]
    process.stderr.write(`  ${label} round ${round + 1}: ${Math.round(ra.rps)} vs ${Math.round(rb.rps)} req/s, ${ra.cpuPerRequest.toFixed(1)} vs ${rb.cpuPerRequest.toFixed(1)} µs CPU/request\n`)
  }
  return results
}

/** BENCH_ONLY=<regex>: only the comparisons whose label matches (the runner then writes nothing). */
export async function run (context) {
  const settings = params()
  const only = process.env.BENCH_ONLY === undefined ? undefined : new RegExp(process.env.BENCH_ONLY)
  const comparisons = []
  for (const { id, label, a, b } of COMPARISONS.filter((c) => only === undefined || only.test(c.label))) {
    process.stderr.write(`${label}\n`)
    const pairs = []
    // Fresh processes for every pair: the same code measures differently from one process to the
    // next (V8's feedback and map decisions differ by run).
    for (let i = 0; i < settings.pairs; i++) {
      const [serverA, serverB] = [await startServer(kinds[a.kind], context), await startServer(kinds[b.kind], context)]
      try {
        pairs.push(await pair(`${label.slice(0, 40)}… pair ${i + 1}`, { server: serverA, path: a.path }, { server: serverB, path: b.path }, settings))
      } finally {
        await stop(serverA)
        await stop(serverB)
      }
    }
    comparisons.push({ id, label, pairs })
  }
  return { ...settings, partial: only !== undefined, comparisons }
}
