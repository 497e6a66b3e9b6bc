import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { NoMigrationsError, SqlSyntaxError, UnreadableError } from '../errors'
import { FileAnalysis, type LintOptions } from './analyze'
import type { LiveSchema, TableSize } from './catalog'
import { CONTRACT_ONLY, RULES, SIZE_BOUND, type RuleName } from './rules'
import { SchemaModel, type Node } from './schema'
import { assertTables, readSchemaDump } from './schema-dump'
import { SourceText, decodeMigration, leading, readBytes, statementTexts, type ParsedStatement, type StatementText } from './source'

export type { LintOptions } from './analyze'

/** A finding on a table under --small-table-rows: reported, not failing (the lock is held for little time). */
export interface LowImpact extends TableSize { table: string, threshold: number }

export interface Finding { file: string, line: number, column: number, rule: RuleName, message: string, alternative: string, table?: string, impact?: LowImpact }

/** Rows under which a table's size-bound findings are of low impact: an index or a scan of it takes milliseconds. */
export const DEFAULT_SMALL_TABLE_ROWS = 10_000

export interface Parser { parse: (sql: string) => Promise<{ stmts?: Array<ParsedStatement<Node>> }> }

/** PostgreSQL 17: the grammar of the parser (libpg-query 17) and a current major. */
export const DEFAULT_PG_VERSION = 17

const CONTRACT_MARK = /--\s*zero-downtime:\s*contract\b/i
const IGNORE = /--\s*zero-downtime-ignore\s+([a-z-]+(?:\s*,\s*[a-z-]+)*)\s*(?::\s*(\S.*))?$/gim

/** Loaded on first use: `check` does not pay for the parser. */
export function loadParser (): Parser {
  return require('libpg-query') as Parser
}

export function resolveLintOptions (options: Partial<LintOptions> = {}): LintOptions {
  return {
    pgVersion: options.pgVersion ?? DEFAULT_PG_VERSION,
    assumeLockTimeout: options.assumeLockTimeout ?? false,
    floorTable: options.floorTable ?? 'zero_downtime_compatibility',
    transaction: options.transaction ?? 'per-file'
  }
}

/** A migration's statements with their texts; a syntax error is bad input, with where it is. */
export async function parseMigration (text: string, file: string, parser: Parser): Promise<{ source: SourceText, statements: Array<StatementText<Node>> }> {
  const source = new SourceText(text)
  let parsed
  try {
    // Nothing but comments and blanks: nothing to parse (the parser calls that an error).
    parsed = leading(text) === text.length ? {} : await parser.parse(text)
  } catch (error) {
    const details = (error as { sqlDetails?: { message: string, cursorPosition: number } }).sqlDetails
    // The cursor is a 0-based character index.
    const where = details === undefined ? '' : (({ line, column }) => `:${line}:${column}`)(source.at(source.fromCharacter(details.cursorPosition)))
    throw new SqlSyntaxError(`${file}${where}`, details?.message ?? (error as Error).message)
  }
  return { source, statements: statementTexts(source, parsed.stmts ?? []) }
}

/**
 * Lints one migration. `model` carries the schema from the migrations before it (lintFiles passes
 * one along the directory); alone, the file is its own release.
 */
export async function lintSource (text: string, file: string, parser: Parser, options: Partial<LintOptions> = {}, model = new SchemaModel()): Promise<Finding[]> {
  const { source, statements } = await parseMigration(text, file, parser)
  const resolved = resolveLintOptions(options)
  const contract = CONTRACT_MARK.test(text)
  const analysis = new FileAnalysis(model, resolved, statements.map((s) => s.stmt))
  const findings: Finding[] = []
  const add = (rule: RuleName, charIndex: number, table?: string): void => { findings.push({ file, ...source.at(charIndex), rule, ...RULES[rule], ...(table === undefined ? {} : { table }) }) }
  for (const { stmt, text: statementText, start } of statements) {
    const ignored = new Map<string, string | undefined>()
    for (const [, rules, reason] of statementText.matchAll(IGNORE)) for (const rule of rules.split(/\s*,\s*/)) ignored.set(rule, reason)
    for (const reason of ignored.values()) if (reason === undefined) add('ignore-without-reason', start)
    for (const finding of [...analysis.analyze(stmt, start), ...(stmt === statements[statements.length - 1].stmt ? analysis.finish() : [])]) {
      if (contract && CONTRACT_ONLY.has(finding.rule)) continue
      if (ignored.get(finding.rule) !== undefined) continue
      add(finding.rule, finding.offset, finding.table)
    }
  }
  if (contract && !analysis.raisesFloor) add('contract-without-floor', 0)
  return findings
}

/** A migration file's text (UTF-8, checked). */
export function readMigration (file: string): string {
  return decodeMigration(readBytes(file), file)
}

const isMigration = (name: string): boolean => name.toLowerCase().endsWith('.sql')

/** The .sql files named, and those under the directories named (in name order); none is an error. */
export function migrationFiles (paths: string[]): string[] {
  const files: string[] = []
  for (const path of paths) {
    let stats
    try {
      stats = statSync(path)
    } catch (error) {
      throw new UnreadableError(path, (error as Error).message)
    }
    if (!stats.isDirectory()) { files.push(path); continue }
    const inside = readdirSync(path, { recursive: true }).map(String).filter(isMigration).sort()
    if (inside.length === 0) throw new NoMigrationsError(path)
    files.push(...inside.map((f) => join(path, f)))
  }
  return files
}

export interface LintFilesOptions extends Partial<LintOptions> {
  /** The first migration of this release. */
  since?: string
  parser?: Parser
  /** A pg_dump --schema-only file: the schema before the first migration. */
  schema?: string
  /** The live schema (readLiveSchema): the schema before the first migration, with table sizes. */
  database?: LiveSchema
  smallTableRows?: number
}

/**
 * Lints migrations in order, one schema model across them. Files before `since` (the first
 * migration of this release) only feed the model; tables created from `since` on are new for the
 * whole release. Without `since`, each file is its own release.
 */
export async function lintFiles (paths: string[], options: LintFilesOptions = {}): Promise<Finding[]> {
  const parser = options.parser ?? loadParser()
  const model = new SchemaModel()
  // The schema before the first file: its own findings are not the migrations'.
  if (options.schema !== undefined) {
    await lintSource(readSchemaDump(options.schema), options.schema, parser, options, model)
    assertTables(model, options.schema)
  } else if (options.database !== undefined) {
    await lintSource(options.database.sql, `the schema of database ${options.database.database}`, parser, options, model)
  }
  const findings: Finding[] = []
  let inRelease = false
  for (const file of migrationFiles(paths)) {
    const reached = options.since !== undefined && file.split(/[\\/]/).pop()! >= options.since
    if (!(reached && inRelease)) model.release()
    inRelease = reached
    const found = await lintSource(readMigration(file), file, parser, options, model)
    if (options.since === undefined || reached) findings.push(...found)
  }
  return options.database === undefined ? findings : findings.map((finding) => sized(finding, options.database!.sizes, options.smallTableRows ?? DEFAULT_SMALL_TABLE_ROWS))
}

/** A size-bound finding on a table with fewer rows than `threshold`, marked as of low impact. */
function sized (finding: Finding, sizes: Map<string, TableSize>, threshold: number): Finding {
  const size = finding.table === undefined || !SIZE_BOUND.has(finding.rule) ? undefined : sizes.get(finding.table)
  return size === undefined || size.rows >= threshold ? finding : { ...finding, impact: { table: finding.table!, ...size, threshold } }
}
