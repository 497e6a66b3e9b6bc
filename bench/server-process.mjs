// Starts bench/server.mjs in a process of its own and waits for the URL it prints once listening.
// `launcher` runs node under another program (taskset, valgrind); `nodeArgs` go to node itself.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'

export async function startServer (env, { launcher = [], nodeArgs = [], stderr = 'inherit' } = {}) {
  const [command, ...args] = [...launcher, process.execPath, ...nodeArgs, new URL('server.mjs', import.meta.url).pathname]
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', stderr] })
  const [line] = await once(createInterface({ input: child.stdout }), 'line')
  return { child, url: line.trim() }
}
