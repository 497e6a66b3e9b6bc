// One service, four releases of the rename users.name -> users.full_name (VERSION r0..r3). Each
// release is ready only when the database is compatible with it (checks.schema).
import Fastify from 'fastify'
import pg from 'pg'
import zeroDowntime, { checks } from 'fastify-zero-downtime'

const RELEASES = {
  r0: { requires: '000_init', write: ['name'], read: 'name' },
  r1: { requires: '001_expand', write: ['name', 'full_name'], read: 'name' },
  r2: { requires: '002_backfill', write: ['name', 'full_name'], read: 'full_name' },
  r3: { requires: '002_backfill', write: ['full_name'], read: 'full_name' }
}
const version = process.env.VERSION ?? 'r0'
const release = RELEASES[version]
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 4 })
const app = Fastify({ logger: { level: 'warn' } })

await app.register(zeroDowntime, { shutdownDelay: Number(process.env.SHUTDOWN_DELAY ?? 1500), drainTimeout: 5000 })
app.health
  .check('db', checks.postgres(pool), { close: true })
  .check('schema', checks.schema(pool, { history: { table: 'schema_migrations' }, requires: release.requires, compatibility: Number(version.slice(1)) }))

app.addHook('onSend', async (_request, reply) => { reply.header('x-version', version) })
app.get('/', async () => {
  const { rows } = await pool.query(`SELECT ${release.read} AS name FROM users ORDER BY id LIMIT 1`)
  return { version, first: rows[0]?.name ?? null }
})
app.get('/slow', async (request) => {
  await new Promise((resolve) => setTimeout(resolve, Math.min(Number(request.query.ms ?? 200), 5000)))
  return { version }
})
app.post('/echo', async (request) => {
  const { id, payload } = request.body
  const columns = ['id', ...release.write]
  await pool.query(`INSERT INTO users (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`, [id, ...release.write.map(() => payload)])
  process.stdout.write(JSON.stringify({ posted: id }) + '\n') // "stored": the harness counts these
  return request.body
})

await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' })
