import t, { type Test } from 'tap'
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from 'pg'
import { cli } from './lib/cli'
import { traceMigrations, traceText, type TraceDatabase, type TraceReport } from '../lib/trace'
import { looksScratch } from '../lib/trace/database'
import { MODES } from '../lib/trace/statements'
import { admin, pgliteSession, scratchDatabase } from './lib/postgres'

// Trace mode on the machine's PostgreSQL (15 in CI) and on PGlite (PostgreSQL 17 in WebAssembly).

function migrations (t: Test, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'zd-trace-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return dir
}

/** The tables in the database's public schema: what a trace must not leave behind. */
async function tablesIn (url: URL): Promise<string[]> {
  const client = new Client({ connectionString: url.href })
  await client.connect()
  try {
    return (await client.query("SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1")).rows.map((r) => r.relname)
  } finally {
    await client.end()
  }
}

// The production schema, committed in the scratch database before the trace (restored from a dump,
// or built by the migrations before the release).
const PRODUCTION = "CREATE TABLE users (id int PRIMARY KEY, email text); CREATE INDEX users_email ON users (email); INSERT INTO users VALUES (1, 'a@example.com')"

const RELEASE = {
  // Applied already: run again it would fail (users exists), so a trace that ran it would say so.
  '001_users.sql': 'CREATE TABLE users (id int PRIMARY KEY, email text);\n',
  '002_release.sql': [
    '-- the release under trace',
    'ALTER TABLE users ADD COLUMN name text;',
    'ALTER TABLE users ALTER COLUMN id TYPE bigint;',
    'CREATE INDEX CONCURRENTLY users_name ON users (name);',
    "COMMENT ON INDEX users_name IS 'needs the stand-in';",
    'DROP INDEX CONCURRENTLY users_email;',
    'CREATE TABLE audit (id int);',
    'VACUUM users;',
    'COMMIT;',
    ''
  ].join('\n'),
  // The release's second file: traced after 002 replayed (audit exists), each in its own transaction.
  '003_follow_up.sql': 'CREATE INDEX audit_id ON audit (id);\nALTER TABLE users ADD COLUMN nickname text;\nSELECT count(*) FROM users;\n'
}

/** What the release's trace must show, on any PostgreSQL from 12 on. */
function assertRelease (t: Test, report: TraceReport): void {
  t.same(report.files.map((f) => f.file.split('/').pop()), ['002_release.sql', '003_follow_up.sql'], 'files before --since are not run: the database holds them')
  const [addColumn, alterType, createConcurrently, comment, dropConcurrently, createTable, vacuum, commit] = report.files[0].statements
  t.match(addColumn, { line: 2, column: 1, statement: 'ALTER TABLE users ADD COLUMN name text', rewritten: [] })
  t.same(addColumn.took, [{ relation: 'users', mode: 'ACCESS EXCLUSIVE', created: false }], 'ADD COLUMN: ACCESS EXCLUSIVE on users, no rewrite')
  t.ok(typeof addColumn.milliseconds === 'number' && addColumn.milliseconds >= 0, 'its duration')
  t.same(alterType.rewritten, ['users', 'users_email', 'users_pkey'], 'int -> bigint rewrites the table and its indexes (the one on id rebuilt under a new oid)')
  t.match(createConcurrently, { notRun: /^CREATE INDEX CONCURRENTLY cannot run inside a transaction/, standIn: 'CREATE INDEX users_name ON users (name)', took: [] })
  t.notOk(comment.notRun, 'the statement after it finds the index its stand-in made')
  t.same(comment.took, [{ relation: 'users_name', mode: 'SHARE UPDATE EXCLUSIVE', created: true }], 'and is not charged with the stand-in\'s locks')
  t.match(dropConcurrently, { notRun: /^DROP INDEX CONCURRENTLY/, standIn: 'DROP INDEX users_email' })
  t.same(createTable.took.filter((l) => l.relation === 'audit'), [{ relation: 'audit', mode: 'ACCESS EXCLUSIVE', created: true }], 'a table the migration makes is marked new')
  t.match(vacuum, { notRun: /^VACUUM cannot run inside a transaction/, standIn: undefined })
  t.match(commit, { notRun: /^transaction control/ })
  t.ok(createTable.held.some((l) => l.relation === 'users' && l.mode === 'ACCESS EXCLUSIVE'), 'what is held until the end of the transaction')
  const [indexAudit, addNickname, count] = report.files[1].statements
  t.same(indexAudit.took, [{ relation: 'audit', mode: 'SHARE', created: true }, { relation: 'audit_id', mode: 'ACCESS EXCLUSIVE', created: true }], 'a table an earlier file of the release made is new')
  t.same(addNickname.took, [], 'what the replayed file locked is a baseline: ACCESS EXCLUSIVE on users is held already')
  t.ok(addNickname.held.some((l) => l.relation === 'users' && l.mode === 'ACCESS EXCLUSIVE'))
  t.same(count.took.map((l) => l.relation), ['users', 'users_name', 'users_pkey'], 'a read locks the table and, to plan, its indexes')
  t.same(new Set(count.took.map((l) => l.mode)), new Set(['ACCESS SHARE']), 'ACCESS SHARE only')
}

