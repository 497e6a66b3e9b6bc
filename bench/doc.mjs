// Writes docs/benchmarks.md from the raw results bench/run.mjs saved in docs/benchmarks/*.json,
// in well under a second: a goal, a verdict rule or the wording changes here without a re-run.
// Usage: npm run bench:doc; with --check, exits 1 when the doc is not what the results give.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { median } from './common.mjs'

// In the order bench/run.mjs runs them: the throughput comparisons first, on a machine nothing else has warmed.
export const BENCHMARKS = ['comparisons', 'instructions', 'fast-path', 'profile', 'probe-storm', 'check-run-cost', 'shutdown-time', 'lint']
// Goals by comparison id: the ratio's lowest (and highest) acceptable value.
const GOALS = {
  'app-route': { min: 0.98 },
  readyz: { min: 0.95 },
  livez: { min: 0.95 },
  health: { min: 0.95 },
  verbose: { min: 0.9 },
  'readyz-200-checks': { min: 0.95, max: 1.05 }
}
const SHUTDOWN_GOAL_MS = 50
const LINT_GOAL = { statements: 40000, seconds: 8 }

const fmt = (n) => Math.round(n).toLocaleString('en-US')
const verdict = (ok) => ok ? 'met' : '**not met**'
const ran = (raw) => `run on ${raw.date} with Node.js ${raw.versions.node}`

/** A comparison's figures: each pair's ratio is the median of its rounds' ratios. */
export function summarize ({ id, label, pairs }) {
  const pairRatio = (pair, ratio) => median(pair.a.map((a, round) => ratio(a, pair.b[round])))
  const ratios = pairs.map((pair) => pairRatio(pair, (a, b) => a.rps / b.rps))
  const all = (side, field) => median(pairs.flatMap((pair) => pair[side].map((round) => round[field])))
  return {
    id,
    label,
    goal: GOALS[id] ?? {},
    a: all('a', 'rps'),
    b: all('b', 'rps'),
    ratio: median(ratios),
    low: Math.min(...ratios),
    high: Math.max(...ratios),
    cpuA: all('a', 'cpuPerRequest'),
    cpuB: all('b', 'cpuPerRequest'),
    cpuRatio: median(pairs.map((pair) => pairRatio(pair, (a, b) => b.cpuPerRequest / a.cpuPerRequest))),
    queriesA: all('a', 'queries')
  }
}

function comparisonsSection (raw) {
  const { results: r } = raw
  const rows = r.comparisons.map(summarize)
  const floor = rows.find((row) => row.id === 'noise-floor')
  // How far a pair strayed from 1 when a server was compared with itself.
  const noise = floor === undefined ? 0 : Math.max(1 - floor.low, floor.high - 1)
  const goalText = ({ min, max }) => min === undefined ? '' : max === undefined ? `≥ ${min}×` : `${min}× to ${max}×`
  const goalVerdict = ({ ratio, goal }) => {
    if (goal.min === undefined) return ''
    const distance = Math.min(Math.abs(ratio - goal.min), Math.abs(ratio - (goal.max ?? Infinity)))
    return verdict(ratio >= goal.min && ratio <= (goal.max ?? Infinity)) + (distance < noise ? ' (within the noise floor of the goal: unsettled)' : '')
  }
  return `## Throughput, side by side

bench/comparisons.mjs, ${ran(raw)}. Servers run in their own processes on loopback; autocannon,
${r.connections} connections, ${r.duration} s per measurement; each comparison starts ${r.pairs} fresh pairs of server
processes, one pair after the other; the two sides of a pair alternate over ${r.rounds} rounds (which side
goes first alternates too), and a pair's ratio is the median of its rounds' ratios (each round's two
measurements ran back to back, so the machine's drift cancels); the req/s and CPU columns are the
medians of each side.${raw.pinned ? ' The servers ran pinned to the last CPU, the load generator to the others (taskset).' : ''} "A bare route in a plain app" is a Fastify app without the plugin,
one route returning \`{ status: 'pass' }\`: the baseline a user compares with. Each check is a 1 ms
round trip to a pretend dependency, counted. The load generator shares the machine's cores with the
servers, so absolute figures are low; the ratios are the point.

| benchmark | req/s | ratio | spread | CPU/request (µs) | ratio by CPU | goal | | dependency queries per ${r.duration} s of load |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows.map((c) => `| ${c.label} | ${fmt(c.a)} vs ${fmt(c.b)} | **${c.ratio.toFixed(3)}×** | ${c.low.toFixed(2)} to ${c.high.toFixed(2)} | ${c.cpuA.toFixed(1)} vs ${c.cpuB.toFixed(1)} | ${c.cpuRatio.toFixed(3)}× | ${goalText(c.goal)} | ${goalVerdict(c)} | ${fmt(c.queriesA)} |`).join('\n')}

"Spread" is the lowest and the highest pair. The first row compares a server with itself: its true
ratio is 1, so its spread is how far a pair can stray by chance on this machine, and a ratio within
that distance of a goal settles nothing by itself. \`CPU/request\` is the server process's CPU time
(user + system) divided by the requests it served: it does not depend on the load generator, so it
is the steadier of the two on a shared machine; the "by CPU" ratio is the baseline's CPU per
request over the other side's.
`
}

