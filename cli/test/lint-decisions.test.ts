import t from 'tap'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { lintSource, loadParser } from '../lib/lint'
import { RULES } from '../lib/lint/rules'
import { decisions } from './lib/decisions'

// docs/migrations.md's decision table is the linter's specification: each example is linted here
// and must give exactly the verdict the table states.
const rows = decisions()
const parser = loadParser()

// ALTER TABLE subcommands PostgreSQL makes for itself (re-adding after a type change, views'
// columns): no migration can write them.
const INTERNAL = new Set(['AT_AddColumnToView', 'AT_AddIndex', 'AT_AddIndexConstraint', 'AT_CheckNotNull', 'AT_CookedColumnDefault', 'AT_ReAddComment', 'AT_ReAddConstraint', 'AT_ReAddDomainConstraint', 'AT_ReAddIndex', 'AT_ReAddStatistics', 'AT_ReplaceRelOptions'])
// Rules about the file rather than a statement's effect: decided elsewhere in the doc.
const FILE_RULES = new Set(['lock-timeout', 'contract-without-floor', 'ignore-without-reason'])

t.ok(rows.length > 80, `${rows.length} decisions`)
const subcommands = new Set<string>()
for (const { statement, example: sql, verdict } of rows) {
  t.test(statement, async (t) => {
    const expected = verdict === 'safe' ? [] : [...verdict.matchAll(/`([a-z-]+)`/g)].map((m) => m[1])
    t.ok(expected.length > 0 || verdict === 'safe', `verdict "${verdict}" is safe or rules`)
    const found = new Set((await lintSource(sql, 'decision.sql', parser, { assumeLockTimeout: true })).map((f) => f.rule))
    t.same([...found].sort(), [...new Set(expected)].sort(), sql)
    for (const match of JSON.stringify(await parser.parse(sql)).matchAll(/"subtype":"(AT_\w+)"/g)) subcommands.add(match[1])
  })
}

t.test('every ALTER TABLE subcommand and every statement rule is decided in the table', async (t) => {
  const enums = readFileSync(join(dirname(require.resolve('@pgsql/types/package.json', { paths: [dirname(require.resolve('libpg-query'))] })), 'enums.d.ts'), 'utf8')
  const all = new Set([...enums.matchAll(/"(AT_\w+)"/g)].map((m) => m[1]))
  t.ok(all.size > 60, `${all.size} subcommands in the parser`)
  t.same([...all].filter((s) => !INTERNAL.has(s) && !subcommands.has(s)), [], 'subcommands without a decision')
  const decided = new Set(rows.flatMap(({ verdict }) => [...verdict.matchAll(/`([a-z-]+)`/g)].map((m) => m[1])))
  t.same(Object.keys(RULES).filter((rule) => !FILE_RULES.has(rule) && !decided.has(rule) && !['default-rewrite'].includes(rule)), [], 'rules no row shows')
})
