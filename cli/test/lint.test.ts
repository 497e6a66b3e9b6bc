import t, { type Test } from 'tap'
import { readdirSync, readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { lintFiles, lintSource, loadParser, migrationFiles } from '../lib/lint'
import { RULES } from '../lib/lint/rules'
import { SchemaModel } from '../lib/lint/schema'
import { firstInvalidByte } from '../lib/lint/source'
import { FLAGS } from '../lib/main'
import { cli } from './lib/cli'

const corpus = join(__dirname, 'fixtures', 'migrations')

function tempDir (t: Test, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}
const parser = loadParser()

for (const kind of ['safe', 'unsafe']) {
  for (const name of readdirSync(join(corpus, kind))) {
    t.test(`${kind}/${name}`, async (t) => {
      const source = readFileSync(join(corpus, kind, name), 'utf8')
      const expected = /-- expect: (.*)/.exec(source)?.[1] ?? ''
      // The corpus is about what statements do: the timeout rule only where a file asks for it.
      const options = { assumeLockTimeout: true, ...JSON.parse(/-- options: (.*)/.exec(source)?.[1] ?? '{}') }
      const findings = await lintSource(source, name, parser, options)
      t.same(findings.map((f) => `${f.rule}@${f.line}`), expected === 'none' ? [] : expected.split(/,\s*/))
      if (kind === 'safe') t.equal(expected, 'none')
    })
  }
}

t.test('findings carry the column, the message and the safe alternative', async (t) => {
  const findings = await lintSource(readFileSync(join(corpus, 'unsafe', 'several.sql'), 'utf8'), 'several.sql', parser)
  t.match(findings.find((f) => f.rule === 'index-not-concurrently'), { line: 10, column: 3, message: RULES['index-not-concurrently'].message, alternative: /CONCURRENTLY/ })
  t.match(findings.find((f) => f.rule === 'drop-column'), { line: 5, column: 1 })
  const unicode = await lintSource("-- é ü\nSELECT 'ö';\nDROP TABLE t;", 'u.sql', parser, { assumeLockTimeout: true })
  t.match(unicode, [{ rule: 'drop-table', line: 3, column: 1 }], 'positions count characters, not bytes')
})

t.test('every rule has a message and a safe alternative, and the corpus exercises it', async (t) => {
  const unsafe = readdirSync(join(corpus, 'unsafe')).map((f) => readFileSync(join(corpus, 'unsafe', f), 'utf8')).join('\n')
  for (const [rule, info] of Object.entries(RULES)) {
    t.ok(info.message.length > 10 && info.alternative.length > 10, rule)
    t.ok(unsafe.includes(`${rule}@`), `${rule} is in the unsafe corpus`)
  }
})

t.test('CLI: file:line:col rule message; exit 1 on findings, 0 on none', async (t) => {
  const unsafe = await cli('lint-migrations', join(corpus, 'unsafe', 'drop_column.sql'))
  t.equal(unsafe.code, 1)
  t.match(unsafe.out, `${join(corpus, 'unsafe', 'drop_column.sql')}:3:1 drop-column drops a column that the running (old) code may still read or write (safe alternative: stop using it in a release first`)
  t.match(unsafe.out, /\n1 finding\(s\)$/)
  const safe = await cli('lint-migrations', '--assume-lock-timeout', join(corpus, 'safe'))
  t.same(safe, { code: 0, out: 'no findings', err: '' }, 'a directory: every .sql file in it')
  const json = await cli('lint-migrations', '--assume-lock-timeout', '--format', 'json', join(corpus, 'unsafe', 'truncate.sql'), join(corpus, 'unsafe', 'rename_table.sql'))
  t.equal(json.code, 1)
  t.match(JSON.parse(json.out), [{ rule: 'truncate', line: 2, column: 1, file: /truncate.sql$/ }, { rule: 'rename-table' }])
  t.same(JSON.parse((await cli('lint-migrations', '--format=json', '--assume-lock-timeout', join(corpus, 'safe'))).out), [])
})

t.test('CLI: bad input exits 2 with a coded message naming the file and the position', async (t) => {
  const result = await cli('lint-migrations', join(corpus, 'invalid', 'unparseable.sql'))
  t.equal(result.code, 2)
  t.match(result.err, /^error FST_ZD_CLI_SQL_SYNTAX: .*unparseable.sql:2:\d+: cannot parse: syntax error at or near "email"/)
  t.match(await cli('lint-migrations', join(corpus, 'nope')), { code: 2, err: /^error FST_ZD_CLI_UNREADABLE: cannot read .*nope/ })
  t.match(await cli('lint-migrations'), { code: 2, err: /^error FST_ZD_CLI_USAGE: lint-migrations: no file given: expected one or more migration files \(\.sql\) or directories of them\n\nUsage/ })
  t.match(await cli('lint-migrations', 'x.sql', '--format', 'xml'), { code: 2, err: /^error FST_ZD_CLI_USAGE: --format xml: expected text or json/ })
  t.match(await cli('lint-migrations', 'x.sql', '--config', 'o.json'), { code: 2, err: /^error FST_ZD_CLI_USAGE: unknown option --config for lint-migrations: expected one of the known options: --format, --transaction, --schema, --pg-version, --since, --floor-table, --assume-lock-timeout, --trace, --allow-any-database, --database-url, --small-table-rows\n/ }, 'a flag of the other command')
  t.match(await cli('lint-migrations', 'x.sql', '--pg-version', 'latest'), { code: 2, err: /^error FST_ZD_CLI_USAGE: --pg-version latest: expected a PostgreSQL major version/ })
  t.match(await cli('lint-migrations', 'x.sql', '--transaction', 'each'), { code: 2, err: /^error FST_ZD_CLI_USAGE: --transaction each: expected per-file \(the tool wraps each file in a transaction\) or none/ })
  t.match(await cli('lint-migrations', join(corpus, 'unsafe', 'backfill_implicit_transaction.sql'), '--assume-lock-timeout'), { code: 1, out: /backfill-in-transaction/ }, 'per-file by default')
  t.match(await cli('lint-migrations', join(corpus, 'unsafe', 'backfill_implicit_transaction.sql'), '--assume-lock-timeout', '--transaction', 'none'), { code: 0, out: 'no findings' }, '--transaction none: no transaction to hold the lock')
  t.match(await cli('lint-migrations', 'x.sql', '--since'), { code: 2, err: /^error FST_ZD_CLI_USAGE: --since needs a value: expected --since <value>/ })
})

t.test('syntax errors point at the character: columns count from 1, in characters', async (t) => {
  for (const [sql, line, column] of [['SELECT 1 ,, 1;', 1, 11], ["SELECT 'éé' ,, 1;", 1, 14], ["SELECT '😀😀' ,, 1;", 1, 14], ["-- 😀\nSELECT '😀' ,, 1;", 2, 13], ['SELECT 1;\n  ALTER TABLE t ADD COLUMN x int,, ;', 2, 34]] as const) {
    await t.rejects(lintSource(sql, 'e.sql', parser), { code: 'FST_ZD_CLI_SQL_SYNTAX', message: new RegExp(`^e\\.sql:${line}:${column}: cannot parse: syntax error at or near ","`) }, sql)
  }
})

t.test('a NUL byte, invalid UTF-8, a BOM, a directory without migrations', async (t) => {
  const dir = tempDir(t, 'zd-lint-bad-')
  const file = (name: string, bytes: Buffer | string): string => { writeFileSync(join(dir, name), bytes); return join(dir, name) }
  const nul = file('nul.sql', 'SELECT 1;\nSELECT 2\0;\nDROP TABLE users;\n')
  t.match(await cli('lint-migrations', nul), { code: 2, err: /^error FST_ZD_CLI_ENCODING: .*nul.sql:2:9: a NUL byte/ }, 'a NUL byte does not hide the DROP behind it')
  const latin1 = file('latin1.sql', Buffer.concat([Buffer.from("SELECT 'caf"), Buffer.from([0xe9]), Buffer.from("';\nDROP TABLE users;\n")]))
  t.match(await cli('lint-migrations', latin1), { code: 2, err: /^error FST_ZD_CLI_ENCODING: .*latin1.sql:1:12: invalid UTF-8 \(byte 0xe9 at offset 11\)/ })
  const bom = file('bom.sql', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('SET lock_timeout = 1;\nDROP TABLE users;\n')]))
  t.match(await cli('lint-migrations', bom), { code: 1, out: /bom.sql:2:1 drop-table/ }, 'a BOM is dropped, positions unchanged')
  const empty = mkdtempSync(join(dir, 'empty-'))
  writeFileSync(join(empty, 'README.md'), '# migrations')
  t.match(await cli('lint-migrations', empty), { code: 2, err: /^error FST_ZD_CLI_NO_MIGRATIONS: .*empty-\w+: no migration found: expected files ending in \.sql/ })
  const upper = mkdtempSync(join(dir, 'upper-'))
  writeFileSync(join(upper, '001_drop.SQL'), 'SET lock_timeout = 1;\nDROP TABLE users;\n')
  t.match(await cli('lint-migrations', upper), { code: 1, out: /001_drop.SQL:2:1 drop-table/ }, 'the extension in any case')
})

