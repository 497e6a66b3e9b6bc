// Benchmarks, side by side in one run; writes docs/benchmarks.md. Usage: npm run bench
// Each comparison alternates its two sides over several rounds and compares medians.
import autocannon from 'autocannon'
import { spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { writeFileSync, readFileSync } from 'node:fs'
import { request, Agent } from 'node:http'
import os from 'node:os'
import { profile } from './profile.mjs'
import { NATIVE_WARMUP_RUNS, startServer as startServerProcess } from './server-process.mjs'
import { lintBench } from './lint.mjs'
import { available as perfAvailable, fastPathBench } from './fast-path.mjs'
import { available as callgrindAvailable, COUNTED, IDLE_SECONDS, idleBench, instructionsBench, WARMUP, WARMUP_RUNS as CALLGRIND_WARMUP_RUNS } from './instructions.mjs'

const PAIRS = Number(process.env.BENCH_PAIRS ?? 7)
// Many short rounds rather than a few long ones: on a shared VM the same process serves up to 30%
// more or less from one second to the next, and only sides measured close together in time cancel
// that (in one trial of 5 pairs each, the noise-floor comparison, A against A, strayed 0.74-1.08
// over 3 rounds of 3 s and 0.92-1.03 over 9 rounds of 1 s, in the same time; full runs since have
// shown 0.93-1.17 and 0.97-1.10: docs/benchmarks.md has the latest).
// Not shorter than 1 s: autocannon ends a run on its one-second tick, whatever its duration or
// amount (a 0.25 s run took 1.05 s, sending for the first quarter only). On this machine a
// server's CPU time per request moved up to 2x from one second to the next in one full run (630
// rounds: req/s followed it, correlation -0.95; the two measurements of a round, back to back,
// correlated only 0.53), so a round's ratio is loose, and the pairs' medians carry the result.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9)
const DURATION = Number(process.env.BENCH_DURATION ?? 1)
// SIGTERM-to-exit samples.
const SHUTDOWN_RUNS = 9
const CONNECTIONS = 32
const here = new URL('.', import.meta.url)

// BENCH_PIN=1 (Linux): the servers on the last CPU, this process (autocannon) on the others. Off by
// default: pinned, a server's GC and compiler threads share its one core, which measured the plugin
// 15-20% slower on an application route than unpinned (its per-request listener, since removed,
// accounted for about 5 points of that); unpinned is how a service runs.
const cpus = os.cpus().length
const pinned = process.env.BENCH_PIN === '1' && os.platform() === 'linux' && cpus > 1 && spawnSync('taskset', ['-pc', `0-${cpus - 2}`, String(process.pid)], { stdio: 'ignore' }).status === 0

const startServer = async (env) => await startServerProcess(env, { launcher: pinned ? ['taskset', '-c', String(cpus - 1)] : [] })

async function stop (server) {
  if (server.child.exitCode !== null) return
  server.child.kill('SIGKILL')
  await once(server.child, 'exit')
}

/** The server's dependency queries so far, and the CPU time it has used (µs). */
async function counters (server) {
  return await getJson(`${server.url}/queries`)
}

async function queries (server) {
  return (await counters(server)).queries
}

/** One measurement: req/s, the server's CPU time per request, its dependency queries meanwhile. */
async function load (server, path, options = {}) {
  const before = await counters(server)
  const result = await autocannon({ url: `${server.url}${path}`, connections: CONNECTIONS, pipelining: 1, duration: DURATION, ...options })
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${path}: ${result.non2xx} non-2xx, ${result.errors} errors`)
  const after = await counters(server)
  return { rps: result.requests.average, cpuPerRequest: (after.cpu - before.cpu) / result.requests.total, queries: after.queries - before.queries }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

/** Two sides, alternating over the rounds (which goes first alternates too); one ratio per round. */
async function sideBySide (label, a, b) {
  const results = { a: [], b: [] }
  // Warm both up before anything is counted: V8 keeps optimizing (and deoptimizing Node's
  // connection setup as new sockets arrive) through about three runs of fresh connections.
  for (let run = 0; run < NATIVE_WARMUP_RUNS; run++) {
    await load(a.server, a.path, { duration: 1 })
    await load(b.server, b.path, { duration: 1 })
  }
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ['a', 'b'] : ['b', 'a']
    for (const side of order) results[side].push(await load((side === 'a' ? a : b).server, (side === 'a' ? a : b).path))
    const [ra, rb] = [results.a.at(-1), results.b.at(-1)]
    process.stderr.write(`  ${label} round ${round + 1}: ${Math.round(ra.rps)} vs ${Math.round(rb.rps)} req/s, ${ra.cpuPerRequest.toFixed(1)} vs ${rb.cpuPerRequest.toFixed(1)} µs CPU/request\n`)
  }
  // The two sides of a round ran back to back: their ratio cancels the machine's slow drift, which
  // on a shared VM moves both by more than the difference measured. The median of those ratios.
  const paired = (ratio) => median(results.a.map((a, round) => ratio(a, results.b[round])))
  return {
    a: results.a,
    b: results.b,
    ratio: paired((a, b) => a.rps / b.rps),
    cpuRatio: paired((a, b) => b.cpuPerRequest / a.cpuPerRequest)
  }
}

async function probeStorm () {
  const interval = 1000
  const server = await startServer({ BENCH_MODE: 'plugin', CHECKS: '1', CHECK_INTERVAL: String(interval) })
  try {
    const before = await queries(server)
    const started = Date.now()
    await autocannon({ url: `${server.url}/readyz`, connections: 10, amount: 10000, overallRate: 2000 })
    const seconds = (Date.now() - started) / 1000
    const runs = await queries(server) - before
    const bound = Math.ceil(seconds * 1000 / interval) + 1
    return { probes: 10000, seconds, runs, bound, interval }
  } finally { await stop(server) }
}

/** The checks' own cost, away from any probe: an idle server with 200 checks every second. */
async function checkRunCost () {
  const server = await startServer(kinds.plugin200)
  try {
    const before = await counters(server)
    await new Promise((resolve) => setTimeout(resolve, 5000))
    const after = await counters(server)
    const runs = after.queries - before.queries
    return { runs, cpuPerRun: (after.cpu - before.cpu) / runs, share: (after.cpu - before.cpu) / 5e6 }
  } finally { await stop(server) }
}

async function getJson (url) {
  const res = await fetch(url)
  return await res.json()
}

async function shutdownTime (idle) {
  const samples = []
  for (let run = 0; run < SHUTDOWN_RUNS; run++) {
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

// Only the two servers of a comparison run during it, each started for it: the others' background
// work (checks every second, 200 of them in one) would otherwise share the pinned CPU.
const kinds = {
  bare: { BENCH_MODE: 'bare' },
  plugin: { BENCH_MODE: 'plugin' },
  plugin200: { BENCH_MODE: 'plugin', CHECKS: '200' },
  // The plugin's default check interval (5 s): 5 vs 200 checks compares the probes, and the
  // checks' own work in the background is measured on its own (checkRunCost).
  pluginDefaultInterval: { BENCH_MODE: 'plugin', CHECK_INTERVAL: '5000' },
  plugin200DefaultInterval: { BENCH_MODE: 'plugin', CHECKS: '200', CHECK_INTERVAL: '5000' },
  pluginOpenapi: { BENCH_MODE: 'plugin', OPENAPI: '1' },
  underPressure: { BENCH_MODE: 'under-pressure' },
  terminus: { BENCH_MODE: 'terminus' }
}
const bare = { kind: 'bare', path: '/bare' }
const comparisons = []
/**
 * One comparison: PAIRS fresh pairs of server processes, one after the other, each measured over
 * ROUNDS rounds; the ratio is the median across pairs, and the spread (lowest and highest pair) is
 * reported beside it. Fresh processes because the same server code measures differently from one
 * process to the next (V8's feedback and map decisions differ by run; docs/benchmarks.md).
 */
const compare = async (label, a, b, goal) => {
  // BENCH_ONLY=regex: a quick look at some comparisons (the doc is then not written).
  if (process.env.BENCH_ONLY !== undefined && !new RegExp(process.env.BENCH_ONLY).test(label)) return
  process.stderr.write(`${label}\n`)
  const pairs = []
  for (let pair = 0; pair < PAIRS; pair++) {
    const [serverA, serverB] = [await startServer(kinds[a.kind]), await startServer(kinds[b.kind])]
    try {
      pairs.push(await sideBySide(`${label.slice(0, 40)}… pair ${pair + 1}`, { server: serverA, path: a.path }, { server: serverB, path: b.path }))
    } finally {
      await stop(serverA)
      await stop(serverB)
    }
  }
  const all = (side, field) => median(pairs.flatMap((p) => p[side].map((r) => r[field])))
  const ratios = pairs.map((p) => p.ratio)
  comparisons.push({
    label,
    goal,
    a: all('a', 'rps'),
    b: all('b', 'rps'),
    ratio: median(ratios),
    low: Math.min(...ratios),
    high: Math.max(...ratios),
    cpuA: all('a', 'cpuPerRequest'),
    cpuB: all('b', 'cpuPerRequest'),
    cpuRatio: median(pairs.map((p) => p.cpuRatio)),
    queriesA: all('a', 'queries')
  })
}
// The noise floor: the same server against itself, in two processes. Its true ratio is 1; how far
// its pairs stray from 1 is how far any other ratio here can stray without meaning anything.
await compare('noise floor: a bare route vs the same in another process', bare, bare, {})
await compare('an application route: app with the plugin vs the same app without', { kind: 'plugin', path: '/' }, { kind: 'bare', path: '/' }, { min: 0.98 })
await compare('`/readyz`, 5 checks, vs a bare route in a plain app', { kind: 'plugin', path: '/readyz' }, bare, { min: 0.95 })
await compare('`/livez` vs a bare route in a plain app', { kind: 'plugin', path: '/livez' }, bare, { min: 0.95 })
await compare('`/health`, 5 checks, vs a bare route in a plain app', { kind: 'plugin', path: '/health' }, bare, { min: 0.95 })
await compare('`/readyz?verbose`, 5 checks, vs a bare route in a plain app', { kind: 'plugin', path: '/readyz?verbose' }, bare, { min: 0.9 })
await compare('an application route, probes documented (`openapi: true`: querystring and params schemas) vs without the plugin', { kind: 'pluginOpenapi', path: '/' }, { kind: 'bare', path: '/' }, {})
await compare('`/readyz` with 200 checks vs with 5 (each check every 5 s, the default)', { kind: 'plugin200DefaultInterval', path: '/readyz' }, { kind: 'pluginDefaultInterval', path: '/readyz' }, { min: 0.95, max: 1.05 })
await compare('@fastify/under-pressure `/status` (healthCheck: the same 5 checks) vs a bare route', { kind: 'underPressure', path: '/status' }, bare, {})
await compare('@godaddy/terminus `/readyz` (the same 5 checks) vs a bare route', { kind: 'terminus', path: '/readyz' }, bare, {})

if (process.env.BENCH_ONLY !== undefined) {
  for (const c of comparisons) process.stdout.write(`${c.label}: ${c.ratio.toFixed(3)}× req/s, ${c.cpuRatio.toFixed(3)}× by CPU per request\n`)
  process.exit(0)
}
process.stderr.write('instructions per request (callgrind)\n')
// `baseline`: the id of the row a row is compared with.
const instructionKinds = [
  { id: 'bare', label: 'a bare route in a plain app (`/bare`)', env: kinds.bare, path: '/bare' },
  { id: 'plainRoute', label: 'an application route in a plain app (`/`)', env: kinds.bare, path: '/' },
  { id: 'pluginRoute', label: 'the same route, app with the plugin and 5 checks (`/`)', env: kinds.plugin, path: '/', baseline: 'plainRoute' },
  { id: 'readyz', label: '`/readyz`, 5 checks', env: kinds.plugin, path: '/readyz', baseline: 'bare' },
  { id: 'livez', label: '`/livez`', env: kinds.plugin, path: '/livez', baseline: 'bare' },
  { id: 'health', label: '`/health`, 5 checks', env: kinds.plugin, path: '/health', baseline: 'bare' },
  { id: 'verbose', label: '`/readyz?verbose`, 5 checks', env: kinds.plugin, path: '/readyz?verbose', baseline: 'bare' },
  { id: 'readyz200', label: '`/readyz`, 200 checks', env: kinds.plugin200, path: '/readyz', baseline: 'readyz' }
]
const instructions = callgrindAvailable() ? await instructionsBench(instructionKinds) : undefined
// The plugin's clock-driven work (under-pressure's event-loop sampler), apart from any request.
const idle = callgrindAvailable()
  ? await idleBench([{ label: 'a plain app', env: kinds.bare }, { label: 'the app with the plugin and 5 checks (checks paused)', env: kinds.plugin }])
  : undefined
process.stderr.write('fast path\n')
const FAST_PATH_PROCESSES = 6
const fastPath = perfAvailable()
  ? await fastPathBench([
    { label: 'a plain app', env: kinds.bare },
    { label: 'a plain app, a full garbage collection from a timer each second', env: { ...kinds.bare, FULL_GC_EVERY_SECOND: '1' }, nodeArgs: ['--expose-gc'] },
    { label: 'the app with the plugin and 5 checks', env: kinds.plugin }
  ], FAST_PATH_PROCESSES)
  : undefined
process.stderr.write('profile\n')
// What the plugin's own code costs on an application route: its functions' share of the samples.
const PROFILE_SECONDS = 5
const pluginProfile = (await profile('plugin', '/', { top: 400, seconds: PROFILE_SECONDS })).filter((row) => row.name.includes('plugin:dist/') && Number(row.percent) >= 0.1)
process.stderr.write('probe storm\n')
const storm = await probeStorm()
process.stderr.write('check run cost\n')
const runCost = await checkRunCost()
process.stderr.write('shutdown time\n')
const shutdownIdle0 = await shutdownTime(0)
const shutdownIdle1000 = await shutdownTime(1000)
process.stderr.write('migration linter\n')
const lint = await lintBench()

const verdict = (ok) => ok ? 'met' : '**not met**'

// How far a pair strayed from 1 when comparing a server with itself (the noise floor's row).
const noiseFloor = comparisons.find((c) => c.label.startsWith('noise floor'))
const noise = noiseFloor === undefined ? 0 : Math.max(1 - noiseFloor.low, noiseFloor.high - 1)

/** A goal's verdict, and whether the ratio lies closer to the goal than chance alone can stray. */
function goalVerdict ({ ratio, goal }) {
  if (goal.min === undefined) return ''
  const distance = Math.min(Math.abs(ratio - goal.min), Math.abs(ratio - (goal.max ?? Infinity)))
  return verdict(ratio >= goal.min && ratio <= (goal.max ?? Infinity)) + (distance < noise ? ' (within the noise floor of the goal: unsettled)' : '')
}

/** Processes counting over 1.5 times their row's lowest, plain app and app with the plugin apart. */
function outlierCount () {
  const count = (plain) => {
    const rows = instructions.filter((row) => (row.env === kinds.bare) === plain)
    const high = rows.reduce((n, row) => n + row.counts.filter((c) => c > 1.5 * row.counts[0]).length, 0)
    return `${high} of ${rows.reduce((n, row) => n + row.counts.length, 0)}`
  }
  return `in this run ${count(true)} processes of the plain app, ${count(false)} with the plugin`
}

const idlePerSecond = () => idle.map((kind) => kind.perSecond.reduce((sum, value) => sum + value) / kind.perSecond.length)

/** The plugin's work by the clock in each process's counted window of a row, per request. */
function clockWorkPerRequest (row) {
  const [plain, withPlugin] = idlePerSecond()
  return row.seconds.map((seconds, i) => (withPlugin - plain) * seconds / row.requests[i])
}

/** A row's counts without the plugin's work by the clock; a plain app's row as it is. */
function requestOnlyCounts (row) {
  if (idle === undefined || row.env === kinds.bare) return row.counts
  const clock = clockWorkPerRequest(row)
  return row.counts.map((count, i) => count - clock[i]).sort((a, b) => a - b)
}

const instructionRow = (id) => instructions.find((row) => row.id === id)

/** The ratio of a row to its baseline, as counted, or without the work by the clock. */
function instructionRatio (row, counts = (r) => r.counts) {
  return median(counts(instructionRow(row.baseline))) / median(counts(row))
}

/**
 * The plugin's work by the clock, and what it weighs per request: under callgrind a counted window
 * lasts seconds, so it weighs far more there than at the req/s measured above.
 */
function clockWork () {
  const [plain, withPlugin] = idlePerSecond()
  const background = withPlugin - plain
  const pluginRoute = instructionRow('pluginRoute')
  const windowSeconds = median(pluginRoute.seconds)
  const underCallgrind = median(clockWorkPerRequest(pluginRoute))
  const plainRoute = median(instructionRow('plainRoute').counts)
  const requestOnly = median(requestOnlyCounts(pluginRoute))
  const rps = comparisons.find((c) => c.label.startsWith('an application route: app with')).a
  return `
**Work by the clock, not per request.** Idle for ${IDLE_SECONDS} s after the same warm-up, once the server has gone idle (${idle[0].perSecond.length} processes each,
averaged), a plain app runs ${fmt(plain)} instructions a second and the app with the plugin
${fmt(withPlugin)}: most of it is @fastify/under-pressure's event-loop histogram, which its sample
once a second reads (\`hdr_mean\` walks every bucket) and clears (\`memset\`), and the histogram's
10 ms timer. Under callgrind a counted window of about ${fmt(COUNTED)} requests took ${windowSeconds.toFixed(1)} s, so this work lands in the
plugin's row above at about ${fmt(underCallgrind)} instructions per request; without it the row is ${fmt(requestOnly)},
${(plainRoute / requestOnly).toFixed(3)}× the plain app's (the last column of the table does the same for every row of the app with the plugin). At the ${fmt(rps)} req/s the app route served in the comparison above,
the same work is ${fmt(background / rps)} instructions per request (${(100 * background / rps / plainRoute).toFixed(2)}% of the route).
`
}
const goalText = (goal) => goal.min === undefined ? '' : goal.max === undefined ? `≥ ${goal.min}×` : `${goal.min}× to ${goal.max}×`
const fmt = (n) => Math.round(n).toLocaleString('en-US')
const doc = `# Benchmarks

Written by \`npm run bench\` (bench/run.mjs) on ${new Date().toISOString().slice(0, 10)}; do not edit by hand.

Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}.
Versions: Node.js ${versions.node}, fastify ${versions.fastify}, fastify-zero-downtime ${versions.plugin}, autocannon ${versions.autocannon}.
Method: servers run in their own processes on loopback; autocannon, ${CONNECTIONS} connections, ${DURATION} s per measurement;
each comparison starts ${PAIRS} fresh pairs of server processes, one pair after the other; the two
sides of a pair alternate over ${ROUNDS} rounds (which side goes first alternates too), and a pair's
ratio is the median of its rounds' ratios (each round's two measurements ran back to back, so the
machine's drift cancels); the req/s and CPU columns are the medians of each side.${pinned ? ` The servers run pinned to CPU ${cpus - 1}, the load generator to the other${cpus > 2 ? 's' : ''} (taskset).` : ''} "A bare route in a plain app" is a Fastify app without the plugin, one
route returning \`{ status: 'pass' }\`: the baseline a user compares with. Each check is a 1 ms round
trip to a pretend dependency, counted. The load generator shares the machine's 2 cores with the
servers, so absolute figures are low; the ratios are the point.

| benchmark | req/s | ratio | spread | CPU/request (µs) | ratio by CPU | goal | | dependency queries per ${DURATION} s of load |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
${comparisons.map((c) => `| ${c.label} | ${fmt(c.a)} vs ${fmt(c.b)} | **${c.ratio.toFixed(3)}×** | ${c.low.toFixed(2)} to ${c.high.toFixed(2)} | ${c.cpuA.toFixed(1)} vs ${c.cpuB.toFixed(1)} | ${c.cpuRatio.toFixed(3)}× | ${goalText(c.goal)} | ${goalVerdict(c)} | ${fmt(c.queriesA)} |`).join('\n')}

| benchmark | result | goal | |
| --- | --- | --- | --- |
| probe storm: ${storm.probes.toLocaleString('en-US')} probes in ${storm.seconds.toFixed(1)} s, check interval ${storm.interval} ms | **${storm.runs}** runs of the check | ≤ ceil(duration / interval) + 1 = ${storm.bound} | ${verdict(storm.runs <= storm.bound)} |
| the checks' own work: an idle server, 200 checks every second (a 1 ms round trip each), ${fmt(runCost.runs)} runs in 5 s | **${runCost.cpuPerRun.toFixed(0)} µs** CPU per run, ${(runCost.share * 100).toFixed(1)}% of one core | | |
| SIGTERM to exit, \`shutdownDelay: 0\`, nothing in flight, 0 idle keep-alive connections | **${shutdownIdle0.toFixed(1)} ms** | ≤ 50 ms | ${verdict(shutdownIdle0 <= 50)} |
| the same with 1,000 idle keep-alive connections | **${shutdownIdle1000.toFixed(1)} ms** | ≤ 50 ms | ${verdict(shutdownIdle1000 <= 50)} |

The ratio is the median of ${PAIRS} pairs of fresh processes (${ROUNDS} rounds each); "spread" is the
lowest and the highest pair. The first row compares a server with itself: its true ratio is 1, so
its spread is how far a pair can stray by chance on this machine, and a ratio within that distance
of a goal settles nothing by itself. \`CPU/request\` is the server process's CPU time (user + system) divided by the requests it served: it
does not depend on the load generator, so it is the steadier of the two on a shared machine; the
"by CPU" ratio is the baseline's CPU per request over the other side's.

## What the plugin adds to every request

A CPU profile of the plugin's server under the same load on \`/\` (bench/profile.mjs, ${PROFILE_SECONDS} s),
the plugin's own functions with at least 0.1% of the samples (idle included), by self time:
${pluginProfile.length === 0 ? '\nnone: no function of the plugin\'s has 0.1% of the samples.\n' : `\n| function | share |\n| --- | --- |\n${pluginProfile.map((row) => `| \`${row.name.replace('plugin:dist/', '')}\` | ${row.percent}% |`).join('\n')}\n`}
${instructions === undefined
  ? 'Instructions per request: skipped (valgrind is not installed).\n'
  : `Instructions per request, counted by valgrind's callgrind (bench/instructions.mjs): each server runs
under callgrind, ${instructions[0].counts.length} processes per row; counting starts after ${CALLGRIND_WARMUP_RUNS} warm-up runs of
${fmt(WARMUP)} requests, each on fresh connections, and covers a run of ${fmt(COUNTED)}
requests (8 connections); the count is divided by the requests the server parsed meanwhile (calls to
llhttp's message-complete callback). Checks are not run meanwhile (their cost is per second, not per
request). Unlike req/s, a count does not move with what else the machine does; it moves with what
V8 decided in that process, hence several processes, each one's count shown.

| server and route | instructions per request (median) | each process | ratio to the baseline | the same without the work by the clock |
| --- | --- | --- | --- | --- |
${instructions.map((row) => {
  const ratios = row.baseline === undefined ? '| | |' : `| ${instructionRatio(row).toFixed(3)}× (vs ${instructionRow(row.baseline).label}) | ${idle === undefined ? '' : `${instructionRatio(row, requestOnlyCounts).toFixed(3)}×`} |`
  return `| ${row.label} | **${fmt(median(row.counts))}** | ${row.counts.map(fmt).join(', ')} ${ratios}`
}).join('\n')}
${idle === undefined ? '' : clockWork()}`}
What was found, and removed:

- **Node's \`nextTick\` thrown off its fast path by the checks' garbage.** Natively (not under
  callgrind), the app with the plugin often served an application route 5 to 13% slower than the
  plain app. \`perf record\` of both processes under the same load put the difference in V8's
  runtime: \`Runtime_DefineKeyedOwnPropertyInLiteral\` and map migrations, called from every
  function that inlines \`process.nextTick\` (\`endReadable\`, \`onwrite\`, \`emitReadable\`...).
  \`nextTick\` builds each tick as an object literal with computed symbol keys; V8 (Node 20, 22
  and 24) holds the literal's hidden classes in that feedback weakly, and a full garbage collection run
  while no tick is alive (from a timer: ticks are all drained by then) collects them: the next
  tick gets new ones, and V8 turns the feedback megamorphic for the life of the process. Any app
  can fall into it; the checks' background work made such a collection likely: before the fix, in
  one trial, 5 of 6 processes with the plugin showed it after the warm-up, 0 of 6 plain apps (1 of
  4 with neither checks nor the liveness check). The plugin now holds one tick object while the
  app is open (lib/tick-shape.ts), which keeps those classes alive (in the same trial: 0 of 6 with
  the plugin, and 0 of 4 plain apps with forced collections once they held one too).
${fastPath === undefined
  ? '  In this run: not measured (perf is not available).'
  : `  In this run (bench/fast-path.mjs: ${FAST_PATH_PROCESSES} fresh processes each, warmed up as above, then
  sampled by \`perf record\` under load; on the slow path when the runtime function has at least
  0.2% of the samples): ${fastPath.map((row) => `${row.label}, ${row.slow} of ${row.shares.length}`).join('; ')}.`}
  \`npm run bench:tick-shape\` (bench/tick-shape.mjs) reads V8's feedback for the literal
  (\`%DebugPrint\`) after such collections: monomorphic with the plugin, megamorphic without it
  or with \`holdTickShape: false\`.
  It can only keep what is still fast when the plugin registers: code that runs earlier and falls
  into it (tap's process-info hook does) leaves nothing to keep.
- **The compiler, counted as the route.** Callgrind counts every thread. With one warm-up run of
  20,000 requests, V8 was still recompiling Node's connection setup, which the counted run's fresh
  sockets deoptimized: TurboFan's passes made up about 40% of a count, and processes of one kind
  fell into modes 10% apart (plain apps at 150k or 163k instructions per request, the plugin's app
  at 159k to 179k), which an earlier reading took for the plugin keeping V8 out of a fast mode.
  With three warm-up runs, each on fresh connections, the compiler is quiet (\`--trace-opt\`
  shows no optimization after the second run) and both apps count about a third of that; what
  remains between them is the work by the clock above. The req/s comparisons warm each side up
  the same way. Some processes counted 2 to 4 times more, on either side: in part because their
  window held more requests than the ${fmt(COUNTED)} asked for (up to 9,901 in one trial), yet was divided by
  ${fmt(COUNTED)}; counts are now divided by the requests the server parsed in the window. Processes
  still counting over 1.5 times their row's lowest${instructions === undefined ? '' : ` (${outlierCount()})`} spent
  it, where looked at, in V8's runtime (\`Runtime_DefineKeyedOwnPropertyInLiteral\`, map migrations); natively (one
  trial, 8 processes each, CPU time per request after the same warm-up) neither side showed such a
  mode. Hence medians, and every process's count shown.

- **A listener and two properties on every request.** The plugin used to prepend a \`request\`
  listener that noted each response on its socket and its start time, for the drain. A second
  \`request\` listener makes Node's EventEmitter copy its listener array on every request, and the
  two symbol properties changed the hidden class of Node's ServerResponse and Socket: pinned to one
  CPU, taking it away moved an application route from 0.80× to 0.85×. Now nothing is installed
  until draining begins (lib/connections.ts): requests already running then are found through
  Node's own socket fields (the response it is writing, the parser's newest request), pipelined
  ones followed as each response finishes. test/lifecycle.test.ts checks that an app with the plugin
  has the same \`request\` listeners and the same own properties on Node's request, response and
  socket as a plain app, and that pipelined requests in flight when draining begins are all
  answered, only the last with \`Connection: close\`.
- **Schemas on hidden routes.** The probe routes declared response schemas even when not
  documented; probes send strings serialized once, so the schemas served nothing, but compiling
  them at startup left about half of the server processes (5 of 7 in one trial, against none of 10
  plain apps) about 30% more expensive on every route: callgrind put the extra instructions in V8's
  runtime (\`Runtime_DefineKeyedOwnPropertyInLiteral\`, 27 calls per request, and map migrations),
  called from Node's own \`process.nextTick\`, whose tick object is a literal with computed symbol
  keys; V8's feedback for that literal had turned megamorphic during startup (seen with
  \`%DebugPrint(process.nextTick)\`). Without the schemas, 0 of 7 processes showed it in the same
  trial. It is the same megamorphic feedback as in the first point: a full collection at the wrong
  moment, which the startup's extra garbage made likely; plain apps can show it too (the
  instruction counts above can show it in any row).
- **Every check run recomputed the probes' answers.** Each result invalidated every cached
  answer, so with 200 checks running every second a probe could recompute a 200-check report 200
  times a second. A run now invalidates the probe answers only when what they show changes (a
  status, a failing check's reason); \`/health\`, which shows each run's time and duration, has a
  cache of its own that every run invalidates (test/answers.test.ts). Check timers are jittered in
  steps of 1% of the interval: Node keeps one timer list per distinct delay, so 21 lists instead of
  one per check.
- The rest, by design: no hook, no decorator, no property on Fastify's request or reply.
  @fastify/under-pressure is registered without thresholds, so it adds no \`onRequest\` hook; its
  event-loop histogram and a timer per second run in the background. Probes read an answer
  serialized once per change of the check results or the lifecycle (lib/answers.ts): their cost
  does not depend on the number of checks.

SIGTERM-to-exit is measured by the parent from \`kill()\` to the child's \`exit\` event, so it includes
the process's own exit; the median of ${SHUTDOWN_RUNS} runs.

## The migration linter on large input

\`bench/lint.mjs\`: one process lints a generated migration (a mix of safe and unsafe DDL, data
changes, transactions, comments, multibyte text) and a directory of 100 generated migrations, with
the schema model across them. Positions are found by binary search over line starts, so time grows
with the input, not its square.

| input | statements | time | findings | goal | |
| --- | --- | --- | --- | --- | --- |
| one file of ${(lint.big.bytes / 2 ** 20).toFixed(1)} MB | ${fmt(lint.big.statements)} | **${lint.big.seconds.toFixed(2)} s** | ${fmt(lint.big.findings)} | 40,000 statements in < 8 s: ${fmt(lint.big.statements / lint.big.seconds)} statements/s | ${verdict(40000 / (lint.big.statements / lint.big.seconds) < 8)} |
| ${lint.many.files} files | ${fmt(lint.many.statements)} | **${lint.many.seconds.toFixed(2)} s** | ${fmt(lint.many.findings)} | | |

Found with this benchmark: a JSON-schema \`params\` on the \`/readyz/:name\` routes slowed every
other route of a small app to about 0.83× (V8 polymorphism in Fastify's request path, not the
probe itself); the routes therefore declare no schema unless documented.
`
writeFileSync(new URL('../docs/benchmarks.md', here), doc)
process.stdout.write(doc)
