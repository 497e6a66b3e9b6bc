// The checks and their background runs, in one file over 200 lines on purpose: a check's
// registration, scheduling, hung runs and verdicts share one record (RegisteredCheck), and its
// life is read best in one place.
import { setMaxListeners } from 'node:events'
import type { FastifyBaseLogger } from 'fastify'
import { InvalidArgumentError, TooLateError, describe } from './errors'
import { assertFunction, assertNewName, assertOptions } from './names'
import { duration } from './options'
import { describeError } from './redact'
import { runCheck, type CheckFunction, type CheckOutcome, type CheckStatus } from './run-check'

export type CheckGroup = 'readiness' | 'liveness' | 'startup'

export interface CheckOptions {
  /** The probes this check counts for. Default: `['readiness']`. */
  groups?: CheckGroup[]
  /** `false`: a failure reports `warn` and the instance stays ready. Default: `true`. */
  critical?: boolean
  /** Milliseconds before the run is aborted and counted as a failure. Default: the `checkTimeout` option. */
  timeout?: number
  /** Milliseconds between background runs. Default: the `checkInterval` option. */
  interval?: number
}

export interface RegisteredCheck {
  readonly name: string
  readonly groups: ReadonlySet<CheckGroup>
  readonly critical: boolean
  readonly timeout: number
  readonly interval: number
  /** The latest outcome, if any run has finished. */
  readonly last: CheckOutcome | undefined
  /** How many runs have finished. */
  readonly runs: number
  /** Whether any run has passed (or warned): startup waits for it. */
  readonly passedOnce: boolean
}

interface CheckEntry extends RegisteredCheck {
  fn: CheckFunction
  last: CheckOutcome | undefined
  runs: number
  passedOnce: boolean
  inFlight: boolean
  /** Runs that outlived their timeout and, ignoring their signal, have not settled yet. */
  abandoned: number
  timer: NodeJS.Timeout | undefined
}

/** A check's status as a probe sees it now, with the reason when it is not a pass. */
export interface Verdict {
  readonly check: RegisteredCheck
  readonly status: CheckStatus
  readonly reason: string | undefined
}

const GROUPS = new Set<string>(['readiness', 'liveness', 'startup'])
const GROUP_LIST = [...GROUPS].map((g) => `"${g}"`).join(', ')
// `close` is health.check()'s own (it registers a resource), taken out before the options get here.
const CHECK_OPTIONS = ['groups', 'critical', 'timeout', 'interval', 'close']
const STALE_AFTER_INTERVALS = 3
// Runs abandoned at their timeout that may still hang at once: one hang does not stop the check,
// and a check that always hangs does not pile up runs without bound.
export const MAX_ABANDONED_RUNS = 3
const RANK: Record<CheckStatus, number> = { pass: 0, warn: 1, fail: 2 }

export function worst (statuses: Iterable<CheckStatus>): CheckStatus {
  let result: CheckStatus = 'pass'
  for (const status of statuses) if (RANK[status] > RANK[result]) result = status
  return result
}

/**
 * The delay before a check's next run: ±10%, so that checks registered together do not hit their
 * dependencies in step, in steps of 1% because Node keeps one timer list per distinct delay (21
 * lists for any number of checks, not one per check).
 */
export function jittered (interval: number, random: () => number = Math.random): number {
  return Math.round(interval * (90 + Math.floor(random() * 21))) / 100
}

/**
 * The checks, each run in the background on its own timer. Probes only read the last outcomes,
 * so the rate at which a dependency is checked never depends on the rate of probes.
 */
export class Registry {
  readonly #checks = new Map<string, CheckEntry>()
  readonly #closing = new AbortController()
  readonly #firstRound = new AbortController()
  readonly #log: FastifyBaseLogger
  readonly #defaults: { interval: number, timeout: number }
  // `changed`: what a probe shows of the check (its status, a failing check's reason) is not what
  // it showed after the previous run. Most runs change nothing a probe shows.
  #onOutcome!: (check: RegisteredCheck, changed: boolean) => void
  #sealed = false

