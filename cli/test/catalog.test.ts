import t, { type Test } from 'tap'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Client } from 'pg'
import { cli } from './lib/cli'
import { admin, dump, pgliteSession, scratchDatabase, tempDir } from './lib/postgres'
import { connect } from '../lib/database'
import { lintFiles, type Finding } from '../lib/lint'
import { readLiveSchema, readSchema, type LiveSchema } from '../lib/lint/catalog'
import { traceMigrations } from '../lib/trace'

// --database-url: the live schema and table sizes, read from a real PostgreSQL; the labelled
// migrations of others that only the schema (or the sizes) shows to be safe.

const corpus = join(__dirname, 'fixtures', 'migrations', 'labelled-with-schema')

/** A scratch database built from schema.sql; undefined (skipped, naming PostgreSQL) without a server. */
async function schemaDatabase (t: Test, sql = readFileSync(join(corpus, 'schema.sql'), 'utf8')): Promise<URL | undefined> {
  const url = await scratchDatabase(t)
  if (url !== undefined) await admin([sql], url.pathname.slice(1))
  return url
}

const failing = (findings: Finding[]): string[] => findings.filter((f) => f.impact === undefined && f.rule !== 'lock-timeout').map((f) => f.rule)
const needs = (file: string): string => /^-- needs: (\w+)/m.exec(readFileSync(file, 'utf8'))?.[1] ?? 'nothing'

t.test('labelled migrations of others: only the schema or the sizes show some safe; with them, no safe one fails and every unsafe one is caught', async (t) => {
  const url = await schemaDatabase(t)
  if (url === undefined) return
  const schema = dump(t, url, tempDir(t), '--schema-only')
  if (schema === undefined) return
  const database = await readLiveSchema(url.href)
  const counts = { safe: 0, unsafe: 0, alone: 0, withSchema: 0, withDatabase: 0, caught: 0, caughtAlone: 0 }
  for (const kind of ['safe', 'unsafe']) {
    for (const name of readdirSync(join(corpus, kind))) {
      const file = join(corpus, kind, name)
      const alone = failing(await lintFiles([file]))
      const withSchema = failing(await lintFiles([file], { schema }))
      const withDatabase = failing(await lintFiles([file], { database }))
      if (kind === 'unsafe') {
        counts.unsafe++
        t.ok(withSchema.length > 0 && withDatabase.length > 0, `unsafe/${name} caught with --schema and with --database-url`)
        if (withDatabase.length > 0) counts.caught++
        if (alone.length > 0) counts.caughtAlone++
        continue
      }
      counts.safe++
      // What the file alone cannot know: the reason this corpus exists.
      t.ok(alone.length > 0, `safe/${name}: flagged alone (${alone.join(', ')})`)
      if (alone.length > 0) counts.alone++
      if (needs(file) === 'schema') {
        t.same(withSchema, [], `safe/${name}: passes with --schema`)
        if (withSchema.length > 0) counts.withSchema++
      }
      t.same(withDatabase, [], `safe/${name}: passes with --database-url`)
      if (withDatabase.length > 0) counts.withDatabase++
    }
  }
  t.ok(counts.safe >= 20 && counts.unsafe >= 10, `${counts.safe} safe and ${counts.unsafe} unsafe migrations`)
  t.comment(`alone ${counts.alone}/${counts.safe} safe flagged; with --schema ${counts.withSchema}, with --database-url ${counts.withDatabase} false positives; recall ${counts.caught}/${counts.unsafe} (alone ${counts.caughtAlone})`)
  t.ok(counts.withDatabase / counts.safe <= 0.02, 'false positives with the schema: 2% or fewer')
})

/** Each labelled migration linted with the schema read: no safe one fails, every unsafe one does. */
async function lintCorpusWith (t: Test, database: LiveSchema): Promise<void> {
  for (const kind of ['safe', 'unsafe']) {
    for (const name of readdirSync(join(corpus, kind))) {
      const rules = failing(await lintFiles([join(corpus, kind, name)], { database }))
      if (kind === 'safe') t.same(rules, [], `safe/${name} passes`)
      else t.ok(rules.length > 0, `unsafe/${name} caught`)
    }
  }
}

