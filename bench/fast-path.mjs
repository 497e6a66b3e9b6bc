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

const SLOW_PATH = 'Runtime_DefineKeyedOwnPropertyInLiteral'

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

/** For each kind, how many of `processes` fresh processes ran on the slow path. */
export async function fastPathBench (kinds, processes) {
  const dir = mkdtempSync(join(tmpdir(), 'zd-fast-path-'))
  try {
    const rows = kinds.map((kind) => ({ ...kind, shares: [] }))
    // Kinds interleaved, so that the machine's drift falls on all of them alike.
    for (let i = 0; i < processes; i++) {
      for (const row of rows) row.shares.push(await slowPathShare(row.env, row.nodeArgs ?? [], dir))
    }
    return rows.map((row) => ({ ...row, slow: row.shares.filter((share) => share >= 0.2).length }))
  } finally { rmSync(dir, { recursive: true, force: true }) }
}