  constructor (log: FastifyBaseLogger, defaults: { interval: number, timeout: number }) {
    // Each run in flight listens on it: as many listeners as checks (and their abandoned runs).
    setMaxListeners(0, this.#closing.signal)
    this.#log = log
    this.#defaults = defaults
  }

  add (name: unknown, fn: unknown, options: unknown = {}): void {
    assertNewName('check', name, this.#checks)
    if (this.#sealed) throw new TooLateError('check', name)
    assertFunction(`health.check("${name}")`, fn, 'a function ({ signal }) => void | { status } | Promise<…>')
    assertOptions(`health.check("${name}")`, options, CHECK_OPTIONS)
    const { groups = ['readiness'], critical = true, timeout, interval } = options as CheckOptions
    const where = `health.check("${name}") option`
    if (!Array.isArray(groups) || groups.length === 0) {
      throw new InvalidArgumentError(`${where} "groups"`, describe(groups), `a non-empty array of ${GROUP_LIST}`)
    }
    const badGroup = groups.findIndex((g) => !GROUPS.has(g))
    if (badGroup >= 0) throw new InvalidArgumentError(`${where} "groups[${badGroup}]"`, describe(groups[badGroup]), `one of ${GROUP_LIST}`)
    if (typeof critical !== 'boolean') throw new InvalidArgumentError(`${where} "critical"`, describe(critical), 'a boolean')
    const checkInterval = duration(`${where} interval`, interval, this.#defaults.interval, { positive: true })
    const checkTimeout = duration(`${where} timeout`, timeout, Math.min(this.#defaults.timeout, checkInterval), { positive: true })
    if (checkTimeout > checkInterval) throw new InvalidArgumentError(`${where} "timeout"`, String(checkTimeout), `at most its interval (${checkInterval} ms)`)
    this.#checks.set(name, {
      name,
      fn: fn as CheckFunction,
      groups: new Set(groups),
      critical,
      timeout: checkTimeout,
      interval: checkInterval,
      last: undefined,
      runs: 0,
      passedOnce: false,
      inFlight: false,
      abandoned: 0,
      timer: undefined
    })
  }

  get (name: string): RegisteredCheck | undefined {
    return this.#checks.get(name)
  }

  list (): RegisteredCheck[] {
    return [...this.#checks.values()]
  }

  /**
   * Runs every check once (the first round, during ready()), then keeps each on its timer;
   * `onOutcome` hears of each run once it is recorded (the answers, the metrics, the startup).
   */
  async start (onOutcome: (check: RegisteredCheck, changed: boolean) => void): Promise<void> {
    this.#onOutcome = onOutcome
    this.#sealed = true
    const round = Promise.all([...this.#checks.values()].map(async (check) => {
      await this.#run(check)
      this.#schedule(check)
    }))
    // A shutdown during the first round need not wait for it: the runs go on, unawaited.
    const abandoned = new Promise<void>((resolve) => this.#firstRound.signal.addEventListener('abort', () => resolve(), { once: true }))
    await Promise.race([round, abandoned])
  }

  /** The first round is no longer awaited (a shutdown began before the instance was ready). */
  abortFirstRound (): void {
    this.#firstRound.abort()
  }

  /** Runs at once the checks that have not passed yet (e.g. once startup tasks are done). */
  rerunUnpassed (): void {
    for (const check of this.#checks.values()) {
      if (check.passedOnce || check.inFlight || this.#closing.signal.aborted) continue
      clearTimeout(check.timer)
      this.#cycle(check)
    }
  }

  /** Stops the timers and aborts runs in flight; outcomes are kept for the last probes. */
  stop (): void {
    this.#sealed = true
    this.#closing.abort(new Error('the application is closing'))
    for (const check of this.#checks.values()) clearTimeout(check.timer)
  }

  #schedule (check: CheckEntry): void {
    if (this.#closing.signal.aborted) return
    check.timer = setTimeout(() => this.#cycle(check), jittered(check.interval))
    check.timer.unref()
  }

  #cycle (check: CheckEntry): void {
    this.#run(check).then(() => this.#schedule(check), /* c8 ignore next */ (err) => this.#log.error({ reason: describeError(err) }, 'health check scheduling failed'))
  }

  // Never called for a check in flight or once closing: the timer is set once a run ends (and not
  // once closing), rerunUnpassed skips both.
  async #run (check: CheckEntry): Promise<void> {
    if (check.abandoned >= MAX_ABANDONED_RUNS) {
      const output = `hung: ${check.abandoned} runs never settled after their timeout; no new run until one does`
      return this.#record(check, { status: 'fail', time: Date.now(), duration: 0, output })
    }
    check.inFlight = true
    const { outcome, settled } = runCheck(check.fn, check.timeout, this.#closing.signal)
    let done = false
    let abandoned = false
    settled.then(() => {
      done = true
      if (abandoned) check.abandoned--
    }, /* c8 ignore next */ () => {})
    const result = await outcome
    check.inFlight = false
    // Timed out and still running: abandoned, and counted until it settles.
    if (!done) {
      abandoned = true
      check.abandoned++
    }
    this.#record(check, result)
  }

  #record (check: CheckEntry, outcome: CheckOutcome): void {
    if (this.#closing.signal.aborted) return
    const last = check.last
    const previous = last?.status
    check.last = outcome
    check.runs++
    if (outcome.status !== 'fail') check.passedOnce = true
    if (outcome.invalid === true) {
      this.#log.error({ check: check.name, reason: outcome.output }, `health check "${check.name}" returned an invalid result`)
    }
    const transition = outcome.status !== previous
    // Transitions are logged once each; steady states, and a first pass, log nothing.
    if (transition && !(previous === undefined && outcome.status === 'pass')) {
      const entry = { check: check.name, status: outcome.status, reason: outcome.output }
      if (outcome.status === 'pass') this.#log.info(entry, `health check "${check.name}" recovered`)
      else this.#log.warn(entry, `health check "${check.name}" is ${outcome.status === 'fail' ? 'failing' : 'degraded'}`)
    }
    this.#onOutcome(check, transition || (outcome.status !== 'pass' && outcome.output !== last?.output))
  }

  /** The moment the first of the kept results turns stale (Infinity when none can). */
  staleAt (): number {
    let at = Infinity
    for (const check of this.#checks.values()) {
      if (check.last !== undefined) at = Math.min(at, check.last.time + check.interval * STALE_AFTER_INTERVALS)
    }
    return at
  }

  /** A check's status now: no outcome yet, or one older than three intervals (a stalled loop), is a failure. */
  verdict (check: RegisteredCheck, now = Date.now()): Verdict {
    const last = check.last
    if (last === undefined) return { check, status: 'fail', reason: 'no result yet' }
    if (now - last.time > check.interval * STALE_AFTER_INTERVALS) {
      return { check, status: 'fail', reason: 'stale: no result for over three intervals' }
    }
    return { check, status: last.status, reason: last.status === 'pass' ? undefined : last.output }
  }

  /** Verdicts for the checks of one group (or all), leaving out the excluded names. */
  verdicts (group: CheckGroup | undefined, exclude?: ReadonlySet<string>): Verdict[] {
    const now = Date.now()
    const verdicts: Verdict[] = []
    for (const check of this.#checks.values()) {
      if (group !== undefined && !check.groups.has(group)) continue
      if (exclude?.has(check.name) === true) continue
      verdicts.push(this.verdict(check, now))
    }
    return verdicts
  }

  /** Worst status of the verdicts; a non-critical failure counts as a warning. */
  static summarize (verdicts: Iterable<Verdict>): CheckStatus {
    const statuses: CheckStatus[] = []
    for (const v of verdicts) statuses.push(v.status === 'fail' && !v.check.critical ? 'warn' : v.status)
    return worst(statuses)
  }
}
