import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import type { ZeroDowntimeHealth } from './api'
import { kClose, type BuiltInCheck } from './checks/common'
import { SCHEMA_CHECK } from './checks/schema'
import { assertBudget } from './budget'
import { ConnectionTracker, logStuck } from './connections'
import { InvalidArgumentError, describe } from './errors'
import { assertFunction } from './names'
import type { ResolvedOptions } from './options'
import { describeError, redact } from './redact'
import { liveReport, oneReport, readyReport, startupReport, type LifecycleSnapshot, type LifecycleState, type Probe, type ProbeReport } from './probes'
import { Registry, type CheckGroup, type CheckOptions, type RegisteredCheck, type Verdict } from './registry'
import { Resources, type CloseFunction, type ResourceOptions } from './resources'
import type { CheckFunction, CheckStatus } from './run-check'
import { StartupTasks, type StartupTaskFunction } from './startup'

export interface CheckCloseOption {
  /**
   * Also close the checked client at shutdown, as `resource(name, close)` would: `true` for a
   * built-in check (it knows how to close its client), or the function that closes it.
   */
  close?: boolean | CloseFunction
}

export type { LifecycleState, Probe, ProbeLine, ProbeReport } from './probes'

export interface ShutdownReport {
  /** True when every request finished within drainTimeout and every resource closed in time. */
  clean: boolean
  /** What was not clean, one line each. */
  problems: string[]
}

export type StateListener = (state: LifecycleState, previous: LifecycleState) => void

/** `app.health`: the checks, the lifecycle state and the shutdown sequence of one Fastify instance. */
export class Health implements ZeroDowntimeHealth {
  readonly #fastify: FastifyInstance
  readonly #log: FastifyBaseLogger
  readonly #options: ResolvedOptions
  readonly #registry: Registry
  readonly #startup = new StartupTasks()
  readonly #resources: Resources
  readonly #tracker: ConnectionTracker
  readonly #stateListeners = new Set<StateListener>()
  readonly #drainListeners = new Set<() => void>()
  readonly #problems: string[] = []
  #state: LifecycleState = 'starting'
  #inRotation = true
  #broken: string | undefined
  #startupTimer: NodeJS.Timeout | undefined
  #shutdown: Promise<ShutdownReport> | undefined
  // Aborted when fastify.close() begins, by shutdown() or directly: a delay in progress ends then.
  readonly #closeBegun = new AbortController()
  #markClosed!: () => void
  readonly #closed = new Promise<void>((resolve) => { this.#markClosed = resolve })

  constructor (fastify: FastifyInstance, options: ResolvedOptions) {
    this.#fastify = fastify
    this.#log = fastify.log
    this.#options = options
    this.#registry = new Registry(this.#log, { interval: options.checkInterval, timeout: options.checkTimeout }, () => this.#evaluateStartup())
    this.#resources = new Resources(options.closeTimeout)
    // At registration without resources; again as each resource is added, and at start.
    this.#assertBudget([])
    this.#tracker = new ConnectionTracker(fastify.server)
  }

  /** Registers a health check: it runs in the background; probes read its last result. */
  check (name: string, fn: CheckFunction, options?: CheckOptions & CheckCloseOption): this {
    if ((fn as { [SCHEMA_CHECK]?: boolean })?.[SCHEMA_CHECK] === true && (options?.groups ?? []).includes('liveness')) {
      throw new InvalidArgumentError(`health.check("${name}") option "groups"`, describe(options?.groups), 'no "liveness" for a schema check: an incompatible schema must take instances out of rotation, not restart them')
    }
    // Whatever is not `close` goes to the registry, which validates it (including a non-object).
    const isObject = typeof options === 'object' && options !== null
    const { close, ...checkOptions } = isObject ? options : { close: undefined }
    if (close === undefined || close === false) {
      this.#registry.add(name, fn, isObject ? checkOptions : options)
      return this
    }
    const closer = close === true ? (fn as BuiltInCheck)?.[kClose] : close
    if (typeof closer !== 'function') {
      throw new InvalidArgumentError(`health.check("${name}") option "close"`, describe(close), close === true ? 'a function, or true with a built-in check (checks.*) that knows how to close its client' : 'true, or a function that closes the client')
    }
    // Validated (name, budget) before anything is registered, so a failure leaves neither behind.
    const resource = this.#admitResource(name, closer)
    this.#registry.add(name, fn, checkOptions)
    this.#resources.keep(resource)
    return this
  }

