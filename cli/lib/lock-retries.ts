import { setTimeout as sleep } from 'node:timers/promises'
import { describe, knownOptions, redact, shownKey } from 'fastify-zero-downtime/messages'
import { LockRetriesError, LockRetryOptionError } from './errors'

// A migration step that needs a strong lock must not queue behind a long query: while it waits,
// every query on the table waits behind it. So it runs with a short lock_timeout and, when that
// expires, is rolled back and tried again after a pause, as GitLab's with_lock_retries and
// safe-pg-migrations do. What held the lock is logged, so a failed deploy names its blocker.

/** One session: a pg Client or PoolClient, node-pg-migrate's `pgm.db`, or `{ query: (sql) => knex.raw(sql) }`. */
export interface LockRetrySession { query: (sql: string) => Promise<unknown> }

export interface Blocker { pid: number, state: string, query: string, seconds: number }

export interface LockRetryOptions {
  /** How long each attempt may wait for a lock (ms). Default: 2000 */
  lockTimeout?: number
  /** Attempts in all. Default: 5 */
  attempts?: number
  /** The pause after the first timeout (ms); it doubles each time, with jitter. Default: 1000 */
  delay?: number
  /** The longest pause (ms). Default: 30000 */
  maxDelay?: number
  /** A second session, used to read what blocks the step while it waits (pg_blocking_pids). */
  monitor?: LockRetrySession
  /** Told of each timed-out attempt. Default: a line on stderr. */
  log?: (message: string, details: { attempt: number, blockers: Blocker[] }) => void
  signal?: AbortSignal
}

export const LOCK_RETRY_DEFAULTS = { lockTimeout: 2000, attempts: 5, delay: 1000, maxDelay: 30_000 }

const LOCK_NOT_AVAILABLE = '55P03'
const OPTION_NAMES = ['lockTimeout', 'attempts', 'delay', 'maxDelay', 'monitor', 'log', 'signal']

function positive (name: keyof typeof LOCK_RETRY_DEFAULTS, value: unknown, integer = false): number {
  if (value === undefined) return LOCK_RETRY_DEFAULTS[name]
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new LockRetryOptionError(`withLockRetries option "${name}"`, redact(String(value)), integer ? 'an integer, 1 or more' : 'a number of milliseconds, more than 0')
  }
  return value
}

// node-postgres resolves { rows }; PGlite-style sessions and Knex's raw resolve the rows themselves.
const rowsOf = (result: unknown): Array<Record<string, unknown>> => Array.isArray(result) ? result : (result as { rows: Array<Record<string, unknown>> }).rows

/** What holds the locks `pid` waits for, read from another session. */
async function blockersOf (monitor: LockRetrySession, pid: number): Promise<Blocker[]> {
  const rows = rowsOf(await monitor.query(`SELECT pid, state, query, extract(epoch FROM now() - xact_start)::float8 AS seconds
    FROM pg_stat_activity WHERE pid = ANY(pg_blocking_pids(${pid}))`))
  return rows.map((row) => ({ pid: Number(row.pid), state: String(row.state), query: redact(String(row.query)).slice(0, 500), seconds: Math.round(Number(row.seconds)) }))
}

/**
 * Runs `step` in a transaction of its own with a short lock_timeout; a lock timeout rolls it back
 * and tries again after an exponential pause. Any other error rolls back and is thrown at once.
 */
export async function withLockRetries<T> (session: LockRetrySession, step: (session: LockRetrySession) => Promise<T>, options: LockRetryOptions = {}): Promise<T> {
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.includes(key)) throw new LockRetryOptionError(`withLockRetries option "${shownKey(key, OPTION_NAMES)}"`, 'unknown', knownOptions(key, OPTION_NAMES))
  }
  for (const [name, value] of [['session', session], ['options.monitor', options.monitor ?? session]] as const) {
    if (typeof value?.query !== 'function') throw new LockRetryOptionError(`withLockRetries ${name}`, describe(value), 'a session with query(sql): a pg Client or PoolClient, node-pg-migrate\'s pgm.db')
  }
  if (typeof step !== 'function') throw new LockRetryOptionError('withLockRetries step', describe(step), 'a function (session) => Promise')
  if (options.log !== undefined && typeof options.log !== 'function') throw new LockRetryOptionError('withLockRetries option "log"', describe(options.log), 'a function (message, details) => void')
  const lockTimeout = positive('lockTimeout', options.lockTimeout)
  const attempts = positive('attempts', options.attempts, true)
  const delay = positive('delay', options.delay)
  const maxDelay = positive('maxDelay', options.maxDelay)
  const log = options.log ?? ((message) => process.stderr.write(`${message}\n`))
  const pid = options.monitor === undefined ? undefined : Number(rowsOf(await session.query('SELECT pg_backend_pid() AS pid'))[0].pid)
  let blockers: Blocker[] = []
  for (let attempt = 1; ; attempt++) {
    options.signal?.throwIfAborted()
    // Read while the step waits: once it times out, nothing blocks it any more.
    const watch = new AbortController()
    const watched = pid === undefined
      ? Promise.resolve([])
      : sleep(lockTimeout / 2, undefined, { signal: watch.signal }).then(async () => await blockersOf(options.monitor as LockRetrySession, pid)).catch(() => [])
    await session.query('BEGIN')
    try {
      await session.query(`SET LOCAL lock_timeout = ${Math.ceil(lockTimeout)}`)
      const result = await step(session)
      await session.query('COMMIT')
      return result
    } catch (error) {
      await session.query('ROLLBACK')
      if ((error as { code?: string }).code !== LOCK_NOT_AVAILABLE) throw error
    } finally {
      watch.abort()
    }
    blockers = await watched
    const blocked = blockers.length === 0 ? '' : `; blocked by ${blockers.map((b) => `pid ${b.pid} (${b.state}, ${b.seconds} s in its transaction): ${b.query}`).join('; ')}`
    if (attempt === attempts) throw new LockRetriesError(attempts, lockTimeout, blocked)
    const pause = Math.min(maxDelay, delay * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2)
    log(`lock timeout (${lockTimeout} ms), attempt ${attempt} of ${attempts}; retrying in ${Math.round(pause)} ms${blocked}`, { attempt, blockers })
    await sleep(pause, undefined, { signal: options.signal })
  }
}
