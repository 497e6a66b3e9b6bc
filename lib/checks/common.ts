import { InvalidClientError, describe } from '../errors'
import type { CheckFunction, CheckResult } from '../run-check'

/** How a built-in check closes the client it was given, for `check(name, fn, { close: true })`. */
export const kClose = Symbol.for('fastify-zero-downtime.close')

export type BuiltInCheck = CheckFunction & { [kClose]?: () => unknown }

export function withClose (check: CheckFunction, close: () => unknown): BuiltInCheck {
  return Object.assign(check, { [kClose]: close })
}

export function invalidClient (factory: string, expected: string, got: unknown, namespace: 'checks' | 'consumers' = 'checks'): never {
  throw new InvalidClientError(namespace, factory, `${expected}, got ${describe(got)}`)
}

export function hasMethods (value: unknown, ...names: string[]): value is Record<string, (...args: unknown[]) => unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null &&
    names.every((name) => typeof (value as Record<string, unknown>)[name] === 'function')
}

/**
 * Settles with `work`, or rejects with the signal's reason as soon as it aborts. What `work`
 * yields after that is handed to `late` (to release a pool client, destroy a socket), so that a
 * timed-out check never leaks what it acquired.
 */
export async function abortable<T> (work: Promise<T>, signal: AbortSignal, late: (value: T) => void = () => {}): Promise<T> {
  signal.throwIfAborted()
  return await new Promise<T>((resolve, reject) => {
    let aborted = false
    const onAbort = (): void => { aborted = true; reject(signal.reason) }
    signal.addEventListener('abort', onAbort, { once: true })
    work.then((value) => {
      signal.removeEventListener('abort', onAbort)
      if (aborted) late(value)
      else resolve(value)
    }, (error: unknown) => {
      signal.removeEventListener('abort', onAbort)
      reject(error)
    })
  })
}

/**
 * A request the driver cannot cancel (a pool's connection attempt, a command queued on the one
 * connection) goes on after the check's timeout, holding what it holds. Never two at once, so a
 * server that accepts and never answers cannot fill a pool or a command queue: while one is
 * pending, the next run waits for it to end (within its own timeout) before sending its own, or,
 * with `share` (a reply anyone may read, like PONG), takes that same reply.
 */
export function oneAtATime<T> (request: () => Promise<T>, { share = false } = {}): (signal: AbortSignal) => Promise<T> {
  let pending: Promise<T> | undefined
  return async (signal) => {
    if (pending !== undefined) {
      if (share) return await pending
      // A run that times out while waiting ends here: it never sends a request of its own.
      await abortable(pending.then(() => {}, () => {}), signal)
    }
    const attempt = request()
    pending = attempt
    attempt.then(() => { if (pending === attempt) pending = undefined }, () => { if (pending === attempt) pending = undefined })
    return await attempt
  }
}

/** Runs one round trip and reports its duration in milliseconds. */
export async function timed (work: () => Promise<unknown>): Promise<CheckResult> {
  const started = performance.now()
  await work()
  return { status: 'pass', observedValue: Math.round((performance.now() - started) * 100) / 100, observedUnit: 'ms' }
}
