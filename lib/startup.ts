import type { FastifyBaseLogger } from 'fastify'
import { StartupFailedError, TooLateError } from './errors'
import { assertFunction, assertNewName } from './names'
import { describeError } from './redact'
import type { CheckGroup, Registry, RegisteredCheck } from './registry'

export type StartupTaskFunction = (context: { signal: AbortSignal }) => unknown

// The checks whose first pass startup waits for.
const GATING: CheckGroup[] = ['readiness', 'startup']

interface Task { name: string, fn: StartupTaskFunction, status: 'pending' | 'done' | 'failed' }

/** Work that must finish before the instance takes traffic, run in order after ready(). */
export class StartupTasks {
  readonly #tasks: Task[] = []
  readonly #controller = new AbortController()
  #started = false
  #failure: string | undefined

  add (name: unknown, fn: unknown): void {
    assertNewName('startup task', name, { has: (n) => this.#tasks.some((t) => t.name === n) })
    if (this.#started) throw new TooLateError('startup task', name)
    assertFunction(`health.startupTask("${name}")`, fn, 'a function ({ signal }) => void | Promise<void>')
    this.#tasks.push({ name, fn: fn as StartupTaskFunction, status: 'pending' })
  }

  get done (): boolean {
    return this.#started && this.#tasks.every((t) => t.status === 'done')
  }

  /** Why startup can never complete, if it cannot. */
  get failure (): string | undefined {
    return this.#failure
  }

  get list (): ReadonlyArray<Readonly<Task>> {
    return this.#tasks
  }

  /**
   * Runs the tasks one after the other; a failing task stops the rest and fails startup.
   * `changed` is called whenever a task finishes or fails.
   */
  async run (log: FastifyBaseLogger, changed: () => void): Promise<void> {
    this.#started = true
    for (const task of this.#tasks) {
      try {
        await task.fn({ signal: this.#controller.signal })
        // A task that returns once aborted did not finish its work.
        if (this.#controller.signal.aborted) return
        task.status = 'done'
        changed()
      } catch (error) {
        // A task that gives up because it was aborted (shutdown, startupTimeout) is not the cause.
        if (this.#controller.signal.aborted) return
        task.status = 'failed'
        this.fail(log, `startup task "${task.name}" failed: ${describeError(error)}`)
        changed()
        return
      }
    }
  }

  /** Marks startup as failed for good (a task threw, or startupTimeout expired) and aborts what runs. */
  fail (log: FastifyBaseLogger, reason: string): void {
    this.#failure = reason
    log.error({ err: new StartupFailedError(reason) }, `startup failed: ${reason}; the instance will not become ready`)
    this.abort(new StartupFailedError(reason))
  }

  abort (reason: unknown): void {
    this.#controller.abort(reason)
  }
}

/**
 * When the instance may take traffic: every startup task done and each gating check (critical,
 * in readiness or startup) passed once, within startupTimeout. The lifecycle asks `complete`.
 */
export class StartupGate {
  readonly #log: FastifyBaseLogger
  readonly #tasks: StartupTasks
  readonly #registry: Registry
  readonly #timeout: number
  #timer: NodeJS.Timeout | undefined

  constructor (log: FastifyBaseLogger, tasks: StartupTasks, registry: Registry, timeout: number) {
    this.#log = log
    this.#tasks = tasks
    this.#registry = registry
    this.#timeout = timeout
  }

  get complete (): boolean {
    return this.#tasks.done && this.#tasks.failure === undefined && this.gatingChecks().every((c) => c.passedOnce)
  }

  gatingChecks (): RegisteredCheck[] {
    return this.#registry.list().filter((c) => c.critical && GATING.some((g) => c.groups.has(g)))
  }

  /**
   * After the first round of checks: arms startupTimeout, runs the tasks, then gives the checks
   * not yet passed another run and calls `progressed`. `status` names what startup waits for and
   * hears of each change.
   */
  begin (stillStarting: boolean, status: { waitingFor: () => string, changed: () => void }, progressed: () => void): void {
    if (this.#timeout > 0 && stillStarting) {
      this.#timer = setTimeout(() => {
        this.#tasks.fail(this.#log, `not complete within startupTimeout (${this.#timeout} ms); waiting for: ${status.waitingFor()}`)
        status.changed()
      }, this.#timeout).unref()
    }
    this.#tasks.run(this.#log, () => status.changed()).then(() => {
      if (this.#tasks.failure !== undefined) return this.stop()
      this.#registry.rerunUnpassed()
      progressed()
    }, /* c8 ignore next */ (err) => this.#log.error({ reason: describeError(err) }, 'startup failed'))
  }

  /** A close began before the instance was ready: the tasks and the first round give up. */
  abort (): void {
    this.stop()
    this.#tasks.abort(new Error('shutting down'))
    this.#registry.abortFirstRound()
  }

  /** Ready, failed or closing: the timeout no longer applies. */
  stop (): void {
    clearTimeout(this.#timer)
  }
}
