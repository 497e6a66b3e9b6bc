import t from 'tap'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { checks } from '../lib/index'
import { runCheck } from '../lib/run-check'
import { service } from './lib/services'

// The worked example of docs/migrations.md: the rename over three releases, each rolled under load
// with the rolling-deploy harness against the real PostgreSQL.
t.setTimeout(300000)

t.test('rename users.name to full_name over three releases under load: zero failed requests', async (t) => {
  const url = await service(t, 'postgres')
  if (url === undefined) return
  if (spawnSync('haproxy', ['-v'], { stdio: 'ignore' }).status !== 0 && process.env.ZD_REQUIRE_SERVICES !== undefined) t.fail('haproxy is not installed')
  const schemaName = `zd_ec_${randomBytes(4).toString('hex')}`
  const admin = new pg.Pool({ connectionString: url.href, max: 1 })
  await admin.query(`CREATE SCHEMA ${schemaName}`)
  t.teardown(async () => { await admin.query(`DROP SCHEMA ${schemaName} CASCADE`); await admin.end() })
  const databaseUrl = `${url.href}?options=${encodeURIComponent(`-c search_path=${schemaName}`)}`

  const { expandContract } = await import('../examples/expand-contract/run.mjs')
  const result = await expandContract({ databaseUrl, onProgress: (line: string) => t.comment(line) })
  t.comment(JSON.stringify({ requests: result.requests, byVersion: result.byVersion, byReason: result.byReason }))
  t.ok(result.requests > 1000)
  t.equal(result.failed, 0, `failures: ${JSON.stringify(result.byReason)}`)
  t.equal(result.postsLost, 0)
  t.equal(result.postsDuplicated, 0)
  t.ok(['r0', 'r1', 'r2', 'r3'].every((v) => result.byVersion[v] > 0), 'every release served traffic')
  t.equal(result.rowsWithoutFullName, 0, 'every row has its full_name')
  t.same(result.columns, ['id', 'full_name'], 'name was dropped by the contract migration')

  // A build older than the contract, started by mistake, is not ready.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 })
  t.teardown(() => pool.end())
  const old = checks.schema(pool, { history: { table: 'schema_migrations' }, requires: '002_backfill', compatibility: 2 })
  t.match(await runCheck(old, 5000, new AbortController().signal).outcome, { status: 'fail', output: /^schema_too_new: the compatibility floor is 3/ })
})
