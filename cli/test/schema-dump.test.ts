import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cli } from './lib/cli'
import { admin, dump, scratchDatabase, tempDir } from './lib/postgres'

// --schema: the schema the migrations run on, from a real pg_dump --schema-only of a real database.

const SCHEMA = [
  'CREATE TABLE users (id int PRIMARY KEY, name varchar(100), email text, score int NOT NULL DEFAULT 0, CONSTRAINT users_email_nn CHECK (email IS NOT NULL))',
  'CREATE TABLE orders (id int, total numeric(10, 2), placed timestamp(0))',
  "INSERT INTO users VALUES (1, 'a', 'a@example.com', 1)"
]

const MIGRATION = [
  'ALTER TABLE users ALTER COLUMN name TYPE varchar(200);',
  'ALTER TABLE users ALTER COLUMN email SET NOT NULL;',
  'ALTER TABLE orders ALTER COLUMN total TYPE numeric(12, 2), ALTER COLUMN placed TYPE timestamp(3);',
  'ALTER TABLE users ALTER COLUMN score DROP DEFAULT;',
  ''
].join('\n')

t.test('with the schema, binary-coercible type changes and SET NOT NULL behind a validated check pass; what breaks old writers is found', async (t) => {
  const url = await scratchDatabase(t)
  if (url === undefined) return
  await admin(SCHEMA, url.pathname.slice(1))
  const dir = tempDir(t)
  const schema = dump(t, url, dir, '--schema-only')
  if (schema === undefined) return
  writeFileSync(join(dir, '1.sql'), MIGRATION)
  const alone = await cli('lint-migrations', '--assume-lock-timeout', '--format', 'json', join(dir, '1.sql'))
  t.same(new Set(JSON.parse(alone.out).map((f: { rule: string, line: number }) => `${f.rule}@${f.line}`)), new Set(['change-column-type@1', 'set-not-null@2', 'change-column-type@3']), 'alone: the types, the check and the NOT NULL are unknown')
  const known = await cli('lint-migrations', '--assume-lock-timeout', '--schema', schema, join(dir, '1.sql'))
  t.equal(known.code, 1)
  t.match(known.out, /^.*1\.sql:4:1 drop-default .*\n1 finding\(s\)$/, 'with the schema: only the default dropped from a NOT NULL column')
  writeFileSync(join(dir, '2.sql'), 'ALTER TABLE users ALTER COLUMN name TYPE int;\n')
  t.match((await cli('lint-migrations', '--assume-lock-timeout', '--schema', schema, join(dir, '2.sql'))).out, /change-column-type/, 'a change that rewrites is still one')

  const full = dump(t, url, dir)
  t.match(await cli('lint-migrations', '--schema', full!, join(dir, '1.sql')), { code: 2, err: /^error FST_ZD_CLI_SCHEMA_DUMP: .*dump-\.sql: not a schema dump: holds table data \(COPY public\.orders .*…\): expected the plain SQL output of pg_dump --schema-only$/ })
  const custom = dump(t, url, dir, '--schema-only', '-Fc')
  t.match(await cli('lint-migrations', '--schema', custom!, join(dir, '1.sql')), { code: 2, err: /not a schema dump: a pg_dump archive in custom format: expected the plain SQL output of pg_dump --schema-only \(--format plain\)$/ })
  const empty = await scratchDatabase(t)
  const none = dump(t, empty!, dir, '--schema-only', '--no-owner')
  t.match(await cli('lint-migrations', '--schema', none!, join(dir, '1.sql')), { code: 2, err: /not a schema dump: defines no table: expected the plain SQL output of pg_dump --schema-only of the database the migrations run on$/ })
})

t.test('a file that is not a dump, an unreadable one, a dump that does not parse: coded errors, exit 2', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, '1.sql'), MIGRATION)
  writeFileSync(join(dir, 'schema.sql'), 'CREATE TABLE users (id int);\n')
  t.match(await cli('lint-migrations', '--schema', join(dir, 'schema.sql'), join(dir, '1.sql')), { code: 2, err: /^error FST_ZD_CLI_SCHEMA_DUMP: .*schema\.sql: not a schema dump: does not start as pg_dump's output does \("-- PostgreSQL database dump"\)/ })
  writeFileSync(join(dir, 'data.sql'), '--\n-- PostgreSQL database dump\n--\n\nINSERT INTO public.users VALUES (1);\n')
  t.match(await cli('lint-migrations', '--schema', join(dir, 'data.sql'), join(dir, '1.sql')), { code: 2, err: /holds table data \(INSERT INTO public\.users…\)/ })
  writeFileSync(join(dir, 'broken.sql'), '--\n-- PostgreSQL database dump\n--\n\\restrict abc\nCREATE TABLE public.users (id int;\n')
  t.match(await cli('lint-migrations', '--schema', join(dir, 'broken.sql'), join(dir, '1.sql')), { code: 2, err: /^error FST_ZD_CLI_SQL_SYNTAX: .*broken\.sql:5:\d+: cannot parse/ }, 'positions are the file\'s: the meta-command blanked, not dropped')
  t.match(await cli('lint-migrations', '--schema', join(dir, 'nope.sql'), join(dir, '1.sql')), { code: 2, err: /^error FST_ZD_CLI_UNREADABLE: cannot read .*nope\.sql/ })
})