function otherSection (storm, cost, shutdown) {
  const rows = []
  if (storm !== undefined) {
    const { probes, seconds, runs, interval } = storm.results
    const bound = Math.ceil(seconds * 1000 / interval) + 1
    rows.push(`| probe storm (bench/probe-storm.mjs): ${fmt(probes)} probes in ${seconds.toFixed(1)} s, check interval ${interval} ms | **${runs}** runs of the check | ≤ ceil(duration / interval) + 1 = ${bound} | ${verdict(runs <= bound)} |`)
  }
  if (cost !== undefined) {
    const { seconds, runs, cpuMicroseconds } = cost.results
    rows.push(`| the checks' own work (bench/check-run-cost.mjs): an idle server, 200 checks every second (a 1 ms round trip each), ${fmt(runs)} runs in ${seconds} s | **${(cpuMicroseconds / runs).toFixed(0)} µs** CPU per run, ${(100 * cpuMicroseconds / (seconds * 1e6)).toFixed(1)}% of one core | | |`)
  }
  if (shutdown !== undefined) {
    const { milliseconds } = shutdown.results
    for (const [idle, samples] of Object.entries(milliseconds)) {
      const ms = median(samples)
      rows.push(`| SIGTERM to exit (bench/shutdown-time.mjs), \`shutdownDelay: 0\`, nothing in flight, ${fmt(Number(idle))} idle keep-alive connections, median of ${samples.length} | **${ms.toFixed(1)} ms** | ≤ ${SHUTDOWN_GOAL_MS} ms | ${verdict(ms <= SHUTDOWN_GOAL_MS)} |`)
    }
  }
  if (rows.length === 0) return ''
  const dates = [storm, cost, shutdown].filter(Boolean).map(ran)
  return `## Probes, checks and shutdown

${[...new Set(dates)].join('; ')}. SIGTERM-to-exit is measured by the parent from \`kill()\` to the
child's \`exit\` event, so it includes the process's own exit.

| benchmark | result | goal | |
| --- | --- | --- | --- |
${rows.join('\n')}
`
}

function profileSection (raw) {
  const { seconds, rows } = raw.results
  return `A CPU profile of the plugin's server under the same load on \`/\` (bench/profile.mjs, ${seconds} s, ${ran(raw)}),
the plugin's own functions with at least 0.1% of the samples (idle included), by self time:
${rows.length === 0 ? '\nnone: no function of the plugin\'s has 0.1% of the samples.\n' : `\n| function | share |\n| --- | --- |\n${rows.map((row) => `| \`${row.name.replace('plugin:dist/', '')}\` | ${row.percent}% |`).join('\n')}\n`}`
}

