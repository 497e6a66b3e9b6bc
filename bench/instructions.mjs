// Instructions per request, counted by valgrind's callgrind: unlike req/s, the count does not move
// with what else the machine is doing, so a few per cent show. Each server runs under callgrind with
// counting off; after a warm-up (JIT) counting is switched on for a fixed number of requests.
// V8 still decides differently from one process to the next, so several processes per kind.
import autocannon from 'autocannon'
import { execFile, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { startServer } from './server-process.mjs'

const WARMUP = 20000
const COUNTED = 3000

export const available = () => spawnSync('valgrind', ['--version'], { stdio: 'ignore' }).status === 0

async function control (command, pid) {
  await promisify(execFile)('callgrind_control', [command, String(pid)])
}

/** One process: instructions per request on `path`. */
async function count (env, path, dir) {
  const out = join(dir, `callgrind.${Math.random().toString(36).slice(2)}`)
  const server = await startServer({ CHECK_INTERVAL: '600000', ...env }, {
    launcher: ['valgrind', '--tool=callgrind', '--smc-check=all-non-file', '--instr-atstart=no', `--callgrind-out-file=${out}`],
    stderr: 'ignore'
  })
  const { child } = server
  try {
    const url = `${server.url}${path}`
    await autocannon({ url, connections: 8, amount: WARMUP })
    await control('-i', 'on', child.pid)
    await autocannon({ url, connections: 8, amount: COUNTED })
    await control('-d', child.pid)
  } finally {
    child.kill('SIGKILL')
    await once(child, 'close')
  }
  let total = 0
  for (const file of readdirSync(dir).filter((f) => join(dir, f).startsWith(out))) {
    total += Number(/^summary: (\d+)/m.exec(readFileSync(join(dir, file), 'utf8'))?.[1] ?? 0)
  }
  return total / COUNTED
}

/**
 * Each kind: `processes` servers, two at a time (callgrind runs one thread's worth of CPU each);
 * returns the counts sorted, per kind label.
 */
export async function instructionsBench (kinds, processes = 3) {
  const dir = mkdtempSync(join(os.tmpdir(), 'zd-callgrind-'))
  try {
    const jobs = kinds.flatMap((kind) => Array.from({ length: processes }, () => kind))
    const results = new Map(kinds.map((kind) => [kind.label, []]))
    for (let i = 0; i < jobs.length; i += 2) {
      await Promise.all(jobs.slice(i, i + 2).map(async (kind) => {
        const perRequest = await count(kind.env, kind.path, dir)
        results.get(kind.label).push(perRequest)
        process.stderr.write(`  ${kind.label}: ${Math.round(perRequest)} instructions/request\n`)
      }))
    }
    return kinds.map((kind) => ({ ...kind, counts: results.get(kind.label).sort((a, b) => a - b) }))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
