import type { FastifyReply, FastifyRequest } from 'fastify'
import type { WorkerBudget } from './budget'
import { kClose, type BuiltInCheck } from './checks/common'
import { SCHEMA_CHECK } from './checks/schema'
import { InvalidArgumentError, describe } from './errors'
import type { EventStream, EventStreamOptions, EventStreams } from './event-stream'
import { assertFunction, assertOptions } from './names'
import type { LifecycleState, Probe, ProbeReport } from './probes'
import type { CheckOptions, RegisteredCheck, Registry } from './registry'
import type { CloseFunction, ResourceOptions, Resources } from './resources'
import type { CheckFunction } from './run-check'
import type { Lifecycle, ShutdownReport, StateListener } from './shutdown'
import type { StartupTaskFunction, StartupTasks } from './startup'
import type { Status } from './status'
import { WEBSOCKET_DEFAULTS, webSocketWorker, type WebSocketDrain, type WebSocketOptions } from './websockets'
import type { Worker, WorkerOptions, WorkerStop, Workers } from './workers'

export interface CheckCloseOption {
  /**
   * Also close the checked client at shutdown, as `resource(name, close)` would: `true` for a
   * built-in check (it knows how to close its client), or the function that closes it.
   */
  close?: boolean | CloseFunction
}

/** `app.health`: the public face of the plugin on a Fastify instance. */
export interface ZeroDowntimeHealth {
  /** Registers a health check (before ready()): it runs in the background; probes read its last result. */
  check: (name: string, fn: CheckFunction, options?: CheckOptions & CheckCloseOption) => ZeroDowntimeHealth
  /** Registers work that must finish before the instance is ready; tasks run in order after ready(). */
  startupTask: (name: string, fn: StartupTaskFunction) => ZeroDowntimeHealth
  /** Registers something to close after the server has drained, in reverse registration order. */
  resource: (name: string, close: CloseFunction, options?: ResourceOptions) => ZeroDowntimeHealth
  /** `starting` -> `ready` -> `draining` -> `closing` -> `closed`. */
  readonly state: LifecycleState
  /** Whether the readiness probe passes now. */
  readonly ready: boolean
  /** The registered checks with their last results. */
  readonly checks: RegisteredCheck[]
  /** Calls `listener(state, previous)` on each transition; returns the function that stops it. */
  onStateChange: (listener: StateListener) => () => void
  /**
   * Calls `listener` when draining begins (at once if it has), before shutdownDelay. For work the
   * shutdown must stop and await (WebSockets, SSE, consumers) use worker(), websockets() or
   * eventStream() instead.
   */
  onDrain: (listener: () => void) => () => void
  /**
   * Registers long-lived work the shutdown stops and awaits within its timeout: `stop` (or an
   * object `{ start, stop }`, such as a built-in consumer). `start` runs when the instance is ready.
   */
  worker: (name: string, worker: Worker | WorkerStop, options?: WorkerOptions) => ZeroDowntimeHealth
  /** The open WebSockets of a ws server (@fastify/websocket: app.websocketServer), closed cleanly by the shutdown. */
  websockets: (server: unknown, options?: WebSocketOptions) => WebSocketDrain
  /** Answers with a Server-Sent Events stream that the shutdown ends with a retry hint. */
  eventStream: (request: FastifyRequest, reply: FastifyReply, options?: EventStreamOptions) => Promise<EventStream>
  /** Takes the instance out of rotation (false) or back in (true), without shutting down. */
  setReady: (ready: boolean) => void
  /** Declares the process dead: liveness fails from now on. */
  markBroken: (reason: string) => void
  /** What a probe would answer now. */
  report: (probe: Probe, exclude?: ReadonlySet<string>) => ProbeReport
  /** The graceful shutdown, without exiting the process; resolves with what was not clean. */
  shutdown: () => Promise<ShutdownReport>
}

/** The parts `app.health` drives, wired once by lib/health.ts. */
export interface ApiParts {
  registry: Registry
  tasks: StartupTasks
  resources: Resources
  workers: Workers
  streams: EventStreams
  status: Status
  lifecycle: Lifecycle
  /** Throws when the shutdown would no longer fit the grace period; `adding`: a worker about to be kept. */
  assertBudget: (resourceTimeouts: readonly number[], adding?: WorkerBudget) => unknown
}