function instructionsSection (raw) {
  const r = raw.results
  if (!r.available) return `Instructions per request: not measured (valgrind is not installed; ${ran(raw)}).\n`
  const row = (id) => r.rows.find((candidate) => candidate.id === id)
  const [plain, withPlugin] = r.idle.map((kind) => kind.perSecond.reduce((sum, value) => sum + value) / kind.perSecond.length)
  // The plugin's work by the clock, spread over the requests of each counted window.
  const clockPerRequest = (counted) => counted.seconds.map((seconds, i) => (withPlugin - plain) * seconds / counted.requests[i])
  const requestOnly = (counted) => counted.plain ? counted.counts : counted.counts.map((count, i) => count - clockPerRequest(counted)[i]).sort((a, b) => a - b)
  const ratio = (counted, counts = (c) => c.counts) => median(counts(row(counted.baseline))) / median(counts(counted))
  const outliers = (isPlain) => {
    const rows = r.rows.filter((counted) => Boolean(counted.plain) === isPlain)
    const high = rows.reduce((n, counted) => n + counted.counts.filter((c) => c > 1.5 * counted.counts[0]).length, 0)
    return `${high} of ${rows.reduce((n, counted) => n + counted.counts.length, 0)}`
  }
  const pluginRoute = row('pluginRoute')
  const plainRoute = median(row('plainRoute').counts)
  return `
Instructions per request, counted by valgrind's callgrind (bench/instructions.mjs, ${ran(raw)}): each
server runs under callgrind, ${r.rows[0].counts.length} processes per row; counting starts after ${r.warmupRuns} warm-up runs of
${fmt(r.warmup)} requests, each on fresh connections, and covers a run of ${fmt(r.counted)} requests (8 connections);
the count is divided by the requests the server parsed meanwhile (calls to llhttp's
message-complete callback). Checks are not run meanwhile (their cost is per second, not per
request). Unlike req/s, a count does not move with what else the machine does; it moves with what
V8 decided in that process, hence several processes, each one's count shown. Processes counting
over 1.5 times their row's lowest: ${outliers(true)} of the plain app, ${outliers(false)} with the plugin.

| server and route | instructions per request (median) | each process | ratio to the baseline | the same without the work by the clock |
| --- | --- | --- | --- | --- |
${r.rows.map((counted) => {
  const ratios = counted.baseline === undefined ? '| | |' : `| ${ratio(counted).toFixed(3)}× (vs ${row(counted.baseline).label}) | ${ratio(counted, requestOnly).toFixed(3)}× |`
  return `| ${counted.label} | **${fmt(median(counted.counts))}** | ${counted.counts.map(fmt).join(', ')} ${ratios}`
}).join('\n')}

**Work by the clock, not per request.** Idle for ${r.idleSeconds} s after the same warm-up, once the server has
gone idle (${r.idle[0].perSecond.length} processes each, averaged), a plain app runs ${fmt(plain)} instructions a second and the
app with the plugin ${fmt(withPlugin)}: mostly @fastify/under-pressure's event-loop histogram, read and
cleared by its sample once a second, and the histogram's 10 ms timer. Under callgrind a counted
window of about ${fmt(r.counted)} requests took ${median(pluginRoute.seconds).toFixed(1)} s, so this work lands in the plugin's row above at
about ${fmt(median(clockPerRequest(pluginRoute)))} instructions per request; without it the row is ${fmt(median(requestOnly(pluginRoute)))}, ${(plainRoute / median(requestOnly(pluginRoute))).toFixed(3)}× the plain
app's (the last column does the same for every row of the app with the plugin).
`
}

