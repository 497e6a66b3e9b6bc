// The server side of the benchmarks, one process per mode, so that the load generator does not
// share its event loop. Prints its URL on stdout once listening.
import Fastify from 'fastify'
import zeroDowntime from 'fastify-zero-downtime'

const mode = process.env.BENCH_MODE ?? 'plugin'
const app = Fastify({ logger: false, keepAliveTimeout: 60000 })
let runs = 0

if (mode !== 'bare') {
  await app.register(zeroDowntime, {
    signals: mode === 'shutdown' ? ['SIGTERM'] : false,
    shutdownDelay: 0,
    checkInterval: Number(process.env.CHECK_INTERVAL ?? 1000)
  })
  for (let i = 0; i < 5; i++) app.health.check(`dep-${i}`, async () => { if (i === 0) runs++ })
}

const probeSchema = { response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } }
// The same body as /readyz, with the same kind of schema: what a probe costs beyond a plain route.
app.get('/bare', { schema: probeSchema }, async () => ({ status: 'pass' }))
app.get('/', async () => ({ hello: 'world' }))
app.get('/runs', async () => ({ runs }))

const url = await app.listen({ port: 0, host: '127.0.0.1' })
process.stdout.write(`${url}\n`)
