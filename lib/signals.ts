import closeWithGrace from 'close-with-grace'
import type { FastifyBaseLogger } from 'fastify'
import { UncleanShutdownError } from './errors'
import type { ResolvedOptions } from './options'
import { describeError } from './redact'
import type { ShutdownReport } from './shutdown'

// Every event close-with-grace can listen for; what no instance asks for is skipped.
const ALL_EVENTS = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGSEGV', 'SIGUSR2', 'SIGTERM', 'uncaughtException', 'unhandledRejection', 'beforeExit']
// Signals are process-wide and so is this; kept on `process` so that two copies of the package share it.
const kProcess = Symbol.for('fastify-zero-downtime.process')

/** One instance of the plugin, as the process sees it. */
export interface ProcessMember {
  log: FastifyBaseLogger
  options: Pick<ResolvedOptions, 'signals' | 'shutdownOnError' | 'gracePeriod'>
  shutdown: () => Promise<ShutdownReport>
}

export interface Membership {
  /** This instance is ready: under PM2, the process says so once every instance is. */
  ready: () => void
  /** This instance has closed. */
  leave: () => void
}

/**
 * The instances of the plugin in this process (a service and its metrics server, say). One signal
 * handler serves them all: on a signal every instance runs its own shutdown at once, and the
 * process exits once, after the last: 0 if all were clean, 1 otherwise (close-with-grace).
 */
class ProcessInstances {
  readonly #members = new Map<ProcessMember, { ready: boolean }>()
  #uninstall: () => void = () => {}
  #shuttingDown = false
  #toldPm2 = false

  join (member: ProcessMember): Membership {
    this.#members.set(member, { ready: false })
    this.#install()
    return {
      ready: () => {
        const entry = this.#members.get(member)
        if (entry !== undefined) entry.ready = true
        this.#tellPm2WhenAllReady()
      },
      leave: () => { this.#leave(member) }
    }
  }

  #leave (member: ProcessMember): void {
    this.#members.delete(member)
    // Once a signal is being handled, its handler finishes the job (and exits).
    if (this.#shuttingDown) return
    if (this.#members.size > 0) return this.#install()
    this.#uninstall()
    delete (process as unknown as Record<symbol, unknown>)[kProcess]
  }

  // (Re)installs one close-with-grace for the union of the events the instances ask for, with the
  // longest of their grace periods.
  #install (): void {
    this.#uninstall()
    this.#uninstall = () => {}
    const members = [...this.#members.keys()]
    const wanted = new Set<string>()
    for (const { options } of members) {
      if (options.signals !== false) for (const signal of options.signals) wanted.add(signal)
      if (options.shutdownOnError) wanted.add('uncaughtException').add('unhandledRejection')
    }
    if (wanted.size === 0) return
    const log = members[0].log
    const { uninstall } = closeWithGrace({
      delay: Math.max(...members.map((m) => m.options.gracePeriod)),
      logger: { error: (err: unknown) => log.error({ reason: describeError(err) }, 'shutdown failed (exit code 1)') },
      skip: ALL_EVENTS.filter((event) => !wanted.has(event)) as closeWithGrace.AllEvents[],
      onSecondSignal: (signal) => log.error({ signal }, `second ${signal} during shutdown: exiting at once (exit code 1)`),
      onSecondError: (err) => log.error({ reason: describeError(err) }, 'second uncaught error during shutdown: exiting at once (exit code 1)'),
      onTimeout: (delay) => log.error(`shutdown did not finish within gracePeriod (${delay} ms): exiting (exit code 1)`)
    }, async ({ signal, err }) => { await this.#shutdownAll(signal, err) })
    this.#uninstall = uninstall
  }

  async #shutdownAll (signal: string | undefined, err: unknown): Promise<void> {
    this.#shuttingDown = true
    const members = [...this.#members.keys()]
    for (const { log } of members) {
      if (err !== undefined) log.error({ reason: describeError(err) }, 'uncaught error: shutting down (exit code 1)')
      else log.info({ signal }, `${String(signal)} received: shutting down`)
    }
    const reports = await Promise.all(members.map(async (member) => await member.shutdown()))
    for (const { log } of members) (log as { flush?: () => void }).flush?.()
    const problems = reports.flatMap((report) => report.problems)
    if (problems.length > 0) throw new UncleanShutdownError(problems.join('; '))
  }

  // PM2 (wait_ready) starts the next worker, or stops the old one, when this one says 'ready'.
  #tellPm2WhenAllReady (): void {
    if (this.#toldPm2 || process.env.pm_id === undefined || typeof process.send !== 'function') return
    if (![...this.#members.values()].every((entry) => entry.ready)) return
    this.#toldPm2 = true
    process.send('ready')
  }
}

/** Adds an instance to this process's signal handling (and PM2 readiness). */
export function joinProcess (member: ProcessMember): Membership {
  const holder = process as unknown as Record<symbol, ProcessInstances | undefined>
  holder[kProcess] ??= new ProcessInstances()
  return holder[kProcess].join(member)
}
