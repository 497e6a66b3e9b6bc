#!/usr/bin/env node
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError, ManifestError, UnreadableError, UsageError, isInputError } from './errors'
import { knownOptions, redact, shownKey } from 'fastify-zero-downtime/messages'
import { DEFAULT_PROPAGATION, checkDeployment, readConfig, readDeployments, type CheckerConfig, type Problem } from './k8s'
import { DEFAULT_PG_VERSION, DEFAULT_SMALL_TABLE_ROWS, lintFiles, type Finding, type LowImpact } from './lint'
import { readLiveSchema, type LiveSchema } from './lint/catalog'
import { traceMigrations, traceText, type TraceReport } from './trace'

const USAGE = `Usage:
  fastify-zero-downtime check <deployment.yaml>... [--config options.json] [--propagation seconds]
      Reads Kubernetes Deployment manifests (multi-document YAML) and the plugin's options (JSON,
      as passed to app.register; add "resourceTimeouts": [ms, ...] for app.health.resource() and "workers": [{ "timeout": ms, "http": bool }] for app.health.worker()), and
      reports each inconsistency with what to change. --propagation: the cluster's endpoint
      propagation delay (default ${DEFAULT_PROPAGATION / 1000} s), which shutdownDelay must cover.
  fastify-zero-downtime lint-migrations <file or dir>... [options]
      Lints PostgreSQL migrations (in name order, one schema model across them) for steps that
      break the running code or block it during a rolling deploy. Destructive steps belong in a
      migration marked "-- zero-downtime: contract", which must raise the compatibility floor.
      Ignore a finding with "-- zero-downtime-ignore <rule>: <reason>".
      --format text|json        output (default text)
      --pg-version <major>      the PostgreSQL the migrations run on (default ${DEFAULT_PG_VERSION})
      --assume-lock-timeout     the role or database sets lock_timeout: statements need not
      --since <file name>       the first migration of this release: earlier files only feed the
                                schema model; tables created from it on count as new
      --floor-table <name>      the compatibility floor table (default zero_downtime_compatibility)
      --transaction per-file|none  whether the migration tool runs each file without BEGIN in a
                                transaction (default per-file; see docs/migrations.md for each tool)
      --schema <file>           the schema before the first file, from pg_dump --schema-only:
                                column types, NOT NULL, defaults and checks the files do not show
      --database-url <url>      the same read from the database itself (default DATABASE_URL,
                                unless --schema is given), read only, with each table's size
      --small-table-rows <n>    with a database: a table with fewer rows makes a scan, rewrite or
                                index build of low impact, reported but not failing (default ${DEFAULT_SMALL_TABLE_ROWS})
      --trace <url>             also run each file on this scratch database, in a transaction
                                rolled back, and report each statement's locks, rewrites and time
      --allow-any-database      trace on a database whose name or sessions do not look scratch
  fastify-zero-downtime --version
Exit codes: 0 nothing found, 1 problems or findings, 2 bad input, 3 a bug in this tool.`

type Output = (line: string) => void

// Each command's flags: whether it takes a value.
export const FLAGS: Record<string, Record<string, boolean>> = {
  check: { '--config': true, '--propagation': true },
  'lint-migrations': { '--format': true, '--transaction': true, '--schema': true, '--pg-version': true, '--since': true, '--floor-table': true, '--assume-lock-timeout': false, '--trace': true, '--allow-any-database': false, '--database-url': true, '--small-table-rows': true }
}

const COMMANDS = [...Object.keys(FLAGS), '--help', '--version']

/** Runs the CLI; resolves with the exit code. `env`: where DATABASE_URL is read. */
export async function main (argv: string[], out: Output, err: Output, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    return await run(argv, out, env)
  } catch (error) {
    if (!isInputError(error)) {
      err(`internal error: this is a bug in fastify-zero-downtime-cli, please report it with the input that caused it\n${(error as Error).stack ?? String(error)}`)
      return 3
    }
    err(`error ${error.code}: ${error.message}${error.code === 'FST_ZD_CLI_USAGE' ? `\n\n${USAGE}` : ''}`)
    return 2
  }
}

