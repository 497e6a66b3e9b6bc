/*
 * The lifecycle of one instance, as one state machine. Every transition is in this file, which is
 * why it is over 200 lines: a reader follows a shutdown top to bottom without leaving it.
 *
 * | from              | to       | when                                                     | who may trigger it                         |
 * |-------------------|----------|----------------------------------------------------------|--------------------------------------------|
 * | starting          | ready    | startup tasks done, each gating check passed once        | startupProgressed(), asked by Health on    |
 * |                   |          | (steps.startupComplete)                                  | each task's end and check status change    |
 * | starting, ready   | draining | fastify.close() begins                                   | anyone: a signal (via the process's        |
 * |                   |          |                                                          | signal handler), health.shutdown(),        |
 * |                   |          |                                                          | fastify-cli, a test, the app's own code    |
 * | draining          | closing  | shutdownDelay is over; no wait unless the instance was   | the sequence itself (a timer)              |
 * |                   |          | ready and listening: only then can a balancer send to it |                                            |
 * | closing           | closed   | in-flight requests drained (or drainTimeout cut them),   | the sequence itself                        |
 * |                   |          | workers stopped, Fastify closed, checks stopped,         |                                            |
 * |                   |          | resources closed                                         |                                            |
 *
 * Workers (lib/workers.ts) stop on two moments: those whose work comes from elsewhere (queue
 * consumers) as draining begins, since no balancer has to notice anything first; those whose work
 * comes through the balancer (WebSockets, SSE) as closing begins, so that their clients reconnect
 * to an instance the balancer still routes to. Both are awaited before Fastify goes on closing, so
 * resources close only once nothing uses them.
 *
 * There is one way to shut down: fastify.close(). health.shutdown() calls it, and so does whoever
 * else holds the instance. Fastify's close() closes its router first (answering 503 unless
 * return503OnClosing is false), then runs preClose hooks, so the delay cannot live in a hook. It
 * lives in an onClose handler added at onReady: avvio runs onClose handlers newest first, and
 * Fastify adds the one that closes its router before onReady, so ours runs before it, while the
 * router still serves (test/lifecycle.test.ts pins that order). If close() begins before ready,
 * preClose starts the sequence instead.
 *
 * close() rejects with FST_ZD_UNCLEAN_SHUTDOWN when a request was cut or a resource failed to
 * close, so that every launcher derives the same exit code from it.
 */
