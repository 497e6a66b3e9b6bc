import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { NoMigrationsError, SqlSyntaxError, UnreadableError } from '../errors'
import { FileAnalysis, type LintOptions } from './analyze'
import { CONTRACT_ONLY, RULES, type RuleName } from './rules'
import { SchemaModel, type Node } from './schema'
import { SourceText, decodeMigration } from './source'

export type { LintOptions } from './analyze'

export interface Finding { file: string, line: number, column: number, rule: RuleName, message: string, alternative: string }

export interface Parser { parse: (sql: string) => Promise<{ stmts?: Array<{ stmt: Node, stmt_location?: number, stmt_len?: number }> }> }

/** PostgreSQL 17: the grammar of the parser (libpg-query 17) and a current major. */
export const DEFAULT_PG_VERSION = 17

const CONTRACT_MARK = /--\s*zero-downtime:\s*contract\b/i
const IGNORE = /--\s*zero-downtime-ignore\s+([a-z-]+(?:\s*,\s*[a-z-]+)*)\s*(?::\s*(\S.*))?$/gim
const LEADING = /^(?:\s+|--[^\n]*\n?|\/\*[\s\S]*?\*\/)*/
// The pattern also matches the empty string: there is always a match.
const leading = (text: string): number => (LEADING.exec(text) as RegExpExecArray)[0].length

/** Loaded on first use: `check` does not pay for the parser. */
export function loadParser (): Parser {
  return require('libpg-query') as Parser
}

export function resolveLintOptions (options: Partial<LintOptions> = {}): LintOptions {
  return {
    pgVersion: options.pgVersion ?? DEFAULT_PG_VERSION,
    assumeLockTimeout: options.assumeLockTimeout ?? false,
    floorTable: options.floorTable ?? 'zero_downtime_compatibility'
  }
}

/**
 * Lints one migration. `model` carries the schema from the migrations before it (lintFiles passes
 * one along the directory); alone, the file is its own release.
 */
export async function lintSource (text: string, file: string, parser: Parser, options: Partial<LintOptions> = {}, model = new SchemaModel()): Promise<Finding[]> {
  const source = new SourceText(text)
  const resolved = resolveLintOptions(options)
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
  const statements = parsed.stmts ?? []
  const contract = CONTRACT_MARK.test(text)
  const analysis = new FileAnalysis(model, resolved, statements.map((s) => s.stmt))
  const findings: Finding[] = []
  const add = (rule: RuleName, charIndex: number): void => { findings.push({ file, ...source.at(charIndex), rule, ...RULES[rule] }) }
  for (const { stmt, stmt_location: location = 0, stmt_len: length } of statements) {
    const begin = source.char(location)
    const statementText = text.slice(begin, length === undefined ? undefined : source.char(location + length))
    const start = begin + leading(statementText)
    const ignored = new Map<string, string | undefined>()
    for (const [, rules, reason] of statementText.matchAll(IGNORE)) for (const rule of rules.split(/\s*,\s*/)) ignored.set(rule, reason)
    for (const reason of ignored.values()) if (reason === undefined) add('ignore-without-reason', start)
    for (const finding of [...analysis.analyze(stmt, start), ...(stmt === statements[statements.length - 1].stmt ? analysis.finish() : [])]) {
      if (contract && CONTRACT_ONLY.has(finding.rule)) continue
      if (ignored.get(finding.rule) !== undefined) continue
      add(finding.rule, finding.offset)
    }
  }
  if (contract && !analysis.raisesFloor) add('contract-without-floor', 0)
  return findings
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

/**
 * Lints migrations in order, one schema model across them. Files before `since` (the first
 * migration of this release) only feed the model; tables created from `since` on are new for the
 * whole release. Without `since`, each file is its own release.
 */
export async function lintFiles (paths: string[], options: Partial<LintOptions> & { since?: string, parser?: Parser } = {}): Promise<Finding[]> {
  const parser = options.parser ?? loadParser()
  const model = new SchemaModel()
  const findings: Finding[] = []
  let inRelease = false
  for (const file of migrationFiles(paths)) {
    const reached = options.since !== undefined && file.split(/[\\/]/).pop()! >= options.since
    if (!(reached && inRelease)) model.release()
    inRelease = reached
    let bytes
    try {
      bytes = readFileSync(file)
    } catch (error) {
      throw new UnreadableError(file, (error as Error).message)
    }
    const found = await lintSource(decodeMigration(bytes, file), file, parser, options, model)
    if (options.since === undefined || reached) findings.push(...found)
  }
  return findings
}