t.test('invalid UTF-8 is found where the decoder fails, for any bytes (generated)', async (t) => {
  let seed = 7
  const random = (): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31 }
  // Valid characters of each length, and each way a sequence can be invalid (lone, overlong, surrogate, beyond U+10FFFF, cut).
  const pieces = [[0x41], [0xc3, 0xa9], [0xe2, 0x82, 0xac], [0xf0, 0x9f, 0x98, 0x80], [0xe9], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe0, 0x80, 0x80], [0xf0, 0x80, 0x80, 0x80], [0xf5], [0x80], [0xe2, 0x82], [0xf0, 0x9f, 0x98]]
  const decodes = (bytes: Uint8Array): boolean => { try { new TextDecoder('utf-8', { fatal: true }).decode(bytes); return true } catch { return false } }
  for (let round = 0; round < 1000; round++) {
    const bytes = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 8) }, () => pieces[Math.floor(random() * pieces.length)]).flat())
    const at = firstInvalidByte(bytes)
    if (decodes(bytes)) { t.equal(at, -1); continue }
    // Everything before it decodes, and the decoder replaces what starts there.
    t.ok(at >= 0 && decodes(bytes.subarray(0, at)) && new TextDecoder().decode(bytes.subarray(at)).startsWith('\uFFFD'), bytes.toString('hex'))
  }
})

