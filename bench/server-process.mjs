// Starts bench/server.mjs in a process of its own and waits for the URL it prints once listening.
// `launcher` runs node under another program (taskset, valgrind); `nodeArgs` go to node itself.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'

// Native warm-up: runs of 1 s of load, each with fresh connections, before anything is measured
// (bench/instructions.mjs tells why), in the req/s comparisons and the fast-path check alike.
export const NATIVE_WARMUP_RUNS = 3

export async function startServer (env, { launcher = [], nodeArgs = [], stderr = 'inherit' } = {}) {
  const [command, ...args] = [...launcher, process.execPath, ...nodeArgs, new URL('server.mjs', import.meta.url).pathname]
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', stderr] })
  const [line] = await once(createInterface({ input: child.stdout }), 'line')
  return { child, url: line.trim() }
}
