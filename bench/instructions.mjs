// Instructions per request, counted by valgrind's callgrind: unlike req/s, the count does not move
// with what else the machine is doing, so a few per cent show. Each server runs under callgrind with
// counting off; after a warm-up (JIT) counting is switched on for a fixed number of requests.
// The warm-up is several runs, each with fresh connections: a new socket still deoptimizes parts of
// Node's connection setup through the second run, and callgrind counts every thread, so with one
// run of 20,000 requests V8's compiler (recompiling them) made up 40% of the count and split the
// processes of one kind into modes 10% apart; from the third run on it is quiet.
// V8 still decides differently from one process to the next, so several processes per kind.
import autocannon from 'autocannon'
import { execFile, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { promisify } from 'node:util'
import { startServer } from './server-process.mjs'
import { kinds } from './common.mjs'

export const WARMUP_RUNS = 3
export const WARMUP = 20000
export const COUNTED = 3000
// autocannon's timeout (s), above its 10 s default: under callgrind, switching counting on stalls
// the server while it re-instruments the code. Some windows still serve more requests than
// autocannon was asked for (up to 3.3x; why was not found), hence counting the requests parsed.
const CALLGRIND_TIMEOUT = 120

export const available = () => spawnSync('valgrind', ['--version'], { stdio: 'ignore' }).status === 0

async function control (command, pid) {
  await promisify(execFile)('callgrind_control', [command, String(pid)])
}

/**
 * Calls to the function named `name` in a callgrind output file. Names are compressed: the first
 * `fn=(id) name` or `cfn=(id) name` names an id, later lines give the id alone.
 */
function callsTo (text, name) {
  const names = new Map()
  let callee
  let calls = 0
  for (const line of text.split('\n')) {
    const fn = /^c?fn=\((\d+)\)(?: (.*))?$/.exec(line)
    if (fn !== null) {
      if (fn[2] !== undefined) names.set(fn[1], fn[2])
      if (line.startsWith('cfn=')) callee = fn[1]
    } else if (line.startsWith('calls=') && names.get(callee) === name) {
      calls += Number(line.slice('calls='.length).split(' ')[0])
    }
  }
  return calls
}

/** The server's CPU time so far (µs), from bench/server.mjs's `/queries`. */
async function cpuTime (server) {
  return (await (await fetch(`${server.url}/queries`)).json()).cpu
}

/**
 * Waits until the server has stopped working through requests: under callgrind it can still be
 * answering requests of the warm-up seconds after autocannon is done. Only before an idle window:
 * before a window of requests the wait doubled every count (not traced why), so there such late
 * requests are counted with the window's own.
 */
async function settled (server) {
  for (let tries = 0; tries < 120; tries++) {
    const before = await cpuTime(server)
    await new Promise((resolve) => setTimeout(resolve, 500))
    if (await cpuTime(server) - before < 100000) return
  }
  throw new Error('the server under callgrind did not settle within a minute')
}

/**
 * One process under callgrind: warmed up on `path`, then counted while `measure(url)` runs.
 * Returns the instructions counted (every thread), the requests the server parsed meanwhile (llhttp's
 * message-complete callback: what it served, whatever autocannon was asked for), and the
 * wall-clock seconds counting lasted. `settle`: first wait until the server is idle.
 */
async function counted (env, path, dir, measure, { settle = false } = {}) {
  const out = join(dir, `callgrind.${Math.random().toString(36).slice(2)}`)
  const server = await startServer({ CHECK_INTERVAL: '600000', ...env }, {
    launcher: ['valgrind', '--tool=callgrind', '--smc-check=all-non-file', '--instr-atstart=no', `--callgrind-out-file=${out}`],
    stderr: 'ignore'
  })
  const { child } = server
  let seconds
  try {
    const url = `${server.url}${path}`
    for (let run = 0; run < WARMUP_RUNS; run++) await autocannon({ url, connections: 8, amount: WARMUP, timeout: CALLGRIND_TIMEOUT })
    if (settle) await settled(server)
    await control('-i', 'on', child.pid)
    const started = performance.now()
    await measure(url)
    seconds = (performance.now() - started) / 1000
    await control('-d', child.pid)
  } finally {
    child.kill('SIGKILL')
    await once(child, 'close')
  }
  let total = 0
  let requests = 0
  for (const file of readdirSync(dir).filter((f) => join(dir, f).startsWith(out))) {
    const text = readFileSync(join(dir, file), 'utf8')
    total += Number(/^summary: (\d+)/m.exec(text)?.[1] ?? 0)
    requests += callsTo(text, 'llhttp__on_message_complete')
  }
  return { total, requests, seconds }
}

/** Runs `job` for each of `items`, two processes at a time (callgrind runs one thread's worth of CPU each). */
async function twoAtATime (items, job) {
  const dir = mkdtempSync(join(os.tmpdir(), 'zd-callgrind-'))
  try {
    for (let i = 0; i < items.length; i += 2) await Promise.all(items.slice(i, i + 2).map((item) => job(item, dir)))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * Each kind: `processes` servers; returns per kind its instructions per request (sorted) and the
 * requests each counted window held and the seconds it lasted (under callgrind a second holds far
 * fewer requests).
 */
export async function instructionsBench (kinds, processes = 3) {
  const results = new Map(kinds.map((kind) => [kind.label, { counts: [], seconds: [], requests: [] }]))
  await twoAtATime(kinds.flatMap((kind) => Array.from({ length: processes }, () => kind)), async (kind, dir) => {
    const { total, requests, seconds } = await counted(kind.env, kind.path, dir, async (url) => { await autocannon({ url, connections: 8, amount: COUNTED, timeout: CALLGRIND_TIMEOUT }) })
    // llhttp's callback is looked up by name: a Node.js build without that symbol counts nothing.
    if (requests === 0) throw new Error(`${kind.label}: no call to llhttp__on_message_complete counted`)
    const result = results.get(kind.label)
    result.counts.push(total / requests)
    result.seconds.push(seconds)
    result.requests.push(requests)
    process.stderr.write(`  ${kind.label}: ${Math.round(total / requests)} instructions/request (${requests} requests)\n`)
  })
  // Sorted by count, each process's seconds and requests kept beside its count.
  return kinds.map((kind) => {
    const { counts, seconds, requests } = results.get(kind.label)
    const order = counts.map((_count, i) => i).sort((a, b) => counts[a] - counts[b])
    return { ...kind, counts: order.map((i) => counts[i]), seconds: order.map((i) => seconds[i]), requests: order.map((i) => requests[i]) }
  })
}

export const IDLE_SECONDS = 10

/**
 * What a server does with no request: instructions per second over IDLE_SECONDS, after the same
 * warm-up (timers such as the event-loop sampler run by the clock, not per request).
 */
export async function idleBench (kinds, processes = 2) {
  const results = new Map(kinds.map((kind) => [kind.label, []]))
  await twoAtATime(kinds.flatMap((kind) => Array.from({ length: processes }, () => kind)), async (kind, dir) => {
    const idle = async () => await counted(kind.env, '/', dir, async () => { await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000)) }, { settle: true })
    // A few may be the bench's own polling finishing; thousands are a backlog of the warm-up that
    // the server, paused a while under callgrind, had not yet read when it looked idle (seen once
    // with 2,257): that process is not idle, so another one is measured in its place.
    let { total, requests, seconds } = await idle()
    for (let retry = 1; requests > 10; retry++) {
      if (retry > 3) throw new Error(`${kind.label}: ${requests} requests served while idle, in 4 processes in a row`)
      process.stderr.write(`  ${kind.label}: ${requests} requests served while idle; another process\n`)
      ;({ total, requests, seconds } = await idle())
    }
    results.get(kind.label).push(total / seconds)
    process.stderr.write(`  ${kind.label} idle: ${Math.round(total / seconds)} instructions/s\n`)
  })
  return kinds.map((kind) => ({ ...kind, perSecond: results.get(kind.label).sort((a, b) => a - b) }))
}

export const description = 'instructions per request and per idle second (callgrind)'

// `baseline`: the id of the row a row is compared with; `plain`: a plain app (no plugin).
const ROWS = [
  { id: 'bare', label: 'a bare route in a plain app (`/bare`)', kind: 'bare', path: '/bare', plain: true },
  { id: 'plainRoute', label: 'an application route in a plain app (`/`)', kind: 'bare', path: '/', plain: true },
  { id: 'pluginRoute', label: 'the same route, app with the plugin and 5 checks (`/`)', kind: 'plugin', path: '/', baseline: 'plainRoute' },
  { id: 'readyz', label: '`/readyz`, 5 checks', kind: 'plugin', path: '/readyz', baseline: 'bare' },
  { id: 'livez', label: '`/livez`', kind: 'plugin', path: '/livez', baseline: 'bare' },
  { id: 'health', label: '`/health`, 5 checks', kind: 'plugin', path: '/health', baseline: 'bare' },
  { id: 'verbose', label: '`/readyz?verbose`, 5 checks', kind: 'plugin', path: '/readyz?verbose', baseline: 'bare' },
  { id: 'readyz200', label: '`/readyz`, 200 checks', kind: 'plugin200', path: '/readyz', baseline: 'readyz' }
]

export async function run () {
  if (!available()) return { available: false }
  const rows = await instructionsBench(ROWS.map((row) => ({ ...row, env: kinds[row.kind] })))
  // The plugin's clock-driven work (under-pressure's event-loop sampler), apart from any request.
  const idle = await idleBench([
    { id: 'plain', label: 'a plain app', env: kinds.bare },
    { id: 'plugin', label: 'the app with the plugin and 5 checks (checks paused)', env: kinds.plugin }
  ])
  const withoutEnv = ({ env, ...rest }) => rest
  return { available: true, warmupRuns: WARMUP_RUNS, warmup: WARMUP, counted: COUNTED, idleSeconds: IDLE_SECONDS, rows: rows.map(withoutEnv), idle: idle.map(withoutEnv) }
}
