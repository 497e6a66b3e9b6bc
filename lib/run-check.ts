import { CheckTimeoutError, InvalidCheckResultError, describe } from './errors'
import { withDeadline } from './deadline'
import { describeError } from './redact'

export type CheckStatus = 'pass' | 'warn' | 'fail'

export interface CheckResult {
  status: CheckStatus
  /** A measurement worth showing, e.g. a round-trip time or free bytes. */
  observedValue?: number | string | boolean
  /** The unit of observedValue, e.g. "ms" or "bytes". */
  observedUnit?: string
  /** Why the status is not pass; shown only when details are allowed, and then redacted. */
  output?: string
}

export interface CheckContext {
  /** Aborted when the check's timeout expires or the application closes. */
  signal: AbortSignal
}

export type CheckFunction = (context: CheckContext) => void | CheckResult | Promise<void | CheckResult>

/** What one run of a check produced. `output` is already redacted. */
export interface CheckOutcome {
  status: CheckStatus
  time: number
  duration: number
  observedValue?: number | string | boolean
  observedUnit?: string
  output?: string
  /** Set when the check broke its contract (returned something that is not a result). */
  invalid?: boolean
}

const STATUSES = new Set(['pass', 'warn', 'fail'])

function toOutcome (value: unknown, time: number, duration: number): CheckOutcome {
  if (value === undefined) return { status: 'pass', time, duration }
  const result = value as Partial<CheckResult> | null
  if (typeof result === 'object' && result !== null && STATUSES.has(result.status as string) &&
    (result.observedValue === undefined || ['number', 'string', 'boolean'].includes(typeof result.observedValue)) &&
    (result.observedUnit === undefined || typeof result.observedUnit === 'string') &&
    (result.output === undefined || typeof result.output === 'string')) {
    const outcome: CheckOutcome = { status: result.status as CheckStatus, time, duration }
    if (result.observedValue !== undefined) outcome.observedValue = result.observedValue
    if (result.observedUnit !== undefined) outcome.observedUnit = result.observedUnit
    if (result.output !== undefined) outcome.output = describeError(result.output)
    return outcome
  }
  // The type and size, never the content: a returned string may be a secret.
  const shown = typeof value === 'string' ? `a string of ${value.length} characters` : typeof value === 'object' && value !== null ? 'an object without a valid status' : describe(value)
  return { status: 'fail', time, duration, output: new InvalidCheckResultError(shown).message, invalid: true }
}

/**
 * Runs a check once, bounded by `timeout`: on expiry the check's signal aborts and the outcome is
 * a failure, whether or not the check gives up. `settled` resolves when the check itself has
 * finished, so that a hung check is never started a second time.
 */
export function runCheck (fn: CheckFunction, timeout: number, closing: AbortSignal): { outcome: Promise<CheckOutcome>, settled: Promise<void> } {
  const started = performance.now()
  const timedOut = new CheckTimeoutError(timeout)
  let run!: Promise<void | CheckResult>
  let signal!: AbortSignal
  const deadlined = withDeadline(timeout, (deadline) => {
    signal = deadline
    run = (async () => await fn({ signal }))()
    return run.then((value) => ({ value }), (error: unknown) => ({ error }))
  }, { reason: () => timedOut, linked: closing })
  const outcome = deadlined.then((result): CheckOutcome => {
    const duration = Math.round((performance.now() - started) * 1000) / 1000
    const time = Date.now()
    // Past its timeout a check has failed, whatever it does as its signal aborts.
    if (result.expired || signal.reason === timedOut) return { status: 'fail', time, duration, output: timedOut.message }
    if ('error' in result.value) return { status: 'fail', time, duration, output: describeError(result.value.error) }
    return toOutcome(result.value.value, time, duration)
  })
  return { outcome, settled: run.then(() => {}, () => {}) }
}