import cluster from 'node:cluster'
import type { Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { ConnectionTracker, logStuck } from './connections'
import { UncleanShutdownError } from './errors'
import type { LifecycleState } from './probes'
import { describeError } from './redact'
import { workerProblem, type WorkerReport } from './workers'

export interface ShutdownReport {
  /** True when every request finished within drainTimeout, every worker stopped within its timeout without cutting work, and every resource closed in time. */
  clean: boolean
  /** What was not clean, one line each. */
  problems: string[]
  /** How each worker stopped (lib/workers.ts). */
  workers: WorkerReport[]
}

export type StateListener = (state: LifecycleState, previous: LifecycleState) => void

/** What the lifecycle asks of the rest of the plugin. */
export interface LifecycleSteps {
  /** Whether startup is complete: every startup task done without failure, each gating check passed once. */
  startupComplete: () => boolean
  /** Stops startup work (tasks, the first round of checks), so that a close need not wait for it. */
  abortStartup: () => void
  /** After the server has closed: stops the checks, closes the resources; returns the names that failed. */
  closeResources: () => Promise<string[]>
  /** Stops the workers of one kind (`http`: those whose work comes through the balancer). */
  stopWorkers: (http: boolean) => Promise<WorkerReport[]>
  /** Each phase's duration, and the requests cut at drainTimeout (lib/metrics.ts). */
  phaseEnded: (phase: 'delay' | 'drain' | 'workers' | 'resources', ms: number) => void
  requestsCut: (count: number) => void
}

// avvio's onClose, which Fastify exposes on every instance (its types name only addHook's).
interface AvvioClose { onClose: (handler: () => Promise<void>) => void }

export class Lifecycle {
  readonly #fastify: FastifyInstance
  readonly #log: FastifyBaseLogger
  readonly #timing: { shutdownDelay: number, drainTimeout: number }
  readonly #steps: LifecycleSteps
  readonly #tracker: ConnectionTracker
  readonly #stateListeners = new Set<StateListener>()
  readonly #drainListeners = new Set<() => void>()
  readonly #problems: string[] = []
  readonly #workers: WorkerReport[] = []
  #consumersStopped: Promise<WorkerReport[]> = Promise.resolve([])
  #state: LifecycleState = 'starting'
  #armed = false
  #delay = 0
  #drainingSince = 0
  #drained: Promise<void> | undefined
  #report: Promise<ShutdownReport> | undefined
  #markClosed!: () => void
  readonly #closed = new Promise<void>((resolve) => { this.#markClosed = resolve })

  constructor (fastify: FastifyInstance, timing: { shutdownDelay: number, drainTimeout: number }, steps: LifecycleSteps) {
    this.#fastify = fastify
    this.#log = fastify.log
    this.#timing = timing
    this.#steps = steps
    this.#tracker = new ConnectionTracker(fastify.server)
  }

  get state (): LifecycleState {
    return this.#state
  }

  /** Wires the sequence into Fastify's close. `onReady` runs the startup; `onClosed` runs last. */
  attach (onReady: () => Promise<void>, onClosed: () => void): void {
    this.#fastify.addHook('onReady', async () => {
      // Added now, after Fastify's own router-closing handler, so that it runs before it.
      ;(this.#fastify as unknown as AvvioClose).onClose(async () => { await this.#drainOnce() })
      this.#armed = true
      await onReady()
    })
    this.#fastify.addHook('preClose', async () => {
      // Defensive: only a change in Fastify's or avvio's order of onClose handlers could get here.
      /* c8 ignore next 3 */
      if (this.#armed && this.#drained === undefined) {
        this.#log.warn('zero-downtime: Fastify closed its router before the shutdown sequence began (a plugin changed the order of onClose handlers): requests during shutdownDelay may be refused')
      }
      await this.#drainOnce()
    })
    this.#fastify.addHook('onClose', async () => {
      onClosed()
      await this.#finish()
    })
  }

  // starting -> ready, asked each time a startup task or a gating check's status changes.
  startupProgressed (): void {
    if (this.#state === 'starting' && this.#steps.startupComplete()) this.#setState('ready')
  }

  /** health.shutdown(): the same close as anyone's fastify.close(), and what was not clean. */
  async shutdown (): Promise<ShutdownReport> {
    this.#report ??= (async () => {
      // Readiness flips now, not a few ticks later when Fastify runs the close handlers.
      this.#beginDraining()
      try {
        await this.#fastify.close()
      } catch (error) {
        if (!(error instanceof UncleanShutdownError)) this.#problems.push(`close failed: ${describeError(error)}`)
      }
      await this.#closed
      return { clean: this.#problems.length === 0, problems: [...this.#problems], workers: [...this.#workers] }
    })()
    return await this.#report
  }

  async #drainOnce (): Promise<void> {
    this.#drained ??= this.#drain()
    await this.#drained
  }

  // starting | ready -> draining: readiness off, `Connection: close` on every response, onDrain.
  #beginDraining (): void {
    if (this.#state !== 'starting' && this.#state !== 'ready') return
    // An instance never ready, or not listening, was in no balancer's rotation: nothing to wait for.
    this.#delay = this.#state === 'ready' && this.#fastify.server.listening ? this.#timing.shutdownDelay : 0
    this.#steps.abortStartup()
    this.#drainingSince = performance.now()
    this.#setState('draining')
    this.#tracker.startDraining({ stopAccepting: cluster.isWorker })
    // Nothing routes a queue's messages here through the balancer: consumers stop at once.
    this.#consumersStopped = this.#steps.stopWorkers(false)
    for (const listener of this.#drainListeners) this.#callSafely('onDrain', listener)
    this.#drainListeners.clear()
  }

  // draining -> closing: keep serving while the balancer notices, then stop accepting and drain.
  async #drain (): Promise<void> {
    this.#beginDraining()
    if (this.#delay > 0) await sleep(this.#delay)
    this.#steps.phaseEnded('delay', performance.now() - this.#drainingSince)
    this.#setState('closing')
    const drainStarted = performance.now()
    // The balancer has stopped routing here: WebSocket and SSE clients told to go now reconnect elsewhere.
    const longLivedStopped = this.#steps.stopWorkers(true)
    const stuck = await this.#tracker.drain(this.#timing.drainTimeout)
    this.#steps.phaseEnded('drain', performance.now() - drainStarted)
    if (stuck.length > 0) {
      this.#steps.requestsCut(stuck.length)
      logStuck(this.#log, stuck, this.#timing.drainTimeout)
      this.#problems.push(`${stuck.length} request(s) still in flight after drainTimeout (${this.#timing.drainTimeout} ms)`)
    }
    const workers = [...await this.#consumersStopped, ...await longLivedStopped]
    if (workers.length > 0) this.#steps.phaseEnded('workers', performance.now() - this.#drainingSince)
    for (const worker of workers) {
      this.#workers.push(worker)
      const problem = workerProblem(worker)
      if (problem !== undefined) this.#problems.push(problem)
    }
  }

  /** A socket now owned by a worker (an upgraded WebSocket, an SSE stream): the drain leaves it to that worker. */
  adopt (socket: Socket): void {
    this.#tracker.adopt(socket)
  }

  // closing -> closed, in onClose once Fastify has closed the server.
  async #finish (): Promise<void> {
    this.#tracker.detach()
    const closeStarted = performance.now()
    const failed = await this.#steps.closeResources()
    this.#steps.phaseEnded('resources', performance.now() - closeStarted)
    if (failed.length > 0) this.#problems.push(`resource(s) ${failed.join(', ')} did not close cleanly`)
    this.#setState('closed')
    this.#markClosed()
    if (this.#problems.length > 0) throw new UncleanShutdownError(this.#problems.join('; '))
  }

  onStateChange (listener: StateListener): () => void {
    this.#stateListeners.add(listener)
    return () => { this.#stateListeners.delete(listener) }
  }

  onDrain (listener: () => void): () => void {
    if (this.#state !== 'starting' && this.#state !== 'ready') {
      this.#callSafely('onDrain', listener)
      return () => {}
    }
    this.#drainListeners.add(listener)
    return () => { this.#drainListeners.delete(listener) }
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
}