  /** Registers work (warm caches, wait for migrations) that must finish before the instance is ready. */
  startupTask (name: string, fn: StartupTaskFunction): this {
    this.#startup.add(name, fn)
    return this
  }

  /** Registers something to close after the server has drained, in reverse registration order. */
  resource (name: string, close: CloseFunction, options?: ResourceOptions): this {
    this.#resources.keep(this.#admitResource(name, close, options))
    return this
  }

  /** A validated resource that fits the shutdown budget, not kept yet. */
  #admitResource (name: string, close: unknown, options?: unknown): ReturnType<Resources['add']> {
    const resource = this.#resources.add(name, close, options)
    this.#assertBudget([...this.#resources.timeouts, resource.timeout])
    return resource
  }

  get state (): LifecycleState {
    return this.#state
  }

  /** Whether /readyz passes now. */
  get ready (): boolean {
    return this.report('ready').status !== 'fail'
  }

  /** The registered checks with their last results. */
  get checks (): RegisteredCheck[] {
    return this.#registry.list()
  }

  onStateChange (listener: StateListener): () => void {
    assertFunction('health.onStateChange', listener, 'a function (state, previous) => void')
    this.#stateListeners.add(listener)
    return () => { this.#stateListeners.delete(listener) }
  }

  /** Called when draining begins (at once if it has): end long-lived responses (SSE, WebSocket) there. */
  onDrain (listener: () => void): () => void {
    assertFunction('health.onDrain', listener, 'a function () => void')
    if (this.#state !== 'starting' && this.#state !== 'ready') {
      this.#callSafely('onDrain', listener)
      return () => {}
    }
    this.#drainListeners.add(listener)
    return () => { this.#drainListeners.delete(listener) }
  }

  /** Takes the instance out of rotation (false) or back in (true) without shutting down. */
  setReady (ready: boolean): void {
    if (typeof ready !== 'boolean') throw new InvalidArgumentError('health.setReady', describe(ready), 'a boolean')
    if (ready === this.#inRotation) return
    this.#inRotation = ready
    this.#log.info({ inRotation: ready }, ready ? 'back in rotation (setReady(true))' : 'out of rotation (setReady(false)): readiness fails')
  }

  /** Declares the process dead: liveness fails from now on, so the orchestrator restarts it. */
  markBroken (reason: string): void {
    if (typeof reason !== 'string' || reason === '') throw new InvalidArgumentError('health.markBroken', describe(reason), 'a non-empty string saying why')
    if (this.#broken !== undefined) return
    this.#broken = redact(reason)
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

  /**
   * The graceful shutdown: readiness off, keep serving for shutdownDelay with `Connection: close`,
   * then stop accepting and drain in-flight requests (at most drainTimeout), then close the app and
   * its resources. Resolves with what was not clean; never exits the process.
   */
  async shutdown (): Promise<ShutdownReport> {
    this.#shutdown ??= this.#runShutdown()
    return await this.#shutdown
  }

  async #runShutdown (): Promise<ShutdownReport> {
    // An instance that never became ready was never in a balancer's rotation: no need to wait.
    const inRotation = this.#state === 'ready'
    if (this.#closeBegun.signal.aborted) return await this.#closedReport()
    this.#startup.abort(new Error('shutting down'))
    this.#setState('draining')
    this.#tracker.startDraining()
    for (const listener of this.#drainListeners) this.#callSafely('onDrain', listener)
    this.#drainListeners.clear()
    if (inRotation && this.#options.shutdownDelay > 0) {
      await sleep(this.#options.shutdownDelay, undefined, { signal: this.#closeBegun.signal }).catch(() => {})
    }
    // close() was called directly meanwhile: nothing left to sequence, only to wait for.
    if (this.#closeBegun.signal.aborted) return await this.#closedReport()
    this.#setState('closing')
    const stuck = await this.#tracker.drain(this.#options.drainTimeout)
    if (stuck.length > 0) {
      logStuck(this.#log, stuck, this.#options.drainTimeout)
      this.#problems.push(`${stuck.length} request(s) still in flight after drainTimeout (${this.#options.drainTimeout} ms)`)
    }
    await this.#fastify.close()
    return await this.#closedReport()
  }

  async #closedReport (): Promise<ShutdownReport> {
    await this.#closed
    return { clean: this.#problems.length === 0, problems: [...this.#problems] }
  }

  /** onReady: the first round of checks (so the app can be ready as soon as it listens), then startup. */
  async start (): Promise<void> {
    this.#log.info(`zero-downtime: shutdown budget ${this.#assertBudget(this.#resources.timeouts)}`)
    await this.#registry.start()
    const timeout = this.#options.startupTimeout
    if (timeout > 0) {
      this.#startupTimer = setTimeout(() => {
        const waiting = startupReport(this.#snapshot()).lines.filter((l) => !l.ok).map((l) => l.name).join(', ')
        this.#startup.fail(this.#log, `not complete within startupTimeout (${timeout} ms); waiting for: ${waiting}`)
      }, timeout).unref()
    }
    this.#startup.run(this.#log).then(() => {
      if (this.#startup.failure !== undefined) return clearTimeout(this.#startupTimer)
      this.#registry.rerunUnpassed()
      this.#evaluateStartup()
    }, /* c8 ignore next */ (err) => this.#log.error({ err }, 'startup failed'))
  }

  /** preClose: the app is closing, through shutdown() or a direct close(). */
  beginClosing (): void {
    this.#closeBegun.abort()
    this.#startup.abort(new Error('closing'))
    if (this.#state !== 'closing') this.#setState('closing')
  }

  /** onClose, after the server: stop the checks, close the resources in reverse order. */
  async finish (): Promise<void> {
    clearTimeout(this.#startupTimer)
    this.#registry.stop()
    this.#tracker.detach()
    const failed = await this.#resources.closeAll(this.#log)
    if (failed.length > 0) this.#problems.push(`resource(s) ${failed.join(', ')} did not close cleanly`)
    this.#setState('closed')
    this.#markClosed()
  }

  #snapshot (): LifecycleSnapshot {
    return {
      state: this.#state,
      inRotation: this.#inRotation,
      broken: this.#broken,
      startupFailure: this.#startup.failure,
      tasks: this.#startup.list,
      gating: this.#gatingChecks()
    }
  }

  #gatingChecks (): RegisteredCheck[] {
    const gating: CheckGroup[] = ['readiness', 'startup']
    return this.#registry.list().filter((c) => c.critical && gating.some((g) => c.groups.has(g)))
  }

  #evaluateStartup (): void {
    if (this.#state !== 'starting' || !this.#startup.done || this.#startup.failure !== undefined) return
    if (!this.#gatingChecks().every((c) => c.passedOnce)) return
    clearTimeout(this.#startupTimer)
    this.#setState('ready')
  }

  #setState (state: LifecycleState): void {
    const previous = this.#state
    this.#state = state
    this.#log.info({ state, previous }, `zero-downtime: ${previous} -> ${state}`)
    for (const listener of this.#stateListeners) this.#callSafely('onStateChange', () => listener(state, previous))
  }

  #callSafely (what: string, fn: () => void): void {
    try {
      fn()
    } catch (error) {
      this.#log.error({ reason: describeError(error) }, `a ${what} listener threw; carrying on`)
    }
  }

  #assertBudget (resourceTimeouts: readonly number[]): string {
    const { shutdownDelay, drainTimeout, gracePeriod } = this.#options
    return assertBudget({ shutdownDelay, drainTimeout, gracePeriod, resourceTimeouts })
  }
}
