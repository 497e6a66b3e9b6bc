import t from 'tap'
import pg from 'pg'
import postgresJs from 'postgres'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { runner as migrate } from 'node-pg-migrate'
import { Umzug } from 'umzug'
import { checks } from '../lib/index'
import { runCheck, type CheckFunction } from '../lib/run-check'
import { build, get } from './lib/helpers'
import { service } from './lib/services'

const run = async (check: CheckFunction) => await runCheck(check, 5000, new AbortController().signal).outcome

/** A fresh PostgreSQL schema per test, as the search path of a pool. */
async function isolated (t: Parameters<typeof service>[0] & { teardown: (fn: () => unknown) => void }): Promise<{ url: URL, schemaName: string, pool: pg.Pool } | undefined> {
  const url = await service(t, 'postgres')
  if (url === undefined) return undefined
  const schemaName = `zd_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: url.href })
  await admin.connect()
  await admin.query(`CREATE SCHEMA ${schemaName}`)
  await admin.end()
  const pool = new pg.Pool({ connectionString: url.href, options: `-c search_path=${schemaName}`, max: 2 })
  t.teardown(async () => {
    await pool.query(`DROP SCHEMA ${schemaName} CASCADE`)
    await pool.end()
  })
  return { url, schemaName, pool }
}

t.test('node-pg-migrate: behind until the build\'s migration is applied; too new once a contract raises the floor', async (t) => {
  const db = await isolated(t)
  if (db === undefined) return
  const dir = mkdtempSync(join(tmpdir(), 'zd-migrations-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, '1000_floor-table.js'), `exports.up = (pgm) => { pgm.sql(${JSON.stringify(checks.floorTableSql())}) }\n`)
  writeFileSync(join(dir, '2000_add-email.js'), 'exports.up = (pgm) => { pgm.createTable(\'users\', { id: \'id\', email: \'text\' }) }\n')
  const up = async (count: number): Promise<void> => {
    await migrate({ databaseUrl: db.url.href, dir, direction: 'up', count, migrationsTable: 'pgmigrations', schema: db.schemaName, log: () => {}, checkOrder: true })
  }
  const v1 = checks.schema(db.pool, { history: 'node-pg-migrate', requires: '2000_add-email', compatibility: 1 })

  t.match(await run(v1), { status: 'fail', output: /^schema_check_error: .*relation "pgmigrations" does not exist/ }, 'nothing migrated: an error, reported as such')
  await up(1)
  t.match(await run(v1), { status: 'fail', output: 'schema_behind: migration "2000_add-email" is not applied yet' })
  await up(1)
  t.match(await run(v1), { status: 'pass', observedValue: 0, observedUnit: 'compatibility floor' })

  // A contract migration, shipped with build v2: drop what v1 used, raise the floor to 2.
  writeFileSync(join(dir, '3000_contract.js'), `exports.up = (pgm) => { pgm.sql(${JSON.stringify(checks.raiseFloorSql(2))}) }\n`)
  await up(1)
  t.match(await run(v1), { status: 'fail', observedValue: 2, output: 'schema_too_new: the compatibility floor is 2, above this build\'s 1' })
  const v2 = checks.schema(db.pool, { history: 'node-pg-migrate', requires: '3000_contract', compatibility: 2 })
  t.match(await run(v2), { status: 'pass', observedValue: 2 })
})

t.test('umzug (SequelizeMeta layout) and a plain table; postgres.js and a bare pg Client', async (t) => {
  const db = await isolated(t)
  if (db === undefined) return
  await db.pool.query(checks.floorTableSql('compat'))
  await db.pool.query('CREATE TABLE "SequelizeMeta" (name text PRIMARY KEY)')
  // umzug itself runs the migrations; its storage writes the table layout SequelizeStorage uses.
  const umzug = new Umzug({
    migrations: [
      { name: '01-users.sql', up: async () => { await db.pool.query('CREATE TABLE users (id serial)') } },
      { name: '02-email.sql', up: async () => { await db.pool.query('ALTER TABLE users ADD COLUMN email text') } }
    ],
    storage: {
      logMigration: async ({ name }) => { await db.pool.query('INSERT INTO "SequelizeMeta" (name) VALUES ($1)', [name]) },
      unlogMigration: async ({ name }) => { await db.pool.query('DELETE FROM "SequelizeMeta" WHERE name = $1', [name]) },
      executed: async () => (await db.pool.query('SELECT name FROM "SequelizeMeta"')).rows.map((r) => r.name)
    },
    logger: undefined
  })
  const check = checks.schema(db.pool, { history: 'umzug', requires: '02-email.sql', compatibility: 1, floorTable: 'compat' })
  await umzug.up({ to: '01-users.sql' })
  t.match(await run(check), { status: 'fail', output: /^schema_behind/ })
  await umzug.up()
  t.match(await run(check), { status: 'pass' })

  await db.pool.query('CREATE TABLE applied (version text)')
  await db.pool.query('INSERT INTO applied VALUES ($1)', ['v7'])
  const sql = postgresJs(db.url.href, { connection: { search_path: db.schemaName }, max: 1, onnotice: () => {} })
  t.teardown(() => sql.end({ timeout: 1 }))
  t.match(await run(checks.schema(sql, { history: { table: 'applied', column: 'version' }, requires: 'v7', compatibility: 0, floorTable: `${db.schemaName}.compat` })), { status: 'pass' })
  const client = new pg.Client({ connectionString: db.url.href, options: `-c search_path=${db.schemaName}` })
  await client.connect()
  t.teardown(() => client.end())
  t.match(await run(checks.schema(client, { history: { table: 'applied' }, requires: 'v8', compatibility: 0, floorTable: 'compat' })), { status: 'fail', output: /^schema_check_error: .*column "name" does not exist/ })
})

t.test('in the app: readiness only, never liveness; the reason shows only with details', async (t) => {
  const db = await isolated(t)
  if (db === undefined) return
  await db.pool.query(checks.floorTableSql())
  await db.pool.query('CREATE TABLE pgmigrations (name text)')
  const options = { history: 'node-pg-migrate' as const, requires: '2000_add-email', compatibility: 1 }
  const app = await build(t, { details: 'always' })
  t.throws(() => app.health.check('schema', checks.schema(db.pool, options), { groups: ['readiness', 'liveness'] }), { code: 'FST_ZD_INVALID_ARGUMENT', message: /no "liveness" for a schema check/ })
  app.health.check('schema', checks.schema(db.pool, options))
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.equal((await get(app, '/livez')).status, 200)
  t.match((await get(app, '/readyz/schema?verbose')).body, '[-]schema failed: schema_behind: migration "2000_add-email" is not applied yet')
})

t.test('bad options and SQL helpers', async (t) => {
  const pool = new pg.Pool()
  t.teardown(() => pool.end())
  const ok = { history: 'node-pg-migrate' as const, requires: 'x', compatibility: 1 }
  t.throws(() => checks.schema(pool, { ...ok, history: 'flyway' as never }), { code: 'FST_ZD_INVALID_ARGUMENT', message: /option history: got "flyway", expected "node-pg-migrate", "umzug", or \{ table, column \}/ })
  t.throws(() => checks.schema(pool, { ...ok, requires: '' }), { message: /option requires: got ""/ })
  t.throws(() => checks.schema(pool, { ...ok, compatibility: 1.5 }), { message: /option compatibility: got 1.5/ })
  t.throws(() => checks.schema(pool, { ...ok, history: { table: 'x; DROP TABLE users' } }), { message: /option history.table: got "x; DROP TABLE users", expected a table or column name/ })
  t.throws(() => checks.schema(pool, undefined as never), { message: /checks\.schema\(\): got undefined, expected an options object \{ history, requires, compatibility, floorTable \}/ })
  t.throws(() => checks.schema({}, ok), { code: 'FST_ZD_INVALID_CLIENT', message: /checks.schema\(\) needs a pg Pool or Client/ })
  t.equal(checks.floorTableSql(), 'CREATE TABLE IF NOT EXISTS "zero_downtime_compatibility" (floor integer NOT NULL, raised_at timestamptz NOT NULL DEFAULT now());')
  t.equal(checks.raiseFloorSql(3, 'app.compat'), 'INSERT INTO "app"."compat" (floor) VALUES (3);')
  t.throws(() => checks.raiseFloorSql(-1), { message: /raiseFloorSql\(\): got -1/ })
})
