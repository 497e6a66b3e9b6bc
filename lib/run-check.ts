import { CheckTimeoutError, InvalidCheckResultError, describe } from './errors'
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
const TIMED_OUT = Symbol('timed out')

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
  const controller = new AbortController()
  const onClosing = (): void => controller.abort(closing.reason)
  closing.addEventListener('abort', onClosing, { once: true })
  const started = performance.now()
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new CheckTimeoutError(timeout))
      resolve(TIMED_OUT)
    }, timeout)
  })
  const run = (async () => await fn({ signal: controller.signal }))()
  const settled = run.then(() => {}, () => {}).finally(() => closing.removeEventListener('abort', onClosing))
  const outcome = Promise.race([run.then((value) => ({ value }), (error: unknown) => ({ error })), expired])
    .then((result) => {
      clearTimeout(timer)
      const duration = Math.round((performance.now() - started) * 1000) / 1000
      const time = Date.now()
      if (result === TIMED_OUT) return { status: 'fail', time, duration, output: new CheckTimeoutError(timeout).message } satisfies CheckOutcome
      if ('error' in result) return { status: 'fail', time, duration, output: describeError(result.error) } satisfies CheckOutcome
      return toOutcome(result.value, time, duration)
    })
  return { outcome, settled }
}
