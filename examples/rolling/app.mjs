// The service the rolling-deploy demo replaces under load. VERSION names the release; PLAIN=1 runs
// the same routes as a plain Fastify app that closes on SIGTERM (the usual hand-written shutdown),
// for contrast. Every POST id is logged, so the harness can tell a lost or duplicated body.
import Fastify from 'fastify'
import zeroDowntime from 'fastify-zero-downtime'

const version = process.env.VERSION ?? 'v1'
const plain = process.env.PLAIN === '1'
const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'warn' } })

if (plain) {
  // The probe paths of examples/kubernetes/deployment.yaml, always passing: what apps without the plugin serve.
  for (const path of ['/readyz', '/livez', '/startupz']) app.get(path, async () => ({ status: 'pass' }))
  process.once('SIGTERM', () => {
    process.stdout.write(JSON.stringify({ state: 'closing' }) + '\n')
    app.close().then(() => process.exit(0), () => process.exit(1))
  })
} else {
  await app.register(zeroDowntime, {
    shutdownDelay: Number(process.env.SHUTDOWN_DELAY ?? 1500),
    drainTimeout: 5000
  })
  // For the demo's timeline: each lifecycle transition, as it happens.
  app.health.onStateChange((state) => { process.stdout.write(JSON.stringify({ state }) + '\n') })
}

app.addHook('onSend', async (_request, reply) => { reply.header('x-version', version) })
app.get('/', async () => ({ version }))
app.get('/slow', async (request) => {
  const ms = Math.min(Number(request.query.ms ?? 200), 5000)
  await new Promise((resolve) => setTimeout(resolve, ms))
  return { version, slept: ms }
})
app.post('/echo', async (request) => {
  const body = request.body
  process.stdout.write(JSON.stringify({ posted: body.id }) + '\n') // "stored": the harness counts these
  return body
})

await app.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? '127.0.0.1' })
