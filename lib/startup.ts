import type { FastifyBaseLogger } from 'fastify'
import { StartupFailedError, TooLateError } from './errors'
import { assertFunction, assertNewName } from './names'
import { describeError } from './redact'

export type StartupTaskFunction = (context: { signal: AbortSignal }) => unknown

interface Task { name: string, fn: StartupTaskFunction, status: 'pending' | 'done' | 'failed' }

/** Work that must finish before the instance takes traffic, run in order after ready(). */
export class StartupTasks {
  readonly #tasks: Task[] = []
  readonly #controller = new AbortController()
  #started = false
  #failure: string | undefined
  readonly #onChange: () => void

  /** `onChange` is called whenever a task finishes or fails, or startup fails. */
  constructor (onChange: () => void) {
    this.#onChange = onChange
  }

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

  /** Runs the tasks one after the other; a failing task stops the rest and fails startup. */
  async run (log: FastifyBaseLogger): Promise<void> {
    this.#started = true
    for (const task of this.#tasks) {
      try {
        await task.fn({ signal: this.#controller.signal })
        // A task that returns once aborted did not finish its work.
        if (this.#controller.signal.aborted) return
        task.status = 'done'
        this.#onChange()
      } catch (error) {
        // A task that gives up because it was aborted (shutdown, startupTimeout) is not the cause.
        if (this.#controller.signal.aborted) return
        task.status = 'failed'
        this.#onChange()
        this.fail(log, `startup task "${task.name}" failed: ${describeError(error)}`)
        return
      }
    }
  }

  /** Marks startup as failed for good (a task threw, or startupTimeout expired) and aborts what runs. */
  fail (log: FastifyBaseLogger, reason: string): void {
    this.#failure = reason
    this.#onChange()
    log.error({ err: new StartupFailedError(reason) }, `startup failed: ${reason}; the instance will not become ready`)
    this.abort(new StartupFailedError(reason))
  }

  abort (reason: unknown): void {
    this.#controller.abort(reason)
  }
}
