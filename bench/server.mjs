// The server side of the benchmarks, one process per mode, so that the load generator does not
// share its event loop. Prints its URL on stdout once listening.
//   bare            a plain Fastify app, no plugin: `/` and `/bare` (returns { status: 'pass' })
//   plugin          the same app with fastify-zero-downtime and CHECKS checks (default 5); OPENAPI=1 documents the probes
//   under-pressure  the same app with @fastify/under-pressure's /status running the same checks
//   terminus        the same app with @godaddy/terminus's /readyz running the same checks
//   shutdown        the plugin with signal handling, for SIGTERM-to-exit
// Every check is a 1 ms round trip to a pretend dependency; /queries counts them.
// FULL_GC_EVERY_SECOND=1 (with node --expose-gc): a full garbage collection from a timer each
// second, the kind of collection that puts nextTick on V8's slow path (lib/tick-shape.ts).
import Fastify from 'fastify'
import { setTimeout as sleep } from 'node:timers/promises'

const mode = process.env.BENCH_MODE ?? 'plugin'
const checks = Number(process.env.CHECKS ?? 5)
const app = Fastify({ logger: false, keepAliveTimeout: 60000 })
let queries = 0
const dependency = async () => { queries++; await sleep(1) }
const allChecks = async () => { await Promise.all(Array.from({ length: checks }, dependency)) }

if (mode === 'plugin' || mode === 'shutdown') {
  const { default: zeroDowntime } = await import('fastify-zero-downtime')
  await app.register(zeroDowntime, {
    signals: mode === 'shutdown' ? ['SIGTERM'] : false,
    shutdownDelay: 0,
    checkInterval: Number(process.env.CHECK_INTERVAL ?? 1000),
    // OPENAPI=1: the probes documented, with their querystring and params schemas.
    openapi: process.env.OPENAPI === '1',
    ...(process.env.LIVENESS === '0' ? { liveness: false } : {})
  })
  for (let i = 0; i < checks; i++) app.health.check(`dep-${i}`, dependency)
} else if (mode === 'under-pressure') {
  const { default: underPressure } = await import('@fastify/under-pressure')
  await app.register(underPressure, { exposeStatusRoute: '/status', healthCheck: async () => { await allChecks(); return true } })
}

if (process.env.FULL_GC_EVERY_SECOND === '1') setInterval(() => globalThis.gc(), 1000).unref()

app.get('/bare', async () => ({ status: 'pass' }))
app.get('/', async () => ({ hello: 'world' }))
app.get('/queries', async () => {
  const { user, system } = process.cpuUsage()
  return { queries, cpu: user + system }
})

if (mode === 'terminus') {
  await app.ready()
  const { createTerminus } = await import('@godaddy/terminus')
  createTerminus(app.server, { healthChecks: { '/readyz': allChecks } })
}

const url = await app.listen({ port: 0, host: '127.0.0.1' })
process.stdout.write(`${url}\n`)
// For profiles (bench/profile.mjs): exit on its own, so that --cpu-prof writes its file.
if (process.env.EXIT_AFTER !== undefined) setTimeout(() => process.exit(0), Number(process.env.EXIT_AFTER)).unref()
