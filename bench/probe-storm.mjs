// A probe storm: 10,000 probes at 2,000/s against a check that runs every second. The cache must
// keep the check's runs to one per interval, whatever the probe rate.
import autocannon from 'autocannon'
import { counters, startServer, stop } from './common.mjs'

export const description = 'probes against a check interval'

export async function run (context) {
  const interval = 1000
  const probes = 10000
  const server = await startServer({ BENCH_MODE: 'plugin', CHECKS: '1', CHECK_INTERVAL: String(interval) }, context)
  try {
    const before = (await counters(server)).queries
    const started = Date.now()
    await autocannon({ url: `${server.url}/readyz`, connections: 10, amount: probes, overallRate: 2000 })
    const seconds = (Date.now() - started) / 1000
    return { probes, seconds, runs: (await counters(server)).queries - before, interval }
  } finally { await stop(server) }
}