t.test('PostgreSQL: each statement\'s locks, rewrites and time, stand-ins for what cannot run in a transaction, all rolled back', async (t) => {
  const url = await scratchDatabase(t)
  if (url === undefined) return
  await admin([PRODUCTION], url.pathname.slice(1))
  const production = await tablesIn(url)
  const dir = migrations(t, RELEASE)
  assertRelease(t, await traceMigrations(url.href, [dir], { since: '002_release.sql' }))
  t.same(await tablesIn(url), production, 'nothing left behind: every file was rolled back')

  const text = await cli('lint-migrations', dir, '--since', '002_release.sql', '--trace', url.href)
  t.equal(text.code, 1, 'the exit code is the lint\'s (findings)')
  t.match(text.out, /trace of .*002_release\.sql on zd_trace_\w+ \(rolled back\):/)
  t.match(text.out, /\n {2}2:1 ALTER TABLE users ADD COLUMN name text\n {6}\d+\.\d ms; took ACCESS EXCLUSIVE on users\n/)
  t.match(text.out, /rewrote users/)
  t.match(text.out, /not run: CREATE INDEX CONCURRENTLY .*; ran in its place, untraced: CREATE INDEX users_name ON users \(name\)$/m)
  t.match(text.out, /ACCESS EXCLUSIVE on audit \(new\)/)
  t.match(text.out, /held until the file's transaction ends: .*ACCESS EXCLUSIVE on users/)
  const json = await cli('lint-migrations', dir, '--since', '002_release.sql', '--trace', url.href, '--format', 'json')
  const parsed = JSON.parse(json.out) as { findings: Array<{ rule: string }>, trace: TraceReport }
  t.ok(parsed.findings.length > 0, 'json: the findings')
  assertRelease(t, parsed.trace)
  t.same(await tablesIn(url), production)
})

t.test('PostgreSQL: every lock mode is reported as taken, by the name the documentation gives it (generated: one LOCK TABLE per mode)', async (t) => {
  const url = await scratchDatabase(t)
  if (url === undefined) return
  await admin(['CREATE TABLE t (id int)'], url.pathname.slice(1))
  for (const mode of MODES) {
    const report = await traceMigrations(url.href, [migrations(t, { 'lock.sql': `LOCK TABLE t IN ${mode} MODE;` })])
    t.same(report.files[0].statements[0].took, [{ relation: 't', mode, created: false }], mode)
  }
})

t.test('PGlite (PostgreSQL 17): the same trace', async (t) => {
  const db = await pgliteSession(t)
  for (const statement of PRODUCTION.split('; ')) await db.query(statement)
  const report = await traceMigrations(db, [migrations(t, RELEASE)], { since: '002_release.sql', allowAnyDatabase: true })
  assertRelease(t, report)
  t.same((await db.query("SELECT count(*)::int AS n FROM pg_class WHERE relname IN ('audit', 'users_name')"))[0].n, 0, 'rolled back')
  t.ok(traceText(report).length > 0)
})

t.test('a database that looks like production is refused, and how it is decided', async (t) => {
  t.ok(looksScratch('app_test') && looksScratch('scratch') && looksScratch('ci-42') && looksScratch('shadow_db') && looksScratch('zd_trace_1'))
  t.notOk(looksScratch('app') || looksScratch('production') || looksScratch('contest') || looksScratch('latest'), 'the words alone, not inside others')
  const url = await scratchDatabase(t, `zd_orders_${process.pid}`)
  if (url === undefined) return
  const dir = migrations(t, { '1.sql': 'CREATE TABLE t (id int);' })
  const refused = await cli('lint-migrations', dir, '--trace', url.href)
  t.equal(refused.code, 2)
  t.match(refused.err, /^error FST_ZD_CLI_NOT_SCRATCH: database zd_orders_\d+ does not look like a scratch database: expected a name with one of scratch, test, .* in it, or --allow-any-database/)
  t.equal((await cli('lint-migrations', dir, '--trace', url.href, '--allow-any-database')).code, 0, '--allow-any-database')

  const other = new Client({ connectionString: url.href })
  await other.connect()
  t.teardown(async () => await other.end())
  const busy = await cli('lint-migrations', dir, '--trace', url.href, '--allow-any-database')
  t.equal(busy.code, 0, 'other sessions are allowed with --allow-any-database')
  const scratch = await scratchDatabase(t)
  if (scratch === undefined) return
  const second = new Client({ connectionString: scratch.href })
  await second.connect()
  t.teardown(async () => await second.end())
  const crowded = await cli('lint-migrations', dir, '--trace', scratch.href)
  t.equal(crowded.code, 2)
  t.match(crowded.err, /FST_ZD_CLI_NOT_SCRATCH: database zd_trace_\w+ has 1 other client session\(s\) connected: a scratch database has none/)

  // No standby here: a session that answers as one (the only stand-in for a server in this file).
  const standby: TraceDatabase = { query: async () => [{ name: 'replica_test', standby: true, others: 0 }], close: async () => {} }
  await t.rejects(traceMigrations(standby, [dir], { allowAnyDatabase: true }), { code: 'FST_ZD_CLI_NOT_SCRATCH', message: 'database replica_test is a standby: trace mode needs a writable scratch database' })
  t.match((await cli('lint-migrations', dir, '--allow-any-database')).err, /FST_ZD_CLI_USAGE: --allow-any-database is for --trace/)
})

t.test('bad input: an unreachable database, a role without catalog access, a migration that fails halfway, a lost connection: coded, exit 2, nothing left behind', async (t) => {
  const dir = migrations(t, { '1.sql': 'CREATE TABLE t (id int);' })
  // Where node-postgres is not installed (an optional peer dependency): a module that throws when read stands in for it.
  const { connect: withoutPg } = t.mockRequire('../lib/database', { pg: new Proxy({}, { get: () => { throw new Error("Cannot find module 'pg'\nRequire stack: ...") } }) }) as typeof import('../lib/database')
  await t.rejects(withoutPg('postgres://127.0.0.1/app_test', 'trace mode'), { code: 'FST_ZD_CLI_DATABASE', message: "trace mode needs node-postgres, an optional peer dependency (Cannot find module 'pg'): expected it installed beside the CLI (npm install --save-dev pg)" })
  const unreachable = await cli('lint-migrations', dir, '--trace', 'postgres://app:s3cret-pw@127.0.0.1:1/app_test')
  t.equal(unreachable.code, 2)
  t.match(unreachable.err, /^error FST_ZD_CLI_DATABASE: cannot connect to postgres:\/\/\[REDACTED\]@127\.0\.0\.1:1\/app_test: .*: expected the URL of a reachable PostgreSQL database/)
  t.notMatch(unreachable.err, /s3cret/, 'the password is not shown')

  const url = await scratchDatabase(t)
  if (url === undefined) return
  const role = `zd_nocatalog_${process.pid}`
  await admin([`CREATE ROLE ${role} LOGIN`])
  t.teardown(async () => await admin([`DROP ROLE ${role}`]))
  await admin(['REVOKE SELECT ON pg_catalog.pg_class FROM PUBLIC'], url.pathname.slice(1))
  const asRole = new URL(url.href)
  asRole.username = role
  const noCatalog = await cli('lint-migrations', dir, '--trace', asRole.href)
  t.equal(noCatalog.code, 2)
  t.match(noCatalog.err, /^error FST_ZD_CLI_DATABASE: cannot read the catalog \(permission denied for table pg_class\): expected a role that can read pg_class, pg_locks and pg_stat_activity/)

  const halfway = migrations(t, { '1.sql': 'CREATE TABLE kept (id int);\nINSERT INTO kept VALUES (1);\nSELECT 1 / 0;\nCREATE TABLE never (id int);\n' })
  const failed = await cli('lint-migrations', halfway, '--trace', url.href)
  t.equal(failed.code, 2)
  t.match(failed.err, /^error FST_ZD_CLI_TRACE_FAILED: .*1\.sql:3:1: the statement failed in trace mode, and everything was rolled back: division by zero/)
  t.same(await tablesIn(url), [], 'nothing left behind')

  // A sequence is not rolled back: 1.sql passes when traced (1 / 1), fails when replayed (1 / 0).
  await admin(['CREATE SEQUENCE once'], url.pathname.slice(1))
  const replayed = migrations(t, { '1.sql': "SELECT 1 / (2 - nextval('once'));", '2.sql': 'CREATE TABLE t (id int);' })
  t.match((await cli('lint-migrations', replayed, '--trace', url.href)).err, /FST_ZD_CLI_TRACE_FAILED: .*1\.sql:1:1 \(replayed before .*2\.sql\): the statement failed in trace mode, and everything was rolled back: division by zero/)

  const lost = migrations(t, { '1.sql': 'CREATE TABLE t (id int);\nSELECT pg_terminate_backend(pg_backend_pid());\n' })
  const cut = await cli('lint-migrations', lost, '--trace', url.href)
  t.equal(cut.code, 2)
  t.match(cut.err, /^error FST_ZD_CLI_DATABASE: could not roll back the trace of .*1\.sql \(.*\): the connection was lost, so nothing was committed/)
  t.same(await tablesIn(url), [], 'nothing committed')
})
