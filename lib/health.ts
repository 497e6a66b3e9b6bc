import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import type { ZeroDowntimeHealth } from './api'
import { kClose, type BuiltInCheck } from './checks/common'
import { SCHEMA_CHECK } from './checks/schema'
import { AnswerCache, type Answer } from './answers'
import { assertBudget } from './budget'
import { launcherWarnings, type Launcher } from './launchers'
import { InvalidArgumentError, describe } from './errors'
import { assertFunction, assertOptions } from './names'
import type { ResolvedOptions } from './options'
import { describeError, redact } from './redact'
import { Metrics } from './metrics'
import { liveReport, oneReport, readyReport, startupReport, type LifecycleSnapshot, type LifecycleState, type Probe, type ProbeReport } from './probes'
import { Registry, type CheckGroup, type CheckOptions, type RegisteredCheck, type Verdict } from './registry'
import { Resources, type CloseFunction, type ResourceOptions } from './resources'
import type { CheckFunction, CheckStatus } from './run-check'
import { Lifecycle, type ShutdownReport, type StateListener } from './shutdown'
import { StartupTasks, type StartupTaskFunction } from './startup'
import { EventStreams, type EventStream, type EventStreamOptions } from './event-stream'
import { WEBSOCKET_DEFAULTS, webSocketWorker, type WebSocketDrain, type WebSocketOptions } from './websockets'
import { Workers, type Worker, type WorkerOptions, type WorkerStop } from './workers'
import type { FastifyReply, FastifyRequest } from 'fastify'

export interface CheckCloseOption {
  /**
   * Also close the checked client at shutdown, as `resource(name, close)` would: `true` for a
   * built-in check (it knows how to close its client), or the function that closes it.
   */
  close?: boolean | CloseFunction
}

export type { LifecycleState, Probe, ProbeLine, ProbeReport } from './probes'

export type { ShutdownReport, StateListener } from './shutdown'

/** The built-in worker that ends every SSE stream (`eventStream()`); its name is taken. */
export const EVENT_STREAMS = 'event-streams'

// The version the metrics' meter carries.
const VERSION = (require('../package.json') as { version: string }).version

/** `app.health`: the checks, the lifecycle state and the shutdown sequence of one Fastify instance. */
export class Health implements ZeroDowntimeHealth {
  readonly #fastify: FastifyInstance
  readonly #log: FastifyBaseLogger
  readonly #options: ResolvedOptions
  readonly #registry: Registry
  readonly #startup = new StartupTasks(() => this.#invalidateAnswers())
  readonly #resources: Resources
  readonly #lifecycle: Lifecycle
  readonly #answers: AnswerCache
  readonly #everyRunAnswers: AnswerCache
  readonly #metrics: Metrics
  readonly #launchers: Launcher[]
  readonly #workers: Workers
  readonly #streams: EventStreams
  #inRotation = true
  #broken: string | undefined
  #startupTimer: NodeJS.Timeout | undefined

