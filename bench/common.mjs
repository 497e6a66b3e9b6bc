// What several benchmarks share: the server kinds they start (bench/server.mjs's modes), starting
// and stopping them, their counters, and the median.
import { once } from 'node:events'
import { startServer as startServerProcess } from './server-process.mjs'

export const kinds = {
  bare: { BENCH_MODE: 'bare' },
  plugin: { BENCH_MODE: 'plugin' },
  plugin200: { BENCH_MODE: 'plugin', CHECKS: '200' },
  // The plugin's default check interval (5 s): 5 vs 200 checks compares the probes, and the
  // checks' own work in the background is measured on its own (check-run-cost.mjs).
  pluginDefaultInterval: { BENCH_MODE: 'plugin', CHECK_INTERVAL: '5000' },
  plugin200DefaultInterval: { BENCH_MODE: 'plugin', CHECKS: '200', CHECK_INTERVAL: '5000' },
  pluginOpenapi: { BENCH_MODE: 'plugin', OPENAPI: '1' },
  underPressure: { BENCH_MODE: 'under-pressure' },
  terminus: { BENCH_MODE: 'terminus' }
}

/** Starts a server of `env`, pinned to the last CPU when the runner pinned itself to the others. */
export async function startServer (env, context) {
  return await startServerProcess(env, { launcher: context.pinned ? ['taskset', '-c', String(context.cpus - 1)] : [] })
}

export async function stop (server) {
  if (server.child.exitCode !== null) return
  server.child.kill('SIGKILL')
  await once(server.child, 'exit')
}

/** The server's dependency queries so far, and the CPU time it has used (µs). */
export async function counters (server) {
  return await (await fetch(`${server.url}/queries`)).json()
}

export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
