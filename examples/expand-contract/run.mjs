// npm run example:expand-contract
// Renames users.name to users.full_name over three releases, each rolled with the rolling-deploy
// harness (3 instances behind the balancer, under load) while old and new versions serve:
//   r1 expand (add full_name, write both), r2 backfill in batches and switch reads, r3 stop using
//   name, then the contract migration (drop name, raise the compatibility floor to 3).
// DATABASE_URL points it at a PostgreSQL server; without it an embedded PGlite is served on a
// local port (no server to install).
import pg from 'pg'
import { migrate } from './migrate.mjs'
import { rollingDeploy } from '../../demo/harness.mjs'

export async function expandContract ({ databaseUrl, onProgress = () => {}, mode = 'tcp' } = {}) {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 })
  try {
    await migrate(pool, '000_init')
    await pool.query("INSERT INTO users (id, name) SELECT 'seed-' || i, 'user ' || i FROM generate_series(1, 2000) AS i ON CONFLICT DO NOTHING")
    const result = await rollingDeploy({
      appPath: new URL('./app.mjs', import.meta.url).pathname,
      env: { DATABASE_URL: databaseUrl },
      initialVersion: 'r0',
      mode,
      releases: [
        { version: 'r1', before: async () => await migrate(pool, '001_expand') },
        { version: 'r2', before: async () => await migrate(pool, '002_backfill') },
        { version: 'r3', after: async () => await migrate(pool, '003_contract') }
      ],
      onProgress
    })
    const { rows: [{ missing }] } = await pool.query('SELECT count(*)::int AS missing FROM users WHERE full_name IS NULL')
    const { rows: columns } = await pool.query("SELECT column_name FROM information_schema.columns WHERE table_name = 'users' AND table_schema = current_schema() ORDER BY ordinal_position")
    return { ...result, rowsWithoutFullName: missing, columns: columns.map((c) => c.column_name) }
  } finally {
    await pool.end()
  }
}

async function embeddedPostgres () {
  const { PGlite } = await import('@electric-sql/pglite')
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket')
  const db = await PGlite.create()
  const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1', maxConnections: 32 })
  await server.start()
  const { port } = server.server.address()
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, stop: async () => { await server.stop(); await db.close() } }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const embedded = process.env.DATABASE_URL === undefined ? await embeddedPostgres() : undefined
  process.stderr.write(embedded === undefined ? 'PostgreSQL at DATABASE_URL\n' : `embedded PGlite at ${embedded.url} (set DATABASE_URL for a real server)\n`)
  try {
    const result = await expandContract({ databaseUrl: process.env.DATABASE_URL ?? embedded.url, onProgress: (line) => process.stderr.write(`  ${line}\n`) })
    process.stdout.write(JSON.stringify({ requests: result.requests, failed: result.failed, byReason: result.byReason, byVersion: result.byVersion, postsLost: result.postsLost, postsDuplicated: result.postsDuplicated, rowsWithoutFullName: result.rowsWithoutFullName, columns: result.columns }, null, 2) + '\n')
    process.exitCode = result.failed === 0 && result.postsLost === 0 ? 0 : 1
  } finally {
    await embedded?.stop()
  }
}
