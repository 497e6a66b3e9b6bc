#!/usr/bin/env node
import { readFileSync } from 'node:fs'
import { InputError, checkDeployment, readConfig, readDeployments, type CheckerConfig, type Problem } from './k8s'

const USAGE = `Usage: fastify-zero-downtime check <deployment.yaml>... [--config options.json]

Reads Kubernetes Deployment manifests (multi-document YAML) and the plugin's options (JSON, as
passed to app.register; add "resourceTimeouts": [ms, ...] for app.health.resource() timeouts),
and reports each inconsistency with what to change.
Exit codes: 0 no problems, 1 problems found, 2 bad input.`

/** Runs the CLI; returns the exit code. */
export function main (argv: string[], out: (line: string) => void, err: (line: string) => void): number {
  const [command, ...rest] = argv
  if (command === '--help' || command === '-h') { out(USAGE); return 0 }
  const files: string[] = []
  let configFile: string | undefined
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--config') configFile = rest[++i]
    else files.push(rest[i])
  }
  if (command !== 'check' || files.length === 0 || (rest.includes('--config') && configFile === undefined)) {
    err(USAGE)
    return 2
  }
  try {
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
  } catch (error) {
    err(`error: ${(error as InputError).message}`)
    return 2
  }
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
  process.exitCode = main(process.argv.slice(2), (line) => console.log(line), (line) => console.error(line))
}