t.test('--version prints the CLI package and its version', async (t) => {
  const { version } = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'))
  t.same(await cli('--version'), { code: 0, out: `fastify-zero-downtime-cli ${String(version)}`, err: '' })
})

t.test('a bug is reported as one (exit 3), not as bad input', async (t) => {
  const { main: run } = t.mockRequire('../lib/main', { '../lib/lint': { ...require('../lib/lint'), lintFiles: async () => { throw new TypeError('cannot read properties of undefined') } } }) as typeof import('../lib/main')
  const err: string[] = []
  t.equal(await run(['lint-migrations', 'x.sql'], () => {}, (line) => err.push(line)), 3)
  t.match(err.join('\n'), /^internal error: this is a bug in fastify-zero-downtime-cli, please report it .*\nTypeError: cannot read properties of undefined/)
})

t.test('a custom floor table; files sorted by name', async (t) => {
  const dir = tempDir(t, 'zd-lint-')
  writeFileSync(join(dir, '2.sql'), '-- zero-downtime: contract\nDROP TABLE old;\nUPDATE app.compat SET floor = 4;\n')
  writeFileSync(join(dir, '1.sql'), 'SELECT 1;\n')
  writeFileSync(join(dir, 'notes.txt'), 'not a migration')
  t.same(migrationFiles([dir]).map((f) => f.slice(dir.length + 1)), ['1.sql', '2.sql'])
  t.same(await lintFiles([dir], { floorTable: 'app.compat', assumeLockTimeout: true }), [])
  t.match(await lintFiles([dir], { assumeLockTimeout: true }), [{ rule: 'backfill-in-transaction', line: 3 }, { rule: 'contract-without-floor' }], 'the default floor table is not raised there (and the write holds the DROP\'s lock)')
  t.same(await lintSource('', 'empty.sql', parser), [], 'an empty file')
  t.match(await lintSource('SET lock_timeout = 1;\nDROP TABLE t', 'last.sql', parser), [{ rule: 'drop-table', line: 2 }], 'a last statement without its semicolon')
  t.match(await lintSource('DO LANGUAGE plpgsql $$ BEGIN DROP TABLE x; END $$;', 'do.sql', parser), [{ rule: 'do-block-ddl' }])
  const broken = { parse: async () => { throw new Error('the parser failed to load') } }
  await t.rejects(lintSource('SELECT 1;', 'x.sql', broken), { message: 'x.sql: cannot parse: the parser failed to load' })
})