t.test('PGlite 17: the catalog read the same way, the same verdicts', async (t) => {
  const db = await pgliteSession(t)
  await db.exec(readFileSync(join(corpus, 'schema.sql'), 'utf8'))
  const database = await readSchema(db)
  t.match(database, { database: 'postgres', pgVersion: 17 })
  t.match(database.sizes.get('events'), { rows: 30000, basis: 'statistics' })
  await lintCorpusWith(t, database)
})

// Every type change from one column type to another, generated: the verdict with the live schema
// against what PostgreSQL does (trace mode: whether the table's relfilenode changed).
const TYPES = ['varchar(10)', 'varchar(20)', 'varchar', 'text', 'numeric(8,2)', 'numeric(10,2)', 'numeric(10,3)', 'numeric', 'timestamp(0)', 'timestamp(3)',
  'timestamptz(0)', 'timestamptz', 'time(0)', 'time(3)', 'timetz(0)', 'timetz(3)', 'interval', 'varbit(5)', 'varbit(10)', 'varbit', 'bit(5)', 'cidr', 'inet', 'smallint', 'int', 'bigint',
  'char(2)', 'char(4)', 'varchar(10)[]', 'varchar(20)[]', 'varchar[]', 'text[]', 'int[]', 'bigint[]', 'numeric(8,2)[]', 'numeric[]', 'json', 'jsonb']
const CASTS: Record<string, string[]> = { text: ['varchar', 'char', 'json'], varchar: ['text', 'char'], numeric: ['int'], timestamp: ['time'], int: ['numeric'], cidr: ['inet'], inet: ['cidr'], char: ['varchar', 'text'], bit: ['varbit'], varbit: ['bit'], time: ['interval'], json: ['jsonb'], jsonb: ['json'] }
/** int, bigint and smallint are one family; so are timestamp and timestamptz, time and timetz. */
const family = (type: string): string => type.replace(/\(.*?\)/, '').replace('[]', '').replace(/^(bigint|smallint)$/, 'int').replace(/^timestamptz$/, 'timestamp').replace(/^timetz$/, 'time')
const convertible = (from: string, to: string): boolean => from.endsWith('[]') === to.endsWith('[]') && (family(from) === family(to) || (CASTS[family(from)] ?? []).some((target) => family(target) === family(to)))

t.test('generated type changes: with the live schema, a change PostgreSQL makes without a rewrite passes, and every one that rewrites is flagged', async (t) => {
  const columns = TYPES.map((type, i) => `c${i} ${type}`)
  const url = await schemaDatabase(t, `CREATE TABLE typed (${columns.join(', ')}); INSERT INTO typed DEFAULT VALUES`)
  if (url === undefined) return
  const database = await readLiveSchema(url.href)
  const dir = tempDir(t)
  const pairs: Array<{ file: string, change: string }> = []
  TYPES.forEach((from, i) => {
    for (const to of TYPES) {
      if (to === from || !convertible(from, to)) continue
      // Plain, and with USING a cast of the column to the new type, as Knex's .alter() writes it.
      for (const using of ['', ` USING ("c${i}"::${to})`]) {
        const file = join(dir, `${String(pairs.length).padStart(3, '0')}.sql`)
        writeFileSync(file, `ALTER TABLE typed ALTER COLUMN c${i} TYPE ${to}${using};\n`)
        pairs.push({ file, change: `${from} -> ${to}${using === '' ? '' : ' using a cast'}` })
      }
    }
  })
  // Each change on its own, on the table as created: one session, each file traced and rolled back.
  const session = await connect(url.href, 'trace mode')
  t.teardown(async () => await session.close())
  const conservative: string[] = []
  let refused = 0
  for (const { file, change } of pairs) {
    // A change PostgreSQL refuses (text to json without USING, timestamp to timetz) needs no verdict.
    const traced = await traceMigrations(session, [file]).catch((error: Error & { code: string }) => { if (error.code !== 'FST_ZD_CLI_TRACE_FAILED' || !/cannot be cast automatically|cannot cast type/.test(error.message)) throw error })
    if (traced === undefined) { refused++; continue }
    const [trace] = traced.files
    const rewrote = trace.statements[0].rewritten.includes('typed')
    const flagged = (await lintFiles([file], { database, assumeLockTimeout: true })).some((f) => f.rule === 'change-column-type')
    if (rewrote) t.ok(flagged, `${change}: PostgreSQL rewrites the table, the linter flags it`)
    else if (flagged) conservative.push(change)
  }
  t.comment(`flagged without a rewrite: ${conservative.join(', ') || 'none'}`)
  // Flagged without a rewrite: PostgreSQL skips it only when the session's time zone is UTC.
  t.same(conservative.filter((change) => !/^timestamp\(\d\) -> timestamptz/.test(change)), [], 'only time zone dependent changes are flagged without a rewrite')
  t.ok(pairs.length - refused > 250, `${pairs.length - refused} type changes (${refused} refused by PostgreSQL)`)
})

