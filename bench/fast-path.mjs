// Which server processes run Node's process.nextTick on V8's slow path (lib/tick-shape.ts tells
// why): each process is warmed up as the req/s comparisons are, then sampled by `perf record`
// under load; a process whose samples show V8's runtime defining the tick literal's properties
// (Runtime_DefineKeyedOwnPropertyInLiteral) is on it. Linux with perf only.
import autocannon from 'autocannon'
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NATIVE_WARMUP_RUNS, startServer } from './server-process.mjs'
import { kinds } from './common.mjs'

const SLOW_PATH = 'Runtime_DefineKeyedOwnPropertyInLiteral'
// A process is on the slow path when that function has at least this share of the samples (%).
const SLOW_SHARE = 0.2

export const available = () => spawnSync('perf', ['record', '-o', '/dev/null', 'true'], { stdio: 'ignore' }).status === 0

async function slowPathShare (env, nodeArgs, dir) {
  const server = await startServer(env, { nodeArgs })
  try {
    const load = async (duration) => await autocannon({ url: `${server.url}/`, connections: 32, duration })
    for (let run = 0; run < NATIVE_WARMUP_RUNS; run++) await load(1)
    const data = join(dir, 'perf.data')
    const perf = spawn('perf', ['record', '-F', '999', '-o', data, '-p', String(server.child.pid)], { stdio: 'ignore' })
    // perf tells nothing when it has attached: a moment for it before the load.
    await new Promise((resolve) => setTimeout(resolve, 300))
    await load(2)
    perf.kill('SIGINT')
    await once(perf, 'exit')
    const report = execFileSync('perf', ['report', '-i', data, '--no-children', '--sort', 'sym', '--stdio', '-g', 'none'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    return report.split('\n').filter((line) => line.includes(SLOW_PATH)).reduce((sum, line) => sum + parseFloat(line), 0)
  } finally {
    server.child.kill('SIGKILL')
    await once(server.child, 'exit')
  }
}

/** For each kind, the slow path's share of the samples in each of `processes` fresh processes. */
export async function fastPathBench (kinds, processes) {
  const dir = mkdtempSync(join(tmpdir(), 'zd-fast-path-'))
  try {
    const rows = kinds.map((kind) => ({ ...kind, shares: [] }))
    // Kinds interleaved, so that the machine's drift falls on all of them alike.
    for (let i = 0; i < processes; i++) {
      for (const row of rows) row.shares.push(await slowPathShare(row.env, row.nodeArgs ?? [], dir))
    }
    return rows
  } finally { rmSync(dir, { recursive: true, force: true }) }
}

export const description = "processes on nextTick's slow path (perf)"
const PROCESSES = 6

export async function run () {
  if (!available()) return { available: false }
  const rows = await fastPathBench([
    { label: 'a plain app', env: kinds.bare },
    { label: 'a plain app, a full garbage collection from a timer each second', env: { ...kinds.bare, FULL_GC_EVERY_SECOND: '1' }, nodeArgs: ['--expose-gc'] },
    { label: 'the app with the plugin and 5 checks', env: kinds.plugin }
  ], PROCESSES)
  return { available: true, processes: PROCESSES, slowShare: SLOW_SHARE, rows: rows.map(({ label, shares }) => ({ label, shares })) }
}
