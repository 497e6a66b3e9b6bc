// The plugin's metrics scraped by Prometheus: the OpenTelemetry SDK with its Prometheus exporter,
// served by the app itself on /metrics (or on the exporter's own port, 9464, without
// preventServerStart). The plugin records through @opentelemetry/api: this file is all the setup.
//
//   npm run build && node examples/metrics/server.mjs
//   curl localhost:3000/metrics
import Fastify from 'fastify'
import { metrics } from '@opentelemetry/api'
import { MeterProvider } from '@opentelemetry/sdk-metrics'
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus'
import zeroDowntime from 'fastify-zero-downtime'

// Installed globally, before the plugin registers: the plugin gets its meter from the global API.
// (Or pass it: app.register(zeroDowntime, { meterProvider }).)
const exporter = new PrometheusExporter({ preventServerStart: true })
metrics.setGlobalMeterProvider(new MeterProvider({ readers: [exporter] }))

const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'info' } })
await app.register(zeroDowntime, { shutdownDelay: Number(process.env.SHUTDOWN_DELAY ?? 2000) })

let queueDepth = 0
app.health.check('queue', () => ({ status: queueDepth > 100 ? 'warn' : 'pass', observedValue: queueDepth, observedUnit: 'jobs' }), { critical: false })
app.health.check('db', async ({ signal }) => { signal.throwIfAborted() })

app.get('/', async () => ({ hello: 'world' }))
app.post('/jobs', async () => ({ queued: ++queueDepth }))
// The exporter answers the scrape itself, in the Prometheus text format.
app.get('/metrics', (request, reply) => {
  reply.hijack()
  exporter.getMetricsRequestHandler(request.raw, reply.raw)
})

const address = await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' })
console.log(address)