t.test('sizes: a scan, rewrite or index build on a small table is of low impact, reported and not failing', async (t) => {
  const url = await schemaDatabase(t)
  if (url === undefined) return
  await admin(["ALTER TABLE measurements ATTACH PARTITION measurements_y2027 FOR VALUES FROM ('2027-01-01') TO ('2028-01-01')"], url.pathname.slice(1))
  const dir = tempDir(t)
  const migration = join(dir, '1.sql')
  writeFileSync(migration, [
    "SET lock_timeout = '2s';",
    'CREATE INDEX ON settings (key);',
    'CREATE INDEX ON countries (name);',
    'REINDEX INDEX settings_value_idx;',
    'CREATE INDEX ON measurements (city_id);',
    'ALTER TABLE users ALTER COLUMN status DROP DEFAULT;',
    ''
  ].join('\n'))
  const json = await cli('lint-migrations', '--database-url', url.href, '--format', 'json', migration)
  const findings = JSON.parse(json.out) as Finding[]
  t.match(findings, [
    { line: 2, rule: 'index-not-concurrently', table: 'settings', impact: { table: 'settings', rows: 291, basis: 'pages', threshold: 10000 } },
    { line: 3, rule: 'index-not-concurrently', table: 'countries', impact: { rows: 250, basis: 'statistics' } },
    { line: 4, rule: 'reindex-not-concurrently', table: 'settings', impact: { table: 'settings' } },
    { line: 5, rule: 'index-not-concurrently', table: 'measurements', impact: undefined },
    { line: 6, rule: 'drop-default', impact: undefined }
  ], 'the partitioned table holds its partitions\' 20,000 rows; dropping a default breaks old writers whatever the size')
  t.ok(findings[0].impact!.bytes > 0 && findings[0].impact!.bytes < 65536, 'the size on disk')
  t.equal(json.code, 1)
  const text = await cli('lint-migrations', '--database-url', url.href, migration)
  t.match(text.out, /^schema read from database zd_trace_\w+ \(PostgreSQL \d+, 10 tables\)\n/)
  t.match(text.out, /1\.sql:2:1 index-not-concurrently .*; low impact: settings has at most 291 rows \(not analyzed yet: counted from its pages\), \d+ kB, under --small-table-rows 10000\n/)
  t.match(text.out, /1\.sql:3:1 index-not-concurrently .*; low impact: countries has about 250 rows, \d+ kB, under --small-table-rows 10000\n/)
  t.match(text.out, /\n5 finding\(s\), 3 of low impact \(small tables: not failing\)$/)

  writeFileSync(migration, "SET lock_timeout = '2s';\nCREATE INDEX ON settings (key);\nCREATE INDEX ON events (kind);\n")
  t.match(await cli('lint-migrations', '--database-url', url.href, migration), { code: 1, out: /2 finding\(s\), 1 of low impact/ })
  t.match(await cli('lint-migrations', '--database-url', url.href, '--small-table-rows', '100000', migration), { code: 0, out: /events has about 30000 rows, .*\n2 finding\(s\), 2 of low impact/ }, 'a higher threshold: only findings of low impact, exit 0')
  t.match(await cli('lint-migrations', '--database-url', url.href, '--small-table-rows', '0', migration), { code: 1, out: /\n2 finding\(s\)$/ }, '0: no table is small')
  t.match(await cli('lint-migrations', '--database-url', url.href, '--small-table-rows', '291', migration), { code: 1, out: /\n2 finding\(s\)$/ }, 'fewer rows than the threshold, not as many')
  t.match(await cli('lint-migrations', '--database-url', url.href, '--small-table-rows', '292', migration), { code: 1, out: /2 finding\(s\), 1 of low impact/ })
})

