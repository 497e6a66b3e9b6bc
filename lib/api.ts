import type { CheckCloseOption, LifecycleState, Probe, ProbeReport, ShutdownReport, StateListener } from './health'
import type { CheckOptions, RegisteredCheck } from './registry'
import type { CloseFunction, ResourceOptions } from './resources'
import type { CheckFunction } from './run-check'
import type { StartupTaskFunction } from './startup'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { EventStream, EventStreamOptions } from './event-stream'
import type { WebSocketDrain, WebSocketOptions } from './websockets'
import type { Worker, WorkerOptions, WorkerStop } from './workers'

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