async function run (argv: string[], out: Output, env: NodeJS.ProcessEnv): Promise<number> {
  const [command, ...rest] = argv
  if (command === '--help' || command === '-h') { out(USAGE); return 0 }
  if (command === '--version' || command === '-v') { out(version()); return 0 }
  const known = FLAGS[command]
  if (known === undefined) throw new UsageError(`${command === undefined ? 'no command given' : `unknown command "${shownKey(command, COMMANDS)}"`}: expected ${knownOptions(command ?? '', COMMANDS, 'commands')}`)
  const flags = new Map<string, string>()
  const files: string[] = []
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]
    if (!arg.startsWith('--')) { files.push(arg); continue }
    const [name, inline] = arg.split(/=(.*)/s)
    const takesValue = known[name]
    if (takesValue === undefined) throw new UsageError(`unknown option ${shownKey(name, Object.keys(known))} for ${command}: expected ${knownOptions(name, Object.keys(known))}`)
    const value = takesValue ? inline ?? rest[++i] : ''
    if (value === undefined) throw new UsageError(`${name} needs a value: expected ${name} <value>`)
    flags.set(name, value)
  }
  if (files.length === 0) throw new UsageError(`${command}: no file given: expected ${command === 'check' ? 'one or more Deployment manifests (YAML)' : 'one or more migration files (.sql) or directories of them'}`)
  return command === 'check' ? check(files, flags, out) : await lint(files, flags, out, env)
}

function version (): string {
  // One level up from lib/main.ts and from dist/main.js alike.
  const { name, version } = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { name: string, version: string }
  return `${name} ${version}`
}

function check (files: string[], flags: Map<string, string>, out: Output): number {
  const configFile = flags.get('--config')
  const propagation = flags.has('--propagation') ? Number(flags.get('--propagation')) : DEFAULT_PROPAGATION / 1000
  if (!Number.isFinite(propagation) || propagation < 0) throw new UsageError(`--propagation ${redact(String(flags.get('--propagation')))}: expected seconds, 0 or more`)
  const config = readConfig(configFile === undefined ? {} : parseJson(configFile), propagation * 1000)
  let count = 0
  for (const file of files) {
    for (const deployment of readDeployments(read(file), file)) {
      for (const problem of checkWithin(file, deployment, config)) {
        count++
        out(`${file}: ${problem.where}: ${problem.rule}: ${problem.message}. Fix: ${problem.fix}.`)
      }
    }
  }
  out(count === 0 ? 'no problems found' : `${count} problem(s) found`)
  return count === 0 ? 0 : 1
}