/**
 * The object decorated as `app.health`: what ZeroDowntimeHealth declares and nothing more, its
 * methods bound and chaining, so that the plugin's internals stay its own.
 */
export function createApi ({ registry, tasks, resources, workers, streams, status, lifecycle, assertBudget }: ApiParts): ZeroDowntimeHealth {
  // A validated resource that fits the shutdown budget, not kept yet.
  const admitResource = (name: string, close: unknown, options?: unknown): ReturnType<Resources['add']> => {
    const resource = resources.add(name, close, options)
    assertBudget([...resources.timeouts, resource.timeout])
    return resource
  }

  // A validated worker that fits the shutdown budget, not kept yet.
  const admitWorker = (name: unknown, worker: unknown, options?: unknown): ReturnType<Workers['add']> => {
    const entry = workers.add(name, worker, options)
    assertBudget(resources.timeouts, entry)
    return entry
  }

  const check = (name: string, fn: CheckFunction, options?: CheckOptions & CheckCloseOption): void => {
    if ((fn as { [SCHEMA_CHECK]?: boolean })?.[SCHEMA_CHECK] === true && (options?.groups ?? []).includes('liveness')) {
      throw new InvalidArgumentError(`health.check(${describe(name)}) option "groups"`, describe(options?.groups), 'no "liveness" for a schema check: an incompatible schema must take instances out of rotation, not restart them')
    }
    // Whatever is not `close` goes to the registry, which validates it (including a non-object).
    const isObject = typeof options === 'object' && options !== null
    const { close, ...checkOptions } = isObject ? options : { close: undefined }
    if (close === undefined || close === false) return registry.add(name, fn, isObject ? checkOptions : options)
    const closer = close === true ? (fn as BuiltInCheck)?.[kClose] : close
    if (typeof closer !== 'function') {
      throw new InvalidArgumentError(`health.check(${describe(name)}) option "close"`, describe(close), close === true ? 'a function, or true with a built-in check (checks.*) that knows how to close its client' : 'true, or a function that closes the client')
    }
    // Validated (name, budget) before anything is registered, so a failure leaves neither behind.
    const resource = admitResource(name, closer)
    registry.add(name, fn, checkOptions)
    resources.keep(resource)
  }

  const websockets = (server: unknown, options: WebSocketOptions = {}): WebSocketDrain => {
    assertOptions('health.websockets', options, ['name', 'timeout', 'code'])
    const { name = WEBSOCKET_DEFAULTS.name, timeout, code } = options as WebSocketOptions
    // Validated (with a stand-in stop) before anything is listened to, so a failure leaves nothing behind.
    const entry = admitWorker(name, Function.prototype, { timeout, http: true })
    const { worker, drain } = webSocketWorker(server, { code }, (socket) => lifecycle.adopt(socket))
    workers.keep({ ...entry, worker })
    return drain
  }

  // Typed by the interface alone: its parameters and getters are declared once, there.
  const api: ZeroDowntimeHealth = {
    check: (name, fn, options) => { check(name, fn, options); return api },
    startupTask: (name, fn) => { tasks.add(name, fn); return api },
    resource: (name, close, options) => { resources.keep(admitResource(name, close, options)); return api },
    get state () { return lifecycle.state },
    get ready () { return status.ready },
    get checks () { return registry.list() },
    onStateChange: (listener) => {
      assertFunction('health.onStateChange', listener, 'a function (state, previous) => void')
      return lifecycle.onStateChange(listener)
    },
    onDrain: (listener) => {
      assertFunction('health.onDrain', listener, 'a function () => void')
      return lifecycle.onDrain(listener)
    },
    worker: (name, worker, options) => { workers.keep(admitWorker(name, worker, options)); return api },
    websockets,
    eventStream: async (request, reply, options) => await streams.open(request, reply, options),
    setReady: (ready) => { status.setReady(ready) },
    markBroken: (reason) => { status.markBroken(reason) },
    report: (probe, exclude) => status.report(probe, exclude),
    shutdown: async () => await lifecycle.shutdown()
  }
  Object.freeze(api)
  return api
}
