import type { FastifyBaseLogger } from 'fastify'
import { WORKER_REACT_MS, type WorkerBudget } from './budget'
import { withDeadline } from './deadline'
import { InvalidArgumentError, TooLateError, WorkerTimeoutError, describe } from './errors'
import { assertFunction, assertNewName, assertOptions } from './names'
import { duration } from './options'
import { describeError } from './redact'

export interface WorkerContext {
  /** In stop: aborts when the worker's timeout expires (give back what has not started, cut the rest). In start: aborts when a shutdown begins. */
  signal: AbortSignal
  /** The app's logger, bound to the worker's name. */
  log: FastifyBaseLogger
}

/** What a stop may resolve with: how many units of work (messages, connections) it had to cut short. */
export interface WorkerOutcome { cut?: number }

export type WorkerStop = (context: WorkerContext) => unknown

/** Long-lived work the shutdown stops and awaits: a queue consumer, open WebSockets, SSE streams. */
export interface Worker {
  /** Called once, when the instance becomes ready (so no work is taken before startup is done). */
  start?: (context: WorkerContext) => unknown
  /** Called once during the shutdown; the shutdown awaits it, within `timeout`. */
  stop: WorkerStop
}

export interface WorkerOptions {
  /** Milliseconds the stop may take. Default: the `drainTimeout` option. */
  timeout?: number
  /**
   * true: the work arrives through the balancer (WebSockets, SSE), so it is stopped once
   * shutdownDelay is over and clients reconnect elsewhere. false (default): it comes from elsewhere
   * (a queue), so it is stopped as soon as the shutdown begins.
   */
  http?: boolean
}

export interface WorkerReport {
  name: string
  http: boolean
  /** How long the stop took, in ms. */
  ms: number
  /** stopped: all work finished; cut: some was cut short at the timeout; timeout: the stop itself did not return; failed: it threw. */
  outcome: 'stopped' | 'cut' | 'timeout' | 'failed'
  cut: number
}

interface Entry { name: string, worker: Worker, timeout: number, http: boolean, react: number, hasWork: () => boolean, started?: Promise<unknown> }

/** What only the plugin's own workers set: the reaction time after the timeout, whether there is anything to stop. */
interface BuiltIn { react?: number, hasWork?: () => boolean }

/** The registered workers: started when the instance is ready, stopped by the shutdown. */
export class Workers {
  readonly #entries: Entry[] = []
  readonly #defaultTimeout: number
  readonly #starting = new AbortController()
  #sealed = false

  constructor (defaultTimeout: number) {
    this.#defaultTimeout = defaultTimeout
  }

