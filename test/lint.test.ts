import t from 'tap'
import { readdirSync, readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { lintFiles, lintSource, loadParser, migrationFiles } from '../lib/lint'
import { RULES } from '../lib/lint/rules'
import { main } from '../lib/cli'

const corpus = join(__dirname, 'fixtures', 'migrations')
const parser = loadParser()

async function cli (...args: string[]): Promise<{ code: number, out: string, err: string }> {
  const out: string[] = []
  const err: string[] = []
  const code = await main(args, (line) => out.push(line), (line) => err.push(line))
  return { code, out: out.join('\n'), err: err.join('\n') }
}

for (const kind of ['safe', 'unsafe']) {
  for (const name of readdirSync(join(corpus, kind))) {
    t.test(`${kind}/${name}`, async (t) => {
      const source = readFileSync(join(corpus, kind, name), 'utf8')
      const expected = /-- expect: (.*)/.exec(source)?.[1] ?? ''
      const findings = await lintSource(source, name, parser)
      t.same(findings.map((f) => `${f.rule}@${f.line}`), expected === 'none' ? [] : expected.split(/,\s*/))
      if (kind === 'safe') t.equal(expected, 'none')
    })
  }
}

t.test('findings carry the column, the message and the safe alternative', async (t) => {
  const findings = await lintSource(readFileSync(join(corpus, 'unsafe', 'several.sql'), 'utf8'), 'several.sql', parser)
  t.match(findings.find((f) => f.rule === 'index-not-concurrently'), { line: 9, column: 3, message: RULES['index-not-concurrently'].message, alternative: /CONCURRENTLY/ })
  t.match(findings.find((f) => f.rule === 'drop-column'), { line: 4, column: 1 })
  const unicode = await lintSource("-- é ü\nSELECT 'ö';\nDROP TABLE t;", 'u.sql', parser)
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
  const safe = await cli('lint-migrations', join(corpus, 'safe'))
  t.same(safe, { code: 0, out: 'no findings', err: '' }, 'a directory: every .sql file in it')
  const json = await cli('lint-migrations', '--format', 'json', join(corpus, 'unsafe', 'truncate.sql'), join(corpus, 'unsafe', 'rename_table.sql'))
  t.equal(json.code, 1)
  t.match(JSON.parse(json.out), [{ rule: 'truncate', line: 2, column: 1, file: /truncate.sql$/ }, { rule: 'rename-table' }])
  t.same(JSON.parse((await cli('lint-migrations', '--format', 'json', join(corpus, 'safe'))).out), [])
})

t.test('CLI: unparseable input exits 2 with the parser\'s message and position', async (t) => {
  const result = await cli('lint-migrations', join(corpus, 'invalid', 'unparseable.sql'))
  t.equal(result.code, 2)
  t.match(result.err, /unparseable.sql:2:\d+: cannot parse: syntax error at or near "email"/)
  t.match(await cli('lint-migrations', join(corpus, 'nope')), { code: 2, err: /cannot read .*nope/ })
  t.match(await cli('lint-migrations'), { code: 2, err: /^Usage/ })
  t.match(await cli('lint-migrations', 'x.sql', '--format', 'xml'), { code: 2 })
  t.match(await cli('lint-migrations', 'x.sql', '--config', 'o.json'), { code: 2 }, 'a flag of the other command')
})

t.test('a custom floor table; files sorted by name', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'zd-lint-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, '2.sql'), '-- zero-downtime: contract\nDROP TABLE old;\nUPDATE app.compat SET floor = 4;\n')
  writeFileSync(join(dir, '1.sql'), 'SELECT 1;\n')
  writeFileSync(join(dir, 'notes.txt'), 'not a migration')
  t.same(migrationFiles([dir]).map((f) => f.slice(dir.length + 1)), ['1.sql', '2.sql'])
  t.same(await lintFiles([dir], { floorTable: 'app.compat' }), [])
  t.match(await lintFiles([dir]), [{ rule: 'contract-without-floor' }], 'the default floor table is not raised there')
  t.same(await lintSource('', 'empty.sql', parser), [], 'an empty file')
  t.match(await lintSource('SET lock_timeout = 1;\nDROP TABLE t', 'last.sql', parser), [{ rule: 'drop-table', line: 2 }], 'a last statement without its semicolon')
  t.match(await lintSource('DO LANGUAGE plpgsql $$ BEGIN DROP TABLE x; END $$;', 'do.sql', parser), [{ rule: 'do-block-ddl' }])
  const broken = { parse: async () => { throw new Error('the parser failed to load') } }
  await t.rejects(lintSource('SELECT 1;', 'x.sql', broken), { message: 'x.sql: cannot parse: the parser failed to load' })
})