t.test('the schema model spans the directory: types and tables from earlier migrations, --since', async (t) => {
  const dir = tempDir(t, 'zd-lint-model-')
  writeFileSync(join(dir, '001_users.sql'), 'CREATE TABLE users (id bigint PRIMARY KEY, name varchar(50), email text);\n')
  writeFileSync(join(dir, '002_widen.sql'), 'ALTER TABLE users ALTER COLUMN name TYPE varchar(100);\n')
  writeFileSync(join(dir, '003_orders.sql'), 'CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);\n')
  writeFileSync(join(dir, '004_index.sql'), 'CREATE INDEX orders_user_idx ON orders (user_id);\nALTER TABLE users ALTER COLUMN name TYPE varchar(20);\n')
  const rules = async (options: Parameters<typeof lintFiles>[1]): Promise<string[]> => (await lintFiles([dir], { assumeLockTimeout: true, ...options })).map((f) => `${f.file.slice(dir.length + 1)}:${f.line} ${f.rule}`)
  t.same(await rules({}), ['004_index.sql:1 index-not-concurrently', '004_index.sql:2 change-column-type'], 'widening known from 001 is safe; each file its own release')
  t.same(await rules({ since: '003_orders.sql' }), ['004_index.sql:2 change-column-type'], 'orders is new in the release that starts at 003; 001-002 are not reported')
  t.same(await rules({ since: '004_index.sql' }), ['004_index.sql:1 index-not-concurrently', '004_index.sql:2 change-column-type'])
  writeFileSync(join(dir, '005_rename.sql'), 'ALTER TABLE users RENAME COLUMN name TO full_name;\nALTER TABLE users ALTER COLUMN full_name TYPE text;\nALTER TABLE users RENAME TO people;\nALTER TABLE people ALTER COLUMN email TYPE text;\n')
  t.same(await rules({ since: '005_rename.sql' }), ['005_rename.sql:1 rename-column', '005_rename.sql:3 rename-table'], 'types follow renames')
})