t.test('DATABASE_URL: read unless --schema or --database-url is given; bad combinations and values are usage errors', async (t) => {
  const url = await schemaDatabase(t)
  if (url === undefined) return
  const dir = tempDir(t)
  const migration = join(dir, '1.sql')
  writeFileSync(migration, 'ALTER TABLE users ALTER COLUMN name TYPE varchar(200);\n')
  t.match(await cli('lint-migrations', '--assume-lock-timeout', migration), { code: 1, out: /change-column-type/ }, 'alone: the type is unknown')
  t.match(await cli('lint-migrations', '--assume-lock-timeout', migration, { DATABASE_URL: url.href }), { code: 0, out: /^schema read from database .*\nno findings$/ })
  t.match(await cli('lint-migrations', '--assume-lock-timeout', migration, { DATABASE_URL: '' }), { code: 1 }, 'empty: not set')
  const unreachable = 'postgres://nobody:s3cret@127.0.0.1:1/app'
  t.match(await cli('lint-migrations', '--assume-lock-timeout', '--database-url', url.href, migration, { DATABASE_URL: unreachable }), { code: 0 }, '--database-url wins')
  const schema = join(dir, 'schema.sql')
  writeFileSync(schema, '--\n-- PostgreSQL database dump\n--\nCREATE TABLE public.users (name varchar(100));\n')
  t.match(await cli('lint-migrations', '--assume-lock-timeout', '--schema', schema, migration, { DATABASE_URL: unreachable }), { code: 0, out: 'no findings' }, '--schema wins over DATABASE_URL')
  t.match(await cli('lint-migrations', '--schema', schema, '--database-url', url.href, migration), { code: 2, err: /^error FST_ZD_CLI_USAGE: --schema and --database-url are two sources of one schema: expected one of them/ })
  t.match(await cli('lint-migrations', '--database-url=', migration), { code: 2, err: /--database-url is empty: expected the URL/ })
  t.match(await cli('lint-migrations', '--small-table-rows', '10', migration), { code: 2, err: /--small-table-rows needs the tables' sizes: expected --database-url <url> \(or DATABASE_URL\) with it; a schema dump holds no sizes/ })
  t.match(await cli('lint-migrations', '--small-table-rows', '10', '--schema', schema, migration, { DATABASE_URL: url.href }), { code: 2, err: /--small-table-rows needs the tables' sizes/ })
  for (const value of ['-1', '1.5', 'many']) t.match(await cli('lint-migrations', '--small-table-rows', value, '--database-url', url.href, migration), { code: 2, err: /expected a number of rows, 0 or more/ }, value)
  // The server's version is the default of --pg-version; one given wins (11: SET NOT NULL scans, checks or not).
  writeFileSync(migration, 'ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n')
  t.match(await cli('lint-migrations', '--assume-lock-timeout', '--database-url', url.href, migration), { code: 0 })
  t.match(await cli('lint-migrations', '--assume-lock-timeout', '--database-url', url.href, '--pg-version', '11', migration), { code: 1, out: /set-not-null/ })
  // No rule tells 15 from 17 apart: what the linter is given is read where it is handed over.
  const given: number[] = []
  const lint = require('../lib/lint') as typeof import('../lib/lint')
  const { main: spied } = t.mockRequire('../lib/main', { '../lib/lint': { ...lint, lintFiles: async (paths: string[], options: { pgVersion: number }) => { given.push(options.pgVersion); return await lint.lintFiles(paths, options) } } }) as typeof import('../lib/main')
  await spied(['lint-migrations', '--database-url', url.href, migration], () => {}, () => {}, {})
  await spied(['lint-migrations', '--database-url', url.href, '--pg-version', '12', migration], () => {}, () => {}, {})
  t.same(given, [(await readLiveSchema(url.href)).pgVersion, 12], 'the server\'s major, unless --pg-version is given')
})

t.test('the catalog is read in one read-only transaction, rolled back, that never waits for a lock', async (t) => {
  const url = await schemaDatabase(t)
  if (url === undefined) return
  const statements: string[] = []
  const { readLiveSchema: recorded } = t.mockRequire('../lib/lint/catalog', {
    '../lib/database': {
      ...require('../lib/database'),
      connect: async (target: string, purpose: string) => {
        const session = await require('../lib/database').connect(target, purpose)
        return {
          query: async (sql: string) => {
            statements.push(sql)
            const rows = await session.query(sql)
            if (sql.startsWith('BEGIN')) statements.push(`read only: ${String((await session.query('SHOW transaction_read_only'))[0].transaction_read_only)}`)
            return rows
          },
          close: session.close
        }
      }
    }
  }) as typeof import('../lib/lint/catalog')
  const schema = await recorded(url.href)
  t.match(statements[0], /^BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL statement_timeout = '10s'; SET LOCAL lock_timeout = '1s'$/)
  t.equal(statements[1], 'read only: on')
  t.equal(statements[statements.length - 1], 'ROLLBACK')
  t.same(statements.slice(2, -1).filter((sql) => !/^\s*SELECT\b/.test(sql)), [], 'every other statement a SELECT')
  t.match(schema.sql, /CREATE TABLE public\.users \(\n {4}id bigint NOT NULL,\n {4}name character varying\(100\),/)
  t.match(schema.sql, /ALTER TABLE ONLY public\.orders ADD CONSTRAINT orders_state_not_null CHECK \(\(state IS NOT NULL\)\) NOT VALID;/)
  t.match(schema.sql, /CREATE INDEX settings_value_idx ON public\.settings USING btree \(value\);/)

  // A session holding ACCESS EXCLUSIVE on a table: the read gives up after lock_timeout.
  const holder = new Client({ connectionString: url.href })
  await holder.connect()
  t.teardown(async () => await holder.end())
  await holder.query('BEGIN; LOCK TABLE events IN ACCESS EXCLUSIVE MODE')
  t.match(await cli('lint-migrations', '--database-url', url.href, join(__dirname, 'fixtures', 'migrations', 'safe', '001_add_nullable_column.sql')), { code: 2, err: /^error FST_ZD_CLI_DATABASE: cannot read the catalog \(canceling statement due to lock timeout\): expected a role that can read pg_class, pg_attribute, pg_constraint, pg_index and pg_inherits, and open each table for its size$/ })
  await holder.query('ROLLBACK')
})

t.test('bad input: an unreachable database, a role without catalog access, a database without tables: coded, exit 2, no secret shown', async (t) => {
  const migration = join(__dirname, 'fixtures', 'migrations', 'safe', '001_add_nullable_column.sql')
  const unreachable = await cli('lint-migrations', '--database-url', 'postgres://app:s3cret@127.0.0.1:1/app', migration)
  t.match(unreachable, { code: 2, err: /^error FST_ZD_CLI_DATABASE: cannot connect to postgres:\/\/\[REDACTED\]@127\.0\.0\.1:1\/app: .*ECONNREFUSED.*: expected the URL of a reachable PostgreSQL database/ })
  t.notMatch(unreachable.err, /s3cret/)
  const empty = await scratchDatabase(t)
  if (empty === undefined) return
  t.match(await cli('lint-migrations', '--database-url', empty.href, migration), { code: 2, err: /^error FST_ZD_CLI_DATABASE: database zd_trace_\w+ has no table: expected the database the migrations run on/ })
  const role = `zd_nocatalog_${process.pid}`
  await admin([`CREATE ROLE ${role} LOGIN`, 'CREATE TABLE t (id int)', 'REVOKE SELECT ON pg_catalog.pg_attribute FROM PUBLIC'], empty.pathname.slice(1))
  t.teardown(async () => { await admin([`DROP ROLE IF EXISTS ${role}`]) })
  const noCatalog = new URL(empty.href)
  noCatalog.username = role
  t.match(await cli('lint-migrations', '--database-url', noCatalog.href, migration), { code: 2, err: /^error FST_ZD_CLI_DATABASE: cannot read the catalog \(permission denied for table pg_attribute\): expected a role that can read pg_class, pg_attribute/ })
})

t.test('identity and generated columns, materialized views, foreign and missing partitions: rendered as pg_dump does, the same verdicts', async (t) => {
  const url = await schemaDatabase(t, [
    'CREATE TABLE accounts (id int GENERATED ALWAYS AS IDENTITY, ref int GENERATED BY DEFAULT AS IDENTITY, cents int NOT NULL, euros numeric GENERATED ALWAYS AS (cents / 100.0) STORED)',
    'CREATE MATERIALIZED VIEW totals AS SELECT count(*) AS n FROM accounts',
    'CREATE TABLE marker ()',
    'CREATE TABLE readings (at date NOT NULL) PARTITION BY RANGE (at)',
    'CREATE TABLE unused (at date NOT NULL) PARTITION BY RANGE (at)',
    // A foreign partition (a wrapper without a handler: enough to create one) has no size to read.
    'CREATE FOREIGN DATA WRAPPER zd_none', 'CREATE SERVER zd_nowhere FOREIGN DATA WRAPPER zd_none',
    "CREATE FOREIGN TABLE readings_remote PARTITION OF readings FOR VALUES FROM ('2020-01-01') TO ('2021-01-01') SERVER zd_nowhere",
    "CREATE TABLE readings_local PARTITION OF readings FOR VALUES FROM ('2021-01-01') TO ('2022-01-01')"
  ].join(';\n'))
  if (url === undefined) return
  const database = await readLiveSchema(url.href)
  t.match(database.sql, /CREATE TABLE public\.accounts \(\n {4}id integer GENERATED ALWAYS AS IDENTITY NOT NULL,\n {4}ref integer GENERATED BY DEFAULT AS IDENTITY NOT NULL,\n {4}cents integer NOT NULL,\n {4}euros numeric GENERATED ALWAYS AS \(\(\(cents\)::numeric \/ 100\.0\)\) STORED\n\);/)
  t.match(database.sql, /CREATE TABLE public\.marker \(\n {4}\n\);/, 'a table without columns')
  t.notMatch(database.sql, /totals|readings_remote/, 'a materialized view and a foreign table are no tables to alter')
  t.equal(database.tables, 5, 'accounts, marker, readings, readings_local, unused')
  t.match(Object.fromEntries(database.sizes), { totals: { rows: 291, basis: 'pages' }, readings: { rows: 0, basis: 'pages' }, unused: { rows: 0, basis: 'statistics', bytes: 0 } })
  const dir = tempDir(t)
  const migration = join(dir, '1.sql')
  writeFileSync(migration, "SET lock_timeout = '2s';\nALTER TABLE accounts ALTER COLUMN id DROP IDENTITY;\nALTER TABLE accounts ALTER COLUMN cents DROP DEFAULT;\nREFRESH MATERIALIZED VIEW totals;\n")
  const schema = dump(t, url, dir, '--schema-only')
  if (schema === undefined) return
  const rules = (findings: Finding[]): string[] => findings.map((f) => `${f.rule}${f.impact === undefined ? '' : ' (low)'}`)
  t.same(rules(await lintFiles([migration], { database })), ['drop-default', 'refresh-not-concurrently (low)'])
  t.same(rules(await lintFiles([migration], { schema })), ['drop-default', 'refresh-not-concurrently'], 'the dump: the same verdicts, without sizes')
})