  /**
   * A validated worker, not kept yet (the caller checks the budget in between). `react`: how long
   * its stop may still take once its signal aborted; `hasWork`: false to skip it (and its report).
   */
  add (name: unknown, worker: unknown, options: unknown = {}, { react = WORKER_REACT_MS, hasWork = () => true }: BuiltIn = {}): Entry {
    assertNewName('worker', name, { has: (n) => this.#entries.some((e) => e.name === n) })
    if (this.#sealed) throw new TooLateError('worker', name)
    const where = `health.worker("${name}")`
    const resolved = typeof worker === 'function' ? { stop: worker as WorkerStop } : worker
    if (typeof resolved !== 'object' || resolved === null) throw new InvalidArgumentError(where, describe(worker), 'a stop function ({ signal }) => Promise<void>, or an object { start?, stop }')
    const { start, stop } = resolved as Partial<Worker>
    assertFunction(`${where} stop`, stop, 'a function ({ signal }) => Promise<void> that stops taking work and resolves once what was taken is done')
    if (start !== undefined) assertFunction(`${where} start`, start, 'a function ({ signal }) => void | Promise<void>, or no start')
    assertOptions(where, options, ['timeout', 'http'])
    const { timeout, http } = options as WorkerOptions
    if (http !== undefined && typeof http !== 'boolean') throw new InvalidArgumentError(`${where} option "http"`, describe(http), 'a boolean')
    return { name, worker: { start, stop }, timeout: duration(`${where} timeout`, timeout, this.#defaultTimeout, { positive: true }), http: http ?? false, react, hasWork }
  }

  keep (entry: Entry): void {
    this.#entries.push(entry)
  }

  /** The kept workers, for the shutdown budget. */
  get stops (): readonly WorkerBudget[] {
    return this.#entries
  }

  /** At ready: starts each worker that has a start; resolves with the names of those that failed. */
  async startAll (log: FastifyBaseLogger): Promise<string[]> {
    this.#sealed = true
    const failed: string[] = []
    await Promise.all(this.#entries.map(async (entry) => {
      if (entry.worker.start === undefined) return
      entry.started = (async () => { await entry.worker.start?.({ signal: this.#starting.signal, log: log.child({ worker: entry.name }) }) })()
      try {
        await entry.started
        log.info({ worker: entry.name }, `worker "${entry.name}" started`)
      } catch (error) {
        failed.push(entry.name)
        log.error({ worker: entry.name, reason: describeError(error) }, `worker "${entry.name}" failed to start`)
      }
    }))
    return failed
  }

  /**
   * Stops the workers of one kind, all at once, each within its timeout. A worker with a start that
   * never ran (a shutdown before ready) has nothing to stop.
   */
  async stop (http: boolean, log: FastifyBaseLogger): Promise<WorkerReport[]> {
    this.#sealed = true
    this.#starting.abort(new Error('shutting down'))
    const entries = this.#entries.filter((e) => e.http === http && (e.worker.start === undefined || e.started !== undefined))
    return await Promise.all(entries.filter((e) => e.hasWork()).map(async (entry) => await this.#stopOne(entry, log)))
  }

  async #stopOne (entry: Entry, log: FastifyBaseLogger): Promise<WorkerReport> {
    const { name, timeout } = entry
    const began = performance.now()
    const report = (outcome: WorkerReport['outcome'], cut = 0): WorkerReport => ({ name, http: entry.http, ms: Math.round(performance.now() - began), outcome, cut })
    log.info({ worker: name }, `stopping worker "${name}"`)
    try {
      const result = await withDeadline(timeout, async (signal) => {
        await entry.started?.catch(() => {})
        return await entry.worker.stop({ signal, log: log.child({ worker: name }) })
      }, { reason: () => new WorkerTimeoutError(name, timeout), grace: entry.react })
      if (result.expired) {
        log.error({ worker: name, timeout }, `worker "${name}" did not stop within its timeout (${timeout} ms); abandoning it`)
        return report('timeout')
      }
      const cut = countCut(result.value)
      if (cut > 0) {
        log.error({ worker: name, cut }, `worker "${name}" cut ${cut} unit(s) of work short at its timeout (${timeout} ms)`)
        return report('cut', cut)
      }
      const done = report('stopped')
      log.info({ worker: name, ms: done.ms }, `worker "${name}" stopped in ${done.ms} ms`)
      return done
    } catch (error) {
      log.error({ worker: name, reason: describeError(error) }, `worker "${name}" failed to stop`)
      return report('failed')
    }
  }
}

function countCut (value: unknown): number {
  const cut = (value as WorkerOutcome | undefined)?.cut
  return typeof cut === 'number' && cut > 0 ? cut : 0
}

/** The shutdown report's line for a worker that did not stop cleanly, if it did not. */
export function workerProblem ({ name, outcome, cut }: WorkerReport): string | undefined {
  switch (outcome) {
    case 'stopped': return undefined
    case 'cut': return `worker "${name}" cut ${cut} unit(s) of work short at its timeout`
    case 'timeout': return `worker "${name}" did not stop within its timeout`
    case 'failed': return `worker "${name}" failed to stop`
  }
}