t.test('the timeout rule: every statement that takes a strong lock, and what sets lock_timeout', async (t) => {
  const timeouts = async (sql: string, options = {}): Promise<number[]> => (await lintSource(sql, 't.sql', parser, options)).filter((f) => f.rule === 'lock-timeout').map((f) => f.line)
  const strong = ['ALTER TABLE users ADD COLUMN bio text;', 'DROP TABLE sessions;', 'ALTER TABLE users RENAME TO people;', 'CREATE INDEX i ON orders (status);', 'TRUNCATE sessions;', 'REINDEX TABLE orders;', 'VACUUM FULL orders;', 'CLUSTER orders;', 'REFRESH MATERIALIZED VIEW daily;', 'ALTER DOMAIN email SET NOT NULL;', 'CREATE TRIGGER tr BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION f();', 'ALTER TABLE orders SET SCHEMA archive;', 'ALTER TABLE ALL IN TABLESPACE a SET TABLESPACE b;', 'ALTER TABLE orders RENAME CONSTRAINT a TO b;', 'DROP INDEX i;']
  t.same(await timeouts(strong.join('\n')), strong.map((_, i) => i + 1), 'each strong lock, without a timeout')
  const weak = ['CREATE INDEX CONCURRENTLY i ON orders (status);', 'ALTER TABLE orders VALIDATE CONSTRAINT c;', 'ALTER INDEX i RENAME TO j;', 'VACUUM orders;', 'SELECT 1;', 'INSERT INTO t VALUES (1);', 'CREATE TABLE n (id int);', 'ALTER TABLE n ADD COLUMN x int;', 'ALTER TABLE measurements DETACH PARTITION m CONCURRENTLY;']
  t.same(await timeouts(weak.join('\n')), [], 'weak locks and new tables need none')
  t.same(await timeouts("SET lock_timeout = '2s';\nDROP TABLE a;\nSET lock_timeout = 2000;\nDROP TABLE b;\nSET lock_timeout = 1.5;\nDROP TABLE c;"), [], 'a string, an integer, a fraction')
  t.same(await timeouts("SET lock_timeout = 0;\nDROP TABLE a;\nSET lock_timeout = '0ms';\nDROP TABLE b;\nSET lock_timeout TO DEFAULT;\nDROP TABLE c;"), [2, 4, 6], 'zero means no timeout; DEFAULT is the role\'s')
  t.same(await timeouts('SET lock_timeout TO DEFAULT;\nDROP TABLE c;\nRESET lock_timeout;\nDROP TABLE d;\nSET lock_timeout = 0;\nDROP TABLE e;', { assumeLockTimeout: true }), [6], 'with the role\'s timeout: only an explicit 0 turns it off')
  t.same(await timeouts("BEGIN;\nSET LOCAL lock_timeout = '1s';\nDROP TABLE a;\nCOMMIT;\nDROP TABLE b;"), [5], 'SET LOCAL ends with its transaction')
  t.same(await timeouts("BEGIN;\nSET lock_timeout = '1s';\nROLLBACK;\nDROP TABLE a;\nBEGIN;\nSET lock_timeout = '1s';\nCOMMIT;\nDROP TABLE b;"), [4], 'a ROLLBACK undoes a SET; a COMMIT keeps it')
  t.same(await timeouts("SET LOCAL lock_timeout = '1s';\nDROP TABLE a;\nROLLBACK;\nDROP TABLE b;"), [], 'SET LOCAL without BEGIN: the migration tool\'s transaction, to the end of the file')
  t.same(await timeouts("SET statement_timeout = '5s';\nDROP TABLE a;"), [1 + 1], 'statement_timeout is not lock_timeout')
})

t.test('positions after characters of every UTF-8 length, a 4-byte one included', async (t) => {
  const findings = await lintSource("-- a é € 😀\nSELECT '😀😀';  DROP TABLE t;\n/* 😀 */ TRUNCATE u;", 'u.sql', parser, { assumeLockTimeout: true })
  t.match(findings, [{ rule: 'drop-table', line: 2, column: 15 }, { rule: 'truncate', line: 3, column: 9 }])
})

t.test('a file that cannot be read, --pg-version bounds, a bug that throws a non-Error', async (t) => {
  t.match(await cli('lint-migrations', '/proc/self/mem'), { code: 2, err: /^error FST_ZD_CLI_UNREADABLE: cannot read \/proc\/self\/mem: EIO/ }, 'stat succeeds, reading fails (a real file)')
  for (const version of ['8', '100', '16.2']) t.match(await cli('lint-migrations', 'x.sql', '--pg-version', version), { code: 2, err: /expected a PostgreSQL major version/ }, version)
  const { main: run } = t.mockRequire('../lib/main', { '../lib/lint': { ...require('../lib/lint'), lintFiles: async () => { throw 'a string' } } }) as typeof import('../lib/main') // eslint-disable-line no-throw-literal
  const err: string[] = []
  t.equal(await run(['lint-migrations', 'x.sql'], () => {}, (line) => err.push(line)), 3)
  t.match(err.join('\n'), /^internal error: .*\na string$/)
})

// Snippets in the style others write them (Rails' DDL for strong_migrations' cases, squawk's rule
// docs, the PostgreSQL manual), labelled by what they do, each linted alone as the acceptance runs do.
t.test('labelled snippets in others\' style: every unsafe one caught, no safe one flagged', async (t) => {
  const labelled = join(corpus, 'labelled')
  for (const kind of ['unsafe', 'safe']) {
    for (const name of readdirSync(join(labelled, kind))) {
      const rules = (await lintFiles([join(labelled, kind, name)])).map((f) => f.rule).filter((rule) => rule !== 'lock-timeout')
      if (kind === 'unsafe') t.ok(rules.length > 0, `unsafe/${name} caught`)
      else t.same(rules, [], `safe/${name} not flagged`)
    }
  }
})

