import { readFileSync, realpathSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'

/** Who started this process, and how long it lets a shutdown run before it kills the process. */
export interface Launcher {
  name: string
  /** Milliseconds from the signal to the launcher's own kill; undefined when it cannot be read. */
  killAfter: number | undefined
  /** The setting that raises it, with `%d` for the value to use. */
  setting: string
  /** The signal it stops the process with, when it is not SIGTERM. */
  signal?: string
}

export interface ProcessFacts {
  env: NodeJS.ProcessEnv
  /** process.argv[1]: the main script. */
  main: string | undefined
  /** The process's own command line, as the kernel keeps it (fastify-cli empties process.argv). */
  commandLine: () => string[] | undefined
}

export function currentProcess (): ProcessFacts {
  return {
    env: process.env,
    main: process.argv[1],
    commandLine: () => readCommandLine()
  }
}

/** A process's arguments as the kernel keeps them; undefined where there is no such file (not Linux). */
export function readCommandLine (file = '/proc/self/cmdline'): string[] | undefined {
  try {
    return readFileSync(file, 'utf8').split('\0').slice(0, -1)
  } catch {
    return undefined
  }
}

const PM2_DEFAULT_KILL_TIMEOUT = 1600

function realMain (main: string | undefined): string | undefined {
  if (main === undefined) return undefined
  try {
    return realpathSync(main)
  } catch {
    return main
  }
}

/** fastify-cli's close grace delay, read with fastify-cli's own argument parser. */
function fastifyCliGraceDelay (cli: string, facts: ProcessFacts): number | undefined {
  const commandLine = facts.commandLine()
  const start = commandLine?.indexOf('start') ?? -1
  if (commandLine === undefined || start < 0) return undefined
  try {
    const parseArgs = require(join(dirname(cli), 'args.js')) as (args: string[]) => { closeGraceDelay?: unknown }
    const delay = Number(parseArgs(commandLine.slice(start + 1)).closeGraceDelay)
    return Number.isFinite(delay) ? delay : undefined
  } catch {
    return undefined
  }
}

export function detectLaunchers (facts: ProcessFacts = currentProcess()): Launcher[] {
  const launchers: Launcher[] = []
  const main = realMain(facts.main)
  if (main !== undefined && basename(main) === 'cli.js' && basename(dirname(main)) === 'fastify-cli') {
    launchers.push({
      name: "fastify-cli's close grace delay",
      killAfter: fastifyCliGraceDelay(main, facts),
      setting: 'start it with `fastify start -g %d` (or FASTIFY_CLOSE_GRACE_DELAY=%d)'
    })
  }
  if (facts.env.pm_id !== undefined) {
    const killTimeout = Number(facts.env.kill_timeout ?? PM2_DEFAULT_KILL_TIMEOUT)
    launchers.push({
      name: "PM2's kill_timeout",
      killAfter: Number.isFinite(killTimeout) ? killTimeout : undefined,
      setting: 'set `kill_timeout: %d` in the ecosystem file (or `pm2 start --kill-timeout %d`)',
      signal: facts.env.PM2_KILL_SIGNAL ?? 'SIGINT'
    })
  }
  return launchers
}

/**
 * One warning per launcher setting that would drop requests: a kill before a shutdown of `needed`
 * ms can end, or a stop signal the plugin does not listen for.
 */
export function launcherWarnings (needed: number, launchers: Launcher[], signals: readonly string[] | false): string[] {
  const warnings: string[] = []
  for (const { name, killAfter, setting, signal } of launchers) {
    if (signal !== undefined && signals !== false && !signals.includes(signal)) {
      warnings.push(`zero-downtime: ${name.split("'")[0]} stops the process with ${signal}, which the signals option (${signals.join(', ')}) leaves out: the process would die at once. Add "${signal}" to signals`)
    }
    const fix = setting.replaceAll('%d', String(needed))
    if (killAfter === undefined) {
      warnings.push(`zero-downtime: cannot read ${name}; it must be at least ${needed} ms (the shutdown budget) or the shutdown is cut short: ${fix}`)
    } else if (killAfter < needed) {
      warnings.push(`zero-downtime: ${name} is ${killAfter} ms, shorter than the shutdown budget (${needed} ms): the process would be killed mid-shutdown and requests dropped. ${fix[0].toUpperCase()}${fix.slice(1)}`)
    }
  }
  return warnings
}
