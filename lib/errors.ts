import createError from '@fastify/error'
import { redact } from './redact'

// Every error this plugin throws carries a stable `FST_ZD_*` code and says what was wrong and what
// is expected. Messages name values the caller passed, never a dependency's output.

export const InvalidOptionError = createError<'FST_ZD_INVALID_OPTION', [string, string, string]>(
  'FST_ZD_INVALID_OPTION',
  'Invalid option "%s": got %s, expected %s',
  500, TypeError
)

export const InvalidCheckNameError = createError<'FST_ZD_INVALID_NAME', [string, string]>(
  'FST_ZD_INVALID_NAME',
  'Invalid %s name %s: expected a URL-safe name matching [a-z0-9][a-z0-9._-]* (at most 63 characters)',
  500, TypeError
)

export const AlreadyRegisteredError = createError<'FST_ZD_ALREADY_REGISTERED', [string]>(
  'FST_ZD_ALREADY_REGISTERED',
  '%s: register fastify-zero-downtime once, at the root of the app, before the routes (app.health is then visible in every plugin)'
)

export const DuplicateNameError = createError<'FST_ZD_DUPLICATE_NAME', [string, string]>(
  'FST_ZD_DUPLICATE_NAME',
  'A %s named "%s" is already registered: names must be unique'
)

export const InvalidArgumentError = createError<'FST_ZD_INVALID_ARGUMENT', [string, string, string]>(
  'FST_ZD_INVALID_ARGUMENT',
  'Invalid argument to %s: got %s, expected %s',
  500, TypeError
)

export const TooLateError = createError<'FST_ZD_TOO_LATE', [string, string]>(
  'FST_ZD_TOO_LATE',
  'Cannot add %s "%s" once the application is ready: register it before ready() or listen()'
)

export const BudgetExceededError = createError<'FST_ZD_BUDGET_EXCEEDED', [string, number]>(
  'FST_ZD_BUDGET_EXCEEDED',
  'The shutdown does not fit the grace period: %s needs more than gracePeriod %d ms. Lower shutdownDelay, drainTimeout or the resource or worker timeouts, or raise gracePeriod (and terminationGracePeriodSeconds with it)'
)

export const CheckTimeoutError = createError<'FST_ZD_CHECK_TIMEOUT', [number]>(
  'FST_ZD_CHECK_TIMEOUT',
  'timeout: no result within %d ms'
)

export const InvalidCheckResultError = createError<'FST_ZD_INVALID_RESULT', [string]>(
  'FST_ZD_INVALID_RESULT',
  'invalid result: a check returns nothing or { status: "pass" | "warn" | "fail" }, got %s'
)

export const ResourceTimeoutError = createError<'FST_ZD_CLOSE_TIMEOUT', [string, number]>(
  'FST_ZD_CLOSE_TIMEOUT',
  'Resource "%s" did not close within %d ms'
)

export const WorkerTimeoutError = createError<'FST_ZD_WORKER_TIMEOUT', [string, number]>(
  'FST_ZD_WORKER_TIMEOUT',
  'Worker "%s" did not stop within %d ms'
)

export const UncleanShutdownError = createError<'FST_ZD_UNCLEAN_SHUTDOWN', [string]>(
  'FST_ZD_UNCLEAN_SHUTDOWN',
  'Shutdown was not clean: %s'
)

export const StartupFailedError = createError<'FST_ZD_STARTUP_FAILED', [string]>(
  'FST_ZD_STARTUP_FAILED',
  'Startup failed: %s'
)

export const InvalidClientError = createError<'FST_ZD_INVALID_CLIENT', [string, string, string]>(
  'FST_ZD_INVALID_CLIENT',
  '%s.%s() needs %s',
  500, TypeError
)

/** Every error by its code, as fastify exports its own: `err instanceof errorCodes.FST_ZD_UNCLEAN_SHUTDOWN`. */
export const errorCodes = Object.freeze({
  FST_ZD_INVALID_OPTION: InvalidOptionError,
  FST_ZD_INVALID_NAME: InvalidCheckNameError,
  FST_ZD_ALREADY_REGISTERED: AlreadyRegisteredError,
  FST_ZD_DUPLICATE_NAME: DuplicateNameError,
  FST_ZD_INVALID_ARGUMENT: InvalidArgumentError,
  FST_ZD_TOO_LATE: TooLateError,
  FST_ZD_BUDGET_EXCEEDED: BudgetExceededError,
  FST_ZD_CHECK_TIMEOUT: CheckTimeoutError,
  FST_ZD_INVALID_RESULT: InvalidCheckResultError,
  FST_ZD_CLOSE_TIMEOUT: ResourceTimeoutError,
  FST_ZD_WORKER_TIMEOUT: WorkerTimeoutError,
  FST_ZD_UNCLEAN_SHUTDOWN: UncleanShutdownError,
  FST_ZD_STARTUP_FAILED: StartupFailedError,
  FST_ZD_INVALID_CLIENT: InvalidClientError
})

/** How a caller's value is shown in an error message: its type and, for simple values, the value (redacted). */
export function describe (value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : 'an array'
  switch (typeof value) {
    case 'string': {
      // Redacted before it is cut, so that no part of a secret (a URL's password, a token) shows.
      const shown = redact(value)
      return JSON.stringify(shown.length > 40 ? shown.slice(0, 40) + '…' : shown)
    }
    case 'number': case 'boolean': case 'bigint': return String(value)
    case 'undefined': return 'undefined'
    case 'function': return 'a function'
    case 'symbol': return 'a symbol'
    default: return 'an object'
  }
}
