import { executionAsyncResource } from 'node:async_hooks'

/**
 * Keeps one of Node's `process.nextTick` objects alive while the application is open, so that
 * every route keeps Node's fast path for `nextTick`.
 *
 * Why: `nextTick` builds each tick as an object literal with computed symbol keys. V8 (Node 20,
 * 22 and 24) remembers the hidden class of that literal in feedback that holds it weakly, and
 * when a full garbage collection runs while no tick is alive (as from a timer: ticks are all
 * drained by then) the class is collected; the next tick gets a new one, and V8 turns that
 * feedback megamorphic for the life of the process: from then on, every tick defines its
 * properties in V8's runtime (`Runtime_DefineKeyedOwnPropertyInLiteral`, map migrations), several
 * per request. The checks' background work makes such collections likely: 5 of 6 server processes
 * with the plugin fell into it, none of 6 plain apps (docs/benchmarks.md). One tick object held
 * keeps its hidden classes, and so the feedback, alive.
 */
export class TickShapeHold {
  #tick: object | undefined

  constructor () {
    process.nextTick(() => { this.#tick = executionAsyncResource() })
  }

  /** Once the application has closed. */
  release (): void {
    this.#tick = undefined
  }
}