t.test('docs/migrations.md lists every lint-migrations option, and the usage text names each', async (t) => {
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'migrations.md'), 'utf8')
  const table = doc.slice(doc.indexOf('## A linter that knows expand from contract'), doc.indexOf('Built on the real PostgreSQL parser'))
  const documented = [...table.matchAll(/^\| `(--[a-z-]+)/gm)].map((m) => m[1])
  t.same([...documented].sort(), Object.keys(FLAGS['lint-migrations']).sort())
  const usage = (await cli('--help')).out
  for (const flag of documented) t.match(usage, new RegExp(`\\s${flag}\\b`), `${flag} in the usage text`)
})

t.test('a rename kept by a view of the old name: only over the renamed table, in the rename\'s transaction', async (t) => {
  const rules = async (sql: string, options = {}): Promise<string[]> => (await lintSource(sql, 'm.sql', parser, { assumeLockTimeout: true, ...options })).map((f) => f.rule)
  const rename = 'ALTER TABLE users RENAME TO accounts;'
  t.same(await rules(`${rename} CREATE VIEW other AS SELECT 1; CREATE VIEW users AS SELECT * FROM accounts;`), [], 'another view first, then the one that keeps the name')
  t.same(await rules(`${rename} CREATE VIEW users AS SELECT id FROM accounts WHERE active;`), [], 'a one-table view with a filter is updatable')
  t.same(await rules(`${rename} CREATE VIEW users AS SELECT * FROM accounts JOIN plans USING (plan_id);`), ['rename-table'], 'a join is not updatable')
  t.same(await rules(`${rename} CREATE VIEW users AS SELECT * FROM (SELECT * FROM accounts) a;`), ['rename-table'], 'a subquery')
  t.same(await rules(`${rename} CREATE VIEW users AS VALUES (1);`), ['rename-table'], 'no table at all')
  t.same(await rules(`BEGIN; ${rename} ROLLBACK; CREATE VIEW users AS SELECT * FROM accounts;`), ['rename-table'], 'the view after the transaction ended')
  t.same(await rules(`${rename} CREATE VIEW users AS SELECT * FROM accounts;`, { transaction: 'none' }), ['rename-table'], 'a tool without a transaction: the running code fails in between')
})

t.test('USING the column, or the column cast to the new type, is the plain conversion; anything else recomputes every row', async (t) => {
  const rules = async (sql: string): Promise<string[]> => {
    const model = new SchemaModel()
    await lintSource('CREATE TABLE t (c varchar(10), d varchar(10), e int NOT NULL, f int);', 'schema.sql', parser, {}, model)
    model.release()
    return (await lintSource(sql, 'm.sql', parser, { assumeLockTimeout: true }, model)).map((f) => f.rule)
  }
  t.same(await rules('ALTER TABLE t ALTER COLUMN c TYPE varchar(20) USING c;'), [])
  t.same(await rules('ALTER TABLE t ALTER COLUMN c TYPE varchar(20) USING ("c"::varchar(20));'), [], 'Knex\'s .alter()')
  t.same(await rules('ALTER TABLE t ALTER COLUMN c TYPE varchar(20)[] USING c::varchar(20)[];'), ['change-column-type'], 'an array now: the types differ')
  t.same(await rules('ALTER TABLE t ALTER COLUMN c TYPE varchar(20) USING c::varchar(5);'), ['change-column-type'], 'cast to another limit')
  t.same(await rules('ALTER TABLE t ALTER COLUMN c TYPE varchar(20) USING c::text;'), ['change-column-type'], 'cast to another type')
  t.same(await rules('ALTER TABLE t ALTER COLUMN c TYPE varchar(20) USING d::varchar(20);'), ['change-column-type'], 'another column')
  t.same(await rules('ALTER TABLE t ALTER COLUMN c TYPE varchar(20) USING lower(c);'), ['change-column-type'], 'an expression')
  t.same(await rules('ALTER TABLE t ALTER COLUMN f DROP NOT NULL, ALTER COLUMN f DROP DEFAULT;'), [], 'a nullable column without a default: both change nothing')
  t.same(await rules('ALTER TABLE t ALTER COLUMN e DROP NOT NULL;'), ['drop-not-null'])
  t.same(await rules('ALTER TABLE t ALTER COLUMN g DROP NOT NULL;'), ['drop-not-null'], 'a column the schema does not show')
})