async function lint (files: string[], flags: Map<string, string>, out: Output, env: NodeJS.ProcessEnv): Promise<number> {
  const format = flags.get('--format') ?? 'text'
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format ${redact(format)}: expected text or json`)
  const pgVersion = flags.has('--pg-version') ? Number(flags.get('--pg-version')) : undefined
  if (pgVersion !== undefined && !(Number.isInteger(pgVersion) && pgVersion >= 9 && pgVersion <= 99)) throw new UsageError(`--pg-version ${redact(String(flags.get('--pg-version')))}: expected a PostgreSQL major version such as ${DEFAULT_PG_VERSION}`)
  const transaction = flags.get('--transaction') ?? 'per-file'
  if (transaction !== 'per-file' && transaction !== 'none') throw new UsageError(`--transaction ${redact(transaction)}: expected per-file (the tool wraps each file in a transaction) or none`)
  const url = flags.get('--trace')
  if (url === undefined && flags.has('--allow-any-database')) throw new UsageError('--allow-any-database is for --trace: expected --trace <url> with it')
  const databaseUrl = schemaSource(flags, env)
  const smallTableRows = flags.has('--small-table-rows') ? Number(flags.get('--small-table-rows')) : undefined
  if (smallTableRows !== undefined && !(Number.isSafeInteger(smallTableRows) && smallTableRows >= 0)) throw new UsageError(`--small-table-rows ${redact(String(flags.get('--small-table-rows')))}: expected a number of rows, 0 or more`)
  if (smallTableRows !== undefined && databaseUrl === undefined) throw new UsageError('--small-table-rows needs the tables\' sizes: expected --database-url <url> (or DATABASE_URL) with it; a schema dump holds no sizes')
  const since = flags.get('--since')
  const database: LiveSchema | undefined = databaseUrl === undefined ? undefined : await readLiveSchema(databaseUrl)
  const findings = await lintFiles(files, { floorTable: flags.get('--floor-table'), pgVersion: pgVersion ?? database?.pgVersion, assumeLockTimeout: flags.has('--assume-lock-timeout'), since, transaction, schema: flags.get('--schema'), database, smallTableRows })
  // The URL is asked for by name, never taken from DATABASE_URL: tracing a database must be meant.
  const trace: TraceReport | undefined = url === undefined ? undefined : await traceMigrations(url, files, { since, allowAnyDatabase: flags.has('--allow-any-database') })
  const failing = findings.filter((f) => f.impact === undefined).length
  if (format === 'json') {
    out(JSON.stringify(trace === undefined ? findings : { findings, trace }, null, 2))
  } else {
    if (database !== undefined) out(`schema read from database ${redact(database.database)} (PostgreSQL ${database.pgVersion}, ${database.tables} tables)`)
    for (const f of findings) out(findingText(f))
    out(findings.length === 0 ? 'no findings' : `${findings.length} finding(s)${failing === findings.length ? '' : `, ${findings.length - failing} of low impact (small tables: not failing)`}`)
    if (trace !== undefined) for (const line of traceText(trace)) out(line)
  }
  return failing === 0 ? 0 : 1
}

/** The database to read the schema from: --database-url, else DATABASE_URL unless a dump is given. */
function schemaSource (flags: Map<string, string>, env: NodeJS.ProcessEnv): string | undefined {
  const given = flags.get('--database-url')
  if (given !== undefined && flags.has('--schema')) throw new UsageError('--schema and --database-url are two sources of one schema: expected one of them')
  if (given === '') throw new UsageError('--database-url is empty: expected the URL of the database the migrations run on (postgres://user@host:port/database)')
  return given ?? (flags.has('--schema') || env.DATABASE_URL === '' ? undefined : env.DATABASE_URL)
}

function findingText (f: Finding): string {
  return `${f.file}:${f.line}:${f.column} ${f.rule} ${f.message} (safe alternative: ${f.alternative})${f.impact === undefined ? '' : `; ${impactText(f.impact)}`}`
}

function impactText ({ table, rows, basis, bytes, threshold }: LowImpact): string {
  const size = bytes < 2 ** 20 ? `${Math.ceil(bytes / 1024)} kB` : `${(bytes / 2 ** 20).toFixed(1)} MB`
  const count = basis === 'statistics' ? `about ${rows} rows` : `at most ${rows} rows (not analyzed yet: counted from its pages)`
  return `low impact: ${table} has ${count}, ${size}, under --small-table-rows ${threshold}`
}

/** A Deployment whose fields have the wrong types (containers: 5) is bad input, not a crash. */
function checkWithin (file: string, deployment: Parameters<typeof checkDeployment>[0], config: CheckerConfig): Problem[] {
  try {
    return checkDeployment(deployment, config)
  } catch (error) {
    throw new ManifestError(`${file}: not a Deployment the checker can read (${(error as Error).message})`)
  }
}

function parseJson (file: string): unknown {
  const text = read(file)
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new ConfigError(`${file}: invalid JSON: ${(error as Error).message}`)
  }
}

function read (file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    throw new UnreadableError(file, (error as Error).message)
  }
}

if (require.main === module) {
  main(process.argv.slice(2), (line) => console.log(line), (line) => console.error(line)).then((code) => { process.exitCode = code })
}
