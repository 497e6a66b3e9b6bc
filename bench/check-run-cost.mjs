// The checks' own cost, away from any probe: an idle server with 200 checks every second.
import { setTimeout as sleep } from 'node:timers/promises'
import { counters, kinds, startServer, stop } from './common.mjs'

export const description = "the checks' own work"
const SECONDS = 5

export async function run (context) {
  const server = await startServer(kinds.plugin200, context)
  try {
    const before = await counters(server)
    await sleep(SECONDS * 1000)
    const after = await counters(server)
    return { seconds: SECONDS, runs: after.queries - before.queries, cpuMicroseconds: after.cpu - before.cpu }
  } finally { await stop(server) }
}
