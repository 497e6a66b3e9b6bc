import { executionAsyncResource } from 'node:async_hooks'

/**
 * Works around a V8 defect (Node 20, 22, 24; not reported upstream yet): a full GC while no
 * `process.nextTick` object is alive collects the hidden class of nextTick's object literal, and
 * V8 then marks that literal site megamorphic for the life of the process, taking every later
 * tick off its fast path. Holding one tick object keeps the class alive. Off with
 * `holdTickShape: false`; docs/design.md has the measurements, `npm run bench:tick-shape` the
 * diagnostic. Delete this file and the option the day Node no longer shows the fall.
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
