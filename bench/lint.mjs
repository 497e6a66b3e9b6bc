// The migration linter on large input, in one process: a generated 5 MB migration, and a directory
// of 100 migrations, with the schema model across them. Alone: node bench/lint.mjs
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { lintFiles } = require('../cli/dist/lint/index.js')

// A mix of what migrations hold: safe and unsafe DDL, transactions, data, comments, multibyte text.
const STATEMENTS = [
  (i) => `ALTER TABLE t${i % 50} ADD COLUMN c${i} text;`,
  (i) => `CREATE INDEX CONCURRENTLY i${i} ON t${i % 50} (c${i});`,
  (i) => `-- step ${i}: ünïcödé comment\nUPDATE t${i % 50} SET c${i} = 'x' WHERE id BETWEEN ${i} AND ${i + 1000};`,
  (i) => `CREATE TABLE n${i} (id bigint PRIMARY KEY, name varchar(50));`,
  (i) => `ALTER TABLE n${i - 4} ALTER COLUMN name TYPE varchar(100);`,
  (i) => `INSERT INTO lookup (id, label) VALUES (${i}, 'label ${i}');`,
  (i) => `ALTER TABLE t${i % 50} DROP COLUMN old${i};`,
  (i) => `SELECT ${i};`
]

export function generate (bytes) {
  const parts = []
  let size = 0
  for (let i = 0; size < bytes; i++) {
    const statement = STATEMENTS[i % STATEMENTS.length](i) + '\n'
    parts.push(statement)
    size += Buffer.byteLength(statement)
  }
  return { text: parts.join(''), statements: parts.length }
}

async function timed (paths) {
  const started = process.hrtime.bigint()
  const findings = await lintFiles(paths, { assumeLockTimeout: true })
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, findings: findings.length }
}

export const description = 'the migration linter on large input'

export async function run () {
  const dir = mkdtempSync(join(tmpdir(), 'zd-lint-bench-'))
  try {
    const big = generate(5 * 1024 * 1024)
    writeFileSync(join(dir, 'big.sql'), big.text)
    const many = join(dir, 'many')
    mkdirSync(many)
    let manyStatements = 0
    for (let f = 0; f < 100; f++) {
      const file = generate(20 * 1024)
      manyStatements += file.statements
      writeFileSync(join(many, `${String(f).padStart(3, '0')}_migration.sql`), file.text)
    }
    const warm = generate(64 * 1024)
    writeFileSync(join(dir, 'warm.sql'), warm.text)
    await timed([join(dir, 'warm.sql')])
    return {
      big: { bytes: Buffer.byteLength(big.text), statements: big.statements, ...(await timed([join(dir, 'big.sql')])) },
      many: { files: 100, statements: manyStatements, ...(await timed([many])) }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await run(), null, 2))