  constructor (fastify: FastifyInstance, options: ResolvedOptions, launchers: Launcher[]) {
    this.#fastify = fastify
    this.#launchers = launchers
    this.#log = fastify.log
    this.#options = options
    this.#registry = new Registry(this.#log, { interval: options.checkInterval, timeout: options.checkTimeout }, (check, changed) => {
      this.#metrics.checkRan(check)
      // /health shows each run's time and duration; the probes only statuses and reasons, so
      // with many checks they are recomputed when one of those changes, not after every run.
      this.#everyRunAnswers.invalidate()
      if (!changed) return
      this.#answers.invalidate()
      this.#evaluateStartup()
    })
    const staleAt = (): number => this.#registry.staleAt()
    this.#answers = new AnswerCache(staleAt)
    this.#everyRunAnswers = new AnswerCache(staleAt)
    this.#resources = new Resources(options.closeTimeout)
    this.#workers = new Workers(options.drainTimeout)
    // At registration without resources; again as each resource is added, and at start.
    this.#assertBudget([])
    this.#lifecycle = new Lifecycle(fastify, options, {
      abortStartup: () => this.#abortStartup(),
      closeResources: async () => await this.#closeResources(),
      stopWorkers: async (http) => {
        const reports = await this.#workers.stop(http, this.#log)
        for (const report of reports) this.#metrics.workerStopped(report)
        return reports
      },
      phaseEnded: (phase, ms) => { this.#metrics.phase(phase, ms) },
      requestsCut: (count) => { this.#metrics.requestsCut(count) }
    })
    this.#metrics = new Metrics(options.meterProvider, VERSION, {
      checks: () => this.#registry.verdicts(undefined),
      ready: () => this.ready,
      live: () => this.report('live').status !== 'fail',
      state: () => this.state
    })
    this.#lifecycle.onStateChange((state, previous) => {
      this.#invalidateAnswers()
      this.#metrics.transition(previous, state)
      if (state === 'ready') this.#startWorkers()
      if (state === 'closed') this.#metrics.stop()
    })
    // SSE streams are ended by one built-in worker, so that every reply marked as a stream is.
    this.#streams = new EventStreams((socket) => this.#lifecycle.adopt(socket), () => this.state === 'closing' || this.state === 'closed')
    // It ends its streams within drainTimeout and destroys what is left at once: no time beyond the
    // drain. Without open streams it is skipped, and left out of the report.
    this.#workers.keep(this.#workers.add(EVENT_STREAMS, this.#streams.worker, { http: true }, { react: 0, hasWork: () => this.#streams.count > 0 }))
  }

  /**
   * A probe's answer, computed once per change of what it depends on (lib/answers.ts): check
   * statuses and reasons, the lifecycle.
   */
  answer (key: string, compute: () => Answer): Answer {
    return this.#answers.get(key, compute)
  }

  /** An answer that also shows each run's time, duration and observed value (`/health`). */
  answerOfLastRuns (key: string, compute: () => Answer): Answer {
    return this.#everyRunAnswers.get(key, compute)
  }

  #invalidateAnswers (): void {
    this.#answers.invalidate()
    this.#everyRunAnswers.invalidate()
  }

  /** Wires the lifecycle into Fastify's start and close; `onClosed` runs once the instance has closed. */
  attach (onClosed: () => void): void {
    this.#lifecycle.attach(async () => { await this.#start() }, onClosed)
  }

  /** Registers a health check: it runs in the background; probes read its last result. */
  check (name: string, fn: CheckFunction, options?: CheckOptions & CheckCloseOption): this {
    if ((fn as { [SCHEMA_CHECK]?: boolean })?.[SCHEMA_CHECK] === true && (options?.groups ?? []).includes('liveness')) {
      throw new InvalidArgumentError(`health.check(${describe(name)}) option "groups"`, describe(options?.groups), 'no "liveness" for a schema check: an incompatible schema must take instances out of rotation, not restart them')
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
      throw new InvalidArgumentError(`health.check(${describe(name)}) option "close"`, describe(close), close === true ? 'a function, or true with a built-in check (checks.*) that knows how to close its client' : 'true, or a function that closes the client')
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

  /** Registers long-lived work the shutdown stops and awaits (a queue consumer, your own connections). */
  worker (name: string, worker: Worker | WorkerStop, options?: WorkerOptions): this {
    const entry = this.#workers.add(name, worker, options)
    this.#assertBudget(this.#resources.timeouts, entry)
    this.#workers.keep(entry)
    return this
  }

  /** The open WebSockets of a ws server as long-lived work: closed with a close frame once the balancer has stopped routing here. */
  websockets (server: unknown, options: WebSocketOptions = {}): WebSocketDrain {
    assertOptions('health.websockets', options, ['name', 'timeout', 'code'])
    const { name = WEBSOCKET_DEFAULTS.name, timeout, code } = options as WebSocketOptions
    // Validated (with a stand-in stop) before anything is listened to, so a failure leaves nothing behind.
    const entry = this.#workers.add(name, Function.prototype, { timeout, http: true })
    this.#assertBudget(this.#resources.timeouts, entry)
    const { worker, drain } = webSocketWorker(server, { code }, (socket) => this.#lifecycle.adopt(socket))
    this.#workers.keep({ ...entry, worker })
    return drain
  }

  /** Answers with a Server-Sent Events stream that the shutdown ends cleanly (see EventStreamOptions). */
  async eventStream (request: FastifyRequest, reply: FastifyReply, options?: EventStreamOptions): Promise<EventStream> {
    return await this.#streams.open(request, reply, options)
  }

  /** A validated resource that fits the shutdown budget, not kept yet. */
  #admitResource (name: string, close: unknown, options?: unknown): ReturnType<Resources['add']> {
    const resource = this.#resources.add(name, close, options)
    this.#assertBudget([...this.#resources.timeouts, resource.timeout])
    return resource
  }

  get state (): LifecycleState {
    return this.#lifecycle.state
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
    return this.#lifecycle.onStateChange(listener)
  }

  /** Called when draining begins (at once if it has): end long-lived responses (SSE, WebSocket) there. */
  onDrain (listener: () => void): () => void {
    assertFunction('health.onDrain', listener, 'a function () => void')
    return this.#lifecycle.onDrain(listener)
  }

  /** Takes the instance out of rotation (false) or back in (true) without shutting down. */
  setReady (ready: boolean): void {
    if (typeof ready !== 'boolean') throw new InvalidArgumentError('health.setReady', describe(ready), 'a boolean')
    if (ready === this.#inRotation) return
    this.#inRotation = ready
    this.#invalidateAnswers()
    this.#log.info({ inRotation: ready }, ready ? 'back in rotation (setReady(true))' : 'out of rotation (setReady(false)): readiness fails')
  }

  /** Declares the process dead: liveness fails from now on, so the orchestrator restarts it. */
  markBroken (reason: string): void {
    if (typeof reason !== 'string' || reason === '') throw new InvalidArgumentError('health.markBroken', describe(reason), 'a non-empty string saying why')
    if (this.#broken !== undefined) return
    this.#broken = redact(reason)
    this.#invalidateAnswers()
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
   * The object decorated on the instance as `app.health`: what ZeroDowntimeHealth declares and
   * nothing more, so that the plugin's internals (answers, reports, the lifecycle) stay its own.
   */
  api (): ZeroDowntimeHealth {
    const api: ZeroDowntimeHealth = Object.freeze(Object.defineProperties({
      check: (name: string, fn: CheckFunction, options?: CheckOptions & CheckCloseOption) => { this.check(name, fn, options); return api },
      startupTask: (name: string, fn: StartupTaskFunction) => { this.startupTask(name, fn); return api },
      resource: (name: string, close: CloseFunction, options?: ResourceOptions) => { this.resource(name, close, options); return api },
      onStateChange: (listener: StateListener) => this.onStateChange(listener),
      onDrain: (listener: () => void) => this.onDrain(listener),
      worker: (name: string, worker: Worker | WorkerStop, options?: WorkerOptions) => { this.worker(name, worker, options); return api },
      websockets: (server: unknown, options?: WebSocketOptions) => this.websockets(server, options),
      eventStream: async (request: FastifyRequest, reply: FastifyReply, options?: EventStreamOptions) => await this.eventStream(request, reply, options),
      setReady: (ready: boolean) => { this.setReady(ready) },
      markBroken: (reason: string) => { this.markBroken(reason) },
      report: (probe: Probe, exclude?: ReadonlySet<string>) => this.report(probe, exclude),
      shutdown: async () => await this.shutdown()
    }, {
      state: { get: () => this.state, enumerable: true },
      ready: { get: () => this.ready, enumerable: true },
      checks: { get: () => this.checks, enumerable: true }
    }) as ZeroDowntimeHealth)
    return api
  }

  /**
   * The graceful shutdown: fastify.close(), which runs the whole sequence (lib/shutdown.ts).
   * Resolves with what was not clean; never exits the process.
   */
  async shutdown (): Promise<ShutdownReport> {
    return await this.#lifecycle.shutdown()
  }

  /** onReady: the first round of checks (so the app can be ready as soon as it listens), then startup. */
  async #start (): Promise<void> {
    const budget = this.#assertBudget(this.#resources.timeouts)
    this.#log.info(`zero-downtime: shutdown budget ${budget.text}`)
    for (const warning of launcherWarnings(budget.total, this.#launchers, this.#options.signals)) this.#warnVisibly(warning)
    await this.#registry.start()
    const timeout = this.#options.startupTimeout
    if (timeout > 0 && this.state === 'starting') {
      this.#startupTimer = setTimeout(() => {
        const waiting = startupReport(this.#snapshot()).lines.filter((l) => !l.ok).map((l) => l.name).join(', ')
        this.#startup.fail(this.#log, `not complete within startupTimeout (${timeout} ms); waiting for: ${waiting}`)
      }, timeout).unref()
    }
    this.#startup.run(this.#log).then(() => {
      if (this.#startup.failure !== undefined) return clearTimeout(this.#startupTimer)
      this.#registry.rerunUnpassed()
      this.#evaluateStartup()
    }, /* c8 ignore next */ (err) => this.#log.error({ reason: describeError(err) }, 'startup failed'))
  }

  /** A close began before the instance was ready: startup tasks and the first round give up. */
  #abortStartup (): void {
    clearTimeout(this.#startupTimer)
    this.#startup.abort(new Error('shutting down'))
    this.#registry.abortFirstRound()
  }

  /** After the server has closed: stop the checks, close the resources in reverse order. */
  async #closeResources (): Promise<string[]> {
    clearTimeout(this.#startupTimer)
    this.#registry.stop()
    return await this.#resources.closeAll(this.#log)
  }

  // fastify-cli's default log level is fatal: a warning the logger would drop goes to stderr instead.
  #warnVisibly (message: string): void {
    if ((this.#log as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled?.('warn') === true) this.#log.warn(message)
    else process.emitWarning(message, { code: 'FST_ZD_LAUNCHER_TIMEOUT' })
  }

  #snapshot (): LifecycleSnapshot {
    return {
      state: this.state,
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
    if (this.state !== 'starting' || !this.#startup.done || this.#startup.failure !== undefined) return
    if (!this.#gatingChecks().every((c) => c.passedOnce)) return
    clearTimeout(this.#startupTimer)
    this.#lifecycle.markReady()
  }

  /** Starts the workers once the instance is ready; one that cannot start makes liveness fail. */
  #startWorkers (): void {
    this.#workers.startAll(this.#log).then((failed) => {
      if (failed.length > 0 && this.#broken === undefined) this.markBroken(`worker(s) ${failed.join(', ')} failed to start`)
    }, /* c8 ignore next */ (err) => this.#log.error({ reason: describeError(err) }, 'starting the workers failed'))
  }

  /** `adding`: a worker about to be kept, counted as if it were. */
  #assertBudget (resourceTimeouts: readonly number[], adding?: { http: boolean, timeout: number, react: number }): { total: number, text: string } {
    const { shutdownDelay, drainTimeout, gracePeriod } = this.#options
    const { http, other } = this.#workers.timeouts
    if (adding !== undefined) (adding.http ? http : other).push(adding.timeout + adding.react)
    return assertBudget({ shutdownDelay, drainTimeout, gracePeriod, resourceTimeouts, workerTimeouts: { http, other } })
  }
}
