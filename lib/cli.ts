#!/usr/bin/env node
import { readFileSync } from 'node:fs'
import { InputError, checkDeployment, readConfig, readDeployments, type CheckerConfig, type Problem } from './k8s'
import { lintFiles } from './lint'

const USAGE = `Usage:
  fastify-zero-downtime check <deployment.yaml>... [--config options.json]
      Reads Kubernetes Deployment manifests (multi-document YAML) and the plugin's options (JSON,
      as passed to app.register; add "resourceTimeouts": [ms, ...] for app.health.resource()), and
      reports each inconsistency with what to change.
  fastify-zero-downtime lint-migrations <file or dir>... [--format text|json] [--floor-table name]
      Lints PostgreSQL migrations for steps that break the running code during a rolling deploy.
      Destructive steps belong in a migration marked "-- zero-downtime: contract", which must raise
      the compatibility floor. Ignore a finding with "-- zero-downtime-ignore <rule>: <reason>".
Exit codes: 0 nothing found, 1 problems or findings, 2 bad input.`

type Output = (line: string) => void

/** Runs the CLI; resolves with the exit code. */
export async function main (argv: string[], out: Output, err: Output): Promise<number> {
  const [command, ...rest] = argv
  if (command === '--help' || command === '-h') { out(USAGE); return 0 }
  const flags = new Map<string, string | undefined>()
  const files: string[] = []
  for (let i = 0; i < rest.length; i++) {
    if (rest[i].startsWith('--')) flags.set(rest[i], rest[++i])
    else files.push(rest[i])
  }
  const known = command === 'check' ? ['--config'] : ['--format', '--floor-table']
  const badFlag = [...flags].some(([flag, value]) => !known.includes(flag) || value === undefined)
  const badFormat = !['text', 'json', undefined].includes(flags.get('--format'))
  if (!['check', 'lint-migrations'].includes(command) || files.length === 0 || badFlag || badFormat) {
    err(USAGE)
    return 2
  }
  try {
    return command === 'check' ? check(files, flags.get('--config'), out) : await lint(files, flags, out)
  } catch (error) {
    err(`error: ${(error as Error).message}`)
    return 2
  }
}

function check (files: string[], configFile: string | undefined, out: Output): number {
  const config = readConfig(configFile === undefined ? {} : parseJson(configFile))
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

async function lint (files: string[], flags: Map<string, string | undefined>, out: Output): Promise<number> {
  const findings = await lintFiles(files, { floorTable: flags.get('--floor-table') })
  if (flags.get('--format') === 'json') {
    out(JSON.stringify(findings, null, 2))
  } else {
    for (const f of findings) out(`${f.file}:${f.line}:${f.column} ${f.rule} ${f.message} (safe alternative: ${f.alternative})`)
    out(findings.length === 0 ? 'no findings' : `${findings.length} finding(s)`)
  }
  return findings.length === 0 ? 0 : 1
}

/** A Deployment whose fields have the wrong types (containers: 5) is bad input, not a crash. */
function checkWithin (file: string, deployment: Parameters<typeof checkDeployment>[0], config: CheckerConfig): Problem[] {
  try {
    return checkDeployment(deployment, config)
  } catch (error) {
    throw new InputError(`${file}: not a Deployment the checker can read (${(error as Error).message})`)
  }
}

function parseJson (file: string): unknown {
  const text = read(file)
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new InputError(`${file}: invalid JSON: ${(error as Error).message}`)
  }
}

function read (file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    throw new InputError(`cannot read ${file}: ${(error as Error).message}`)
  }
}

if (require.main === module) {
  main(process.argv.slice(2), (line) => console.log(line), (line) => console.error(line)).then((code) => { process.exitCode = code })
}
