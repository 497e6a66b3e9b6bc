import type { FastifyBaseLogger } from 'fastify'
import { AnswerCache, type Answer } from './answers'
import { InvalidArgumentError, describe } from './errors'
import { liveReport, oneReport, readyReport, startupReport, type LifecycleSnapshot, type LifecycleState, type Probe, type ProbeReport } from './probes'
import { redact } from './redact'
import { Registry, type CheckGroup, type Verdict } from './registry'
import type { ProbeSource } from './routes'
import type { CheckStatus } from './run-check'
import type { StartupGate, StartupTasks } from './startup'

/**
 * What the probes say, and the two switches the app holds over it: rotation (setReady) and
 * liveness (markBroken). Answers are kept until what they show changes (`changed()`).
 */
export class Status implements ProbeSource {
  readonly #log: FastifyBaseLogger
  readonly #registry: Registry
  readonly #tasks: StartupTasks
  readonly #gate: StartupGate
  readonly #state: () => LifecycleState
  readonly #answers: AnswerCache
  readonly #everyRunAnswers: AnswerCache
  #inRotation = true
  #broken: string | undefined

  constructor (log: FastifyBaseLogger, parts: { registry: Registry, tasks: StartupTasks, gate: StartupGate, state: () => LifecycleState }) {
    this.#log = log
    this.#registry = parts.registry
    this.#tasks = parts.tasks
    this.#gate = parts.gate
    this.#state = parts.state
    const staleAt = (): number => this.#registry.staleAt()
    this.#answers = new AnswerCache(staleAt)
    this.#everyRunAnswers = new AnswerCache(staleAt)
  }

  /** A probe's answer, computed once per change of what it depends on (lib/answers.ts). */
  answer (key: string, compute: () => Answer): Answer {
    return this.#answers.get(key, compute)
  }

  /** An answer that also shows each run's time, duration and observed value (`/health`). */
  answerOfLastRuns (key: string, compute: () => Answer): Answer {
    return this.#everyRunAnswers.get(key, compute)
  }

  /** A check ran: `/health` shows each run; the probes only statuses and reasons (`shown`). */
  checkRan (shown: boolean): void {
    this.#everyRunAnswers.invalidate()
    if (shown) this.#answers.invalidate()
  }

  /** The lifecycle, rotation or startup changed: every answer is recomputed. */
  changed (): void {
    this.#answers.invalidate()
    this.#everyRunAnswers.invalidate()
  }

  /** Whether /readyz passes now. */
  get ready (): boolean {
    return this.report('ready').status !== 'fail'
  }

  setReady (ready: boolean): void {
    if (typeof ready !== 'boolean') throw new InvalidArgumentError('health.setReady', describe(ready), 'a boolean')
    if (ready === this.#inRotation) return
    this.#inRotation = ready
    this.changed()
    this.#log.info({ inRotation: ready }, ready ? 'back in rotation (setReady(true))' : 'out of rotation (setReady(false)): readiness fails')
  }

  get broken (): boolean {
    return this.#broken !== undefined
  }

  markBroken (reason: string): void {
    if (typeof reason !== 'string' || reason === '') throw new InvalidArgumentError('health.markBroken', describe(reason), 'a non-empty string saying why')
    if (this.#broken !== undefined) return
    this.#broken = redact(reason)
    this.changed()
    this.#log.error({ reason: this.#broken }, 'marked broken: liveness fails from now on')
  }

  report (probe: Probe, exclude?: ReadonlySet<string>): ProbeReport {
    const life = this.#snapshot()
    if (probe === 'live') return liveReport(this.#registry, life, exclude)
    if (probe === 'ready') return readyReport(this.#registry, life, exclude)
    return startupReport(life)
  }

  reportOne (group: CheckGroup, name: string): ProbeReport | undefined {
    return oneReport(this.#registry, group, name)
  }

  /** The aggregate of every check: fail if a critical one fails or the process is broken. */
  aggregate (): { status: CheckStatus, verdicts: Verdict[] } {
    const verdicts = this.#registry.verdicts(undefined)
    return { status: this.#broken !== undefined ? 'fail' : Registry.summarize(verdicts), verdicts }
  }

  /** What startup still waits for, by name (for the startupTimeout message). */
  waitingFor (): string {
    return startupReport(this.#snapshot()).lines.filter((l) => !l.ok).map((l) => l.name).join(', ')
  }

  #snapshot (): LifecycleSnapshot {
    return {
      state: this.#state(),
      inRotation: this.#inRotation,
      broken: this.#broken,
      startupFailure: this.#tasks.failure,
      tasks: this.#tasks.list,
      gating: this.#gate.gatingChecks()
    }
  }
}
