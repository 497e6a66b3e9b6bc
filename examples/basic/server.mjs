// A small service with fastify-zero-downtime: one dependency check, a startup task, a resource to
// close, and a slow route to watch a graceful shutdown finish it. Nothing to install: the
// "database" is an in-process store standing in for your pool or client.
//
//   npm run build && node examples/basic/server.mjs      then, in another terminal:
//   curl -i localhost:3000/readyz?verbose
//   kill -TERM "$(pgrep -f examples/basic/server.mjs)"   and watch: readiness off, keep serving, drain, close, exit 0
// Signal the node process itself (or press Ctrl-C), never the pid of `npm start`: npm exits on
// SIGTERM without waiting for its child, which then runs on as an orphan.
import Fastify from 'fastify'
import zeroDowntime from 'fastify-zero-downtime'

const store = {
  rows: new Map([['greeting', 'hello']]),
  open: true,
  async ping () { if (!this.open) throw new Error('store is closed') },
  async get (key) { await this.ping(); return this.rows.get(key) },
  async close () { this.open = false }
}

const app = Fastify({ logger: true })

await app.register(zeroDowntime, {
  // Short enough to watch by hand; in Kubernetes keep the default (5 s) or more.
  shutdownDelay: Number(process.env.SHUTDOWN_DELAY ?? 2000),
  details: 'always'
})

app.health
  .check('store', async () => { await store.ping() }, { timeout: 500 })
  .startupTask('warm-cache', async () => { await store.get('greeting') })
  .resource('store', () => store.close())

app.get('/', async () => ({ greeting: await store.get('greeting') }))
app.get('/slow', async () => {
  await new Promise((resolve) => setTimeout(resolve, 3000))
  return { done: true }
})

await app.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? '127.0.0.1' })