function fastPathSection (raw) {
  const r = raw.results
  if (!r.available) return `\nnextTick's fast path: not measured (perf is not available; ${ran(raw)}).\n`
  return `
**nextTick's fast path** (bench/fast-path.mjs, ${ran(raw)}: ${r.processes} fresh processes each, warmed up as
above, then sampled by \`perf record\` under load; a process is on the slow path when
\`Runtime_DefineKeyedOwnPropertyInLiteral\` has at least ${r.slowShare}% of its samples; docs/design.md tells why):
${r.rows.map((row) => `${row.label}, ${row.shares.filter((share) => share >= r.slowShare).length} of ${row.shares.length}`).join('; ')}.
`
}

function lintSection (raw) {
  const { big, many } = raw.results
  const rate = big.statements / big.seconds
  return `## The migration linter on large input

bench/lint.mjs, ${ran(raw)}: one process lints a generated migration (a mix of safe and unsafe DDL,
data changes, transactions, comments, multibyte text) and a directory of 100 generated migrations,
with the schema model across them.

| input | statements | time | findings | goal | |
| --- | --- | --- | --- | --- | --- |
| one file of ${(big.bytes / 2 ** 20).toFixed(1)} MB | ${fmt(big.statements)} | **${big.seconds.toFixed(2)} s** | ${fmt(big.findings)} | ${fmt(LINT_GOAL.statements)} statements in < ${LINT_GOAL.seconds} s: ${fmt(rate)} statements/s | ${verdict(LINT_GOAL.statements / rate < LINT_GOAL.seconds)} |
| ${many.files} files | ${fmt(many.statements)} | **${many.seconds.toFixed(2)} s** | ${fmt(many.findings)} | | |
`
}

export function render (read = readRaw) {
  const raw = Object.fromEntries(BENCHMARKS.map((name) => [name, read(name)]))
  const missing = BENCHMARKS.filter((name) => raw[name] === undefined)
  const first = Object.values(raw).find(Boolean)
  const perRequest = [raw.profile && profileSection(raw.profile), raw.instructions && instructionsSection(raw.instructions), raw['fast-path'] && fastPathSection(raw['fast-path'])].filter(Boolean)
  const header = [
    '# Benchmarks',
    '',
    'Written by bench/doc.mjs from the raw results in [benchmarks/](benchmarks/), which `npm run bench`',
    '(bench/run.mjs) saves, one JSON file per benchmark; do not edit by hand. Each section names the day',
    'and the Node.js it ran on.',
    first && `Machine: ${first.machine}. Versions: fastify ${first.versions.fastify}, fastify-zero-downtime ${first.versions.plugin}, autocannon ${first.versions.autocannon}.`,
    'What these benchmarks found, and what was changed for it, is in [design.md](design.md#what-the-benchmarks-found).',
    missing.length > 0 && `Not run yet: ${missing.join(', ')}.`
  ].filter((line) => typeof line === 'string').join('\n')
  return [`${header}\n`,
    raw.comparisons && comparisonsSection(raw.comparisons),
    otherSection(raw['probe-storm'], raw['check-run-cost'], raw['shutdown-time']),
    perRequest.length > 0 && `## What the plugin adds to every request\n\n${perRequest.join('')}`,
    raw.lint && lintSection(raw.lint)
  ].filter(Boolean).join('\n')
}

const rawPath = (name) => new URL(`../docs/benchmarks/${name}.json`, import.meta.url)
const docPath = new URL('../docs/benchmarks.md', import.meta.url)

/** The saved results of one benchmark, or undefined when it has not run. */
export function readRaw (name) {
  return existsSync(rawPath(name)) ? JSON.parse(readFileSync(rawPath(name), 'utf8')) : undefined
}

export function writeDoc () {
  writeFileSync(docPath, render())
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) {
    const stale = readFileSync(docPath, 'utf8') !== render()
    if (stale) process.stderr.write('docs/benchmarks.md is not what docs/benchmarks/*.json give: run npm run bench:doc\n')
    process.exitCode = stale ? 1 : 0
  } else {
    writeDoc()
  }
}
