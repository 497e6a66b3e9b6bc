import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { analyzeStatement, type FileState } from './analyze'
import { CONTRACT_ONLY, RULES, type RuleName } from './rules'

export interface Finding { file: string, line: number, column: number, rule: RuleName, message: string, alternative: string }

/** The input cannot be linted: unparseable SQL (with the parser's message and position), a missing file. */
export class LintInputError extends Error {}

interface Parser { parse: (sql: string) => Promise<{ stmts?: Array<{ stmt: Record<string, unknown>, stmt_location?: number, stmt_len?: number }> }> }

const CONTRACT_MARK = /--\s*zero-downtime:\s*contract\b/i
const IGNORE = /--\s*zero-downtime-ignore\s+([a-z-]+(?:\s*,\s*[a-z-]+)*)\s*(?::\s*(\S.*))?$/gim

/** libpg-query is an optional peer dependency: loaded only when linting. */
export function loadParser (): Parser {
  try {
    return require('libpg-query') as Parser
  /* c8 ignore next 3: tested where it is not installed (test/package.test.ts) */
  } catch {
    throw new LintInputError('lint-migrations needs the PostgreSQL parser: npm install --save-dev libpg-query')
  }
}

function position (source: string, byteOffset: number): { line: number, column: number } {
  const before = Buffer.from(source).subarray(0, byteOffset).toString()
  const lines = before.split('\n')
  return { line: lines.length, column: lines[lines.length - 1].length + 1 }
}

/** Where the statement's first token is: its text begins after the previous `;`, comments included. */
function firstToken (text: string): number {
  // The pattern also matches the empty string: there is always a match.
  const [leading] = /^(?:\s+|--[^\n]*\n?|\/\*[\s\S]*?\*\/)*/.exec(text) as RegExpExecArray
  return Buffer.byteLength(leading)
}

export async function lintSource (source: string, file: string, parser: Parser, floorTable = 'zero_downtime_compatibility'): Promise<Finding[]> {
  let parsed
  try {
    // Nothing but comments and blanks: nothing to parse (the parser calls that an error).
    parsed = firstToken(source) === Buffer.byteLength(source) ? {} : await parser.parse(source)
  } catch (error) {
    const details = (error as { sqlDetails?: { message: string, cursorPosition: number } }).sqlDetails
    const where = details === undefined ? '' : (({ line, column }) => `:${line}:${column}`)(position(source, Math.max(0, details.cursorPosition - 1)))
    throw new LintInputError(`${file}${where}: cannot parse: ${details?.message ?? (error as Error).message}`)
  }
  const contract = CONTRACT_MARK.test(source)
  const state: FileState = { lockTimeout: false, inTransaction: false, createdTables: new Set(), raisesFloor: false, floorTable }
  const findings: Finding[] = []
  const add = (rule: RuleName, offset: number): void => {
    findings.push({ file, ...position(source, offset), rule, ...RULES[rule] })
  }
  for (const { stmt, stmt_location: location = 0, stmt_len: length } of parsed.stmts ?? []) {
    const text = Buffer.from(source).subarray(location, length === undefined ? undefined : location + length).toString()
    const start = location + firstToken(text)
    const ignored = new Map<string, string | undefined>()
    for (const [, rules, reason] of text.matchAll(IGNORE)) for (const rule of rules.split(/\s*,\s*/)) ignored.set(rule, reason)
    for (const reason of ignored.values()) if (reason === undefined) add('ignore-without-reason', start)
    for (const finding of analyzeStatement(stmt, start, state)) {
      if (contract && CONTRACT_ONLY.has(finding.rule)) continue
      if (ignored.get(finding.rule) !== undefined) continue
      add(finding.rule, finding.offset)
    }
  }
  if (contract && !state.raisesFloor) add('contract-without-floor', 0)
  return findings
}

/** The .sql files named, and those under the directories named, in name order. */
export function migrationFiles (paths: string[]): string[] {
  const files: string[] = []
  for (const path of paths) {
    let stats
    try {
      stats = statSync(path)
    } catch (error) {
      throw new LintInputError(`cannot read ${path}: ${(error as Error).message}`)
    }
    if (!stats.isDirectory()) { files.push(path); continue }
    const inside = readdirSync(path, { recursive: true }).map(String).filter((f) => f.endsWith('.sql')).sort()
    files.push(...inside.map((f) => join(path, f)))
  }
  return files
}

export async function lintFiles (paths: string[], options: { floorTable?: string, parser?: Parser } = {}): Promise<Finding[]> {
  const parser = options.parser ?? loadParser()
  const findings: Finding[] = []
  for (const file of migrationFiles(paths)) findings.push(...await lintSource(readFileSync(file, 'utf8'), file, parser, options.floorTable))
  return findings
}
