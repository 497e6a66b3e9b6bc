// Every option of app.register(zeroDowntime, options), its type, default and validation, read once
// at registration into a frozen copy. Over 200 lines on purpose: README's options table is checked
// against DEFAULTS here, and one file keeps every rule beside its option.
import type { FastifyRequest, LogLevel } from 'fastify'
import type { MeterProvider } from '@opentelemetry/api'
import { InvalidOptionError, describe } from './errors'
import { knownOptions, shownKey } from './names'

export type DetailsPolicy = 'never' | 'authorized' | 'always'

export interface RoutePaths {
  /** Liveness probe path, or `false` for none. */
  live?: string | false
  /** Readiness probe path, or `false` for none. */
  ready?: string | false
  /** Startup probe path, or `false` for none. */
  startup?: string | false
  /** Aggregate health (application/health+json) path, or `false` for none. */
  health?: string | false
}

export interface LivenessOptions {
  /** Mean event-loop delay (ms) per under-pressure sample above which the process is not alive; a loop blocked through a whole sample is not alive either. */
  maxEventLoopDelay?: number
  /** Heap used (bytes) above which the process is not alive; 0 disables. */
  maxHeapUsedBytes?: number
  /** Resident set size (bytes) above which the process is not alive; 0 disables. */
  maxRssBytes?: number
}

export interface ZeroDowntimeOptions {
  routes?: RoutePaths
  details?: DetailsPolicy
  authorize?: (request: FastifyRequest) => boolean | Promise<boolean>
  probeLogLevel?: LogLevel
  /** List the probe routes in OpenAPI output (@fastify/swagger), with their content types and queries. */
  openapi?: boolean
  /** Where the metrics go (lib/metrics.ts); default: the global one of @opentelemetry/api, a no-op until an SDK is installed. */
  meterProvider?: MeterProvider
  checkInterval?: number
  checkTimeout?: number
  liveness?: LivenessOptions | false
  startupTimeout?: number
  signals?: NodeJS.Signals[] | false
  shutdownOnError?: boolean
  shutdownDelay?: number
  drainTimeout?: number
  closeTimeout?: number
  gracePeriod?: number
  /** Hold one of Node's nextTick objects while the app is open (lib/tick-shape.ts); `false` turns the workaround off. */
  holdTickShape?: boolean
}

export interface ResolvedOptions {
  readonly routes: Readonly<Required<RoutePaths>>
  readonly details: DetailsPolicy
  readonly authorize: ((request: FastifyRequest) => boolean | Promise<boolean>) | undefined
  readonly probeLogLevel: LogLevel
  readonly openapi: boolean
  readonly meterProvider: MeterProvider | undefined
  readonly checkInterval: number
  readonly checkTimeout: number
  readonly liveness: Readonly<Required<LivenessOptions>> | false
  readonly startupTimeout: number
  readonly signals: readonly NodeJS.Signals[] | false
  readonly shutdownOnError: boolean
  readonly shutdownDelay: number
  readonly drainTimeout: number
  readonly closeTimeout: number
  readonly gracePeriod: number
  readonly holdTickShape: boolean
}

/** The defaults, flattened with dotted names: README's options table is checked against this. */
export const DEFAULTS = Object.freeze({
  'routes.live': '/livez',
  'routes.ready': '/readyz',
  'routes.startup': '/startupz',
  'routes.health': '/health',
  details: 'never',
  authorize: undefined,
  probeLogLevel: 'warn',
  openapi: false,
  meterProvider: undefined,
  checkInterval: 5000,
  checkTimeout: 1000,
  'liveness.maxEventLoopDelay': 1000,
  'liveness.maxHeapUsedBytes': 0,
  'liveness.maxRssBytes': 0,
  startupTimeout: 0,
  signals: ['SIGTERM', 'SIGINT'],
  shutdownOnError: false,
  shutdownDelay: 5000,
  drainTimeout: 10000,
  closeTimeout: 2000,
  gracePeriod: 30000,
  holdTickShape: true
} as const)

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']
const DETAILS = ['never', 'authorized', 'always']
// The termination signals close-with-grace listens for.
const SIGNALS: unknown[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR2']
// Fastify's own register options pass through: `prefix` moves the probes (fastify-plugin would
// otherwise ignore it), `logLevel` and `logSerializers` are Fastify's business.
const REGISTER_OPTIONS = ['prefix', 'logLevel', 'logSerializers']
/** Every key `app.register(zeroDowntime, options)` accepts. */
export const OPTION_NAMES: readonly string[] = Object.freeze([...new Set(Object.keys(DEFAULTS).map((key) => key.split('.')[0])), ...REGISTER_OPTIONS])

// Map, Set, Date, RegExp and class instances are objects too, with no options in them.
function isPlainObject (value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

/** Node's timers fire after 1 ms for anything longer. */
export const MAX_TIMER = 2 ** 31 - 1

function fail (name: string, value: unknown, expected: string): never {
  throw new InvalidOptionError(name, describe(value), expected)
}

/** Throws for the first key not in `known`, naming the likely intent and every known key. */
export function rejectUnknownKeys (name: string, value: Record<string, unknown>, known: readonly string[]): void {
  const key = Object.keys(value).find((key) => !known.includes(key))
  if (key !== undefined) throw new InvalidOptionError(`${name === '' ? '' : `${name}.`}${shownKey(key, known)}`, 'an unknown option', knownOptions(key, known))
}

/** A duration in milliseconds: finite, not negative, and above zero where zero makes no sense. */
export function duration (name: string, value: unknown, fallback: number, { positive = false } = {}): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (positive && value === 0) || value > MAX_TIMER) {
    fail(name, value, `${positive ? 'a number of milliseconds above 0' : 'a number of milliseconds, 0 or more'}, at most ${MAX_TIMER}`)
  }
  return value
}

function oneOf<T extends string> (name: string, value: unknown, allowed: readonly string[], fallback: T): T {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || !allowed.includes(value)) fail(name, value, `one of ${allowed.map((v) => `"${v}"`).join(', ')}`)
  return value as T
}

function routePath (name: string, value: unknown, fallback: string): string | false {
  if (value === undefined) return fallback
  if (value === false) return false
  if (typeof value !== 'string' || !/^\/[A-Za-z0-9._~/-]*$/.test(value) || value.includes('//')) {
    fail(name, value, 'a path starting with "/" (letters, digits, ".", "_", "~", "-", "/"), or false')
  }
  return value.length > 1 && value.endsWith('/') ? value.slice(0, -1) : value
}

function resolveRoutes (value: unknown): Required<RoutePaths> {
  if (value === undefined) value = {}
  if (!isPlainObject(value)) fail('routes', value, 'an object { live, ready, startup, health }')
  rejectUnknownKeys('routes', value, ['live', 'ready', 'startup', 'health'])
  const routes = {
    live: routePath('routes.live', value.live, DEFAULTS['routes.live']),
    ready: routePath('routes.ready', value.ready, DEFAULTS['routes.ready']),
    startup: routePath('routes.startup', value.startup, DEFAULTS['routes.startup']),
    health: routePath('routes.health', value.health, DEFAULTS['routes.health'])
  }
  const seen = new Map<string, string>()
  for (const [key, path] of Object.entries(routes)) {
    if (path === false) continue
    const other = seen.get(path)
    if (other !== undefined) fail(`routes.${key}`, path, `a path different from routes.${other}`)
    seen.set(path, key)
  }
  return routes
}

/** The probe paths under a registration `prefix` ("/api": /api/readyz ...). */
function prefixed (prefix: string | false, routes: Required<RoutePaths>): Required<RoutePaths> {
  if (prefix === false) fail('prefix', prefix, 'a path starting with "/"')
  const base = prefix === '/' ? '' : prefix
  const under = (path: string | false): string | false => path === false ? false : `${base}${path}`
  return { live: under(routes.live), ready: under(routes.ready), startup: under(routes.startup), health: under(routes.health) }
}

function resolveLiveness (value: unknown): Required<LivenessOptions> | false {
  if (value === false) return false
  if (value === undefined) value = {}
  if (!isPlainObject(value)) fail('liveness', value, 'an object { maxEventLoopDelay, maxHeapUsedBytes, maxRssBytes } or false')
  rejectUnknownKeys('liveness', value, ['maxEventLoopDelay', 'maxHeapUsedBytes', 'maxRssBytes'])
  return {
    maxEventLoopDelay: duration('liveness.maxEventLoopDelay', value.maxEventLoopDelay, DEFAULTS['liveness.maxEventLoopDelay'], { positive: true }),
    maxHeapUsedBytes: byteCount('liveness.maxHeapUsedBytes', value.maxHeapUsedBytes, DEFAULTS['liveness.maxHeapUsedBytes']),
    maxRssBytes: byteCount('liveness.maxRssBytes', value.maxRssBytes, DEFAULTS['liveness.maxRssBytes'])
  }
}

function meterProvider (value: unknown): MeterProvider | undefined {
  if (value === undefined) return undefined
  if (typeof (value as { getMeter?: unknown } | null)?.getMeter !== 'function') fail('meterProvider', value, 'an OpenTelemetry MeterProvider (with getMeter())')
  return value as MeterProvider
}

function flag (name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') fail(name, value, 'a boolean')
  return value
}

function byteCount (name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fail(name, value, 'a whole number of bytes, 0 (off) or more')
  return value
}

function resolveSignals (value: unknown): NodeJS.Signals[] | false {
  if (value === undefined) return [...DEFAULTS.signals]
  if (value === false) return false
  const names = SIGNALS.map((s) => `"${s}"`).join(', ')
  if (!Array.isArray(value) || value.length === 0) fail('signals', value, `a non-empty array of ${names}, or false`)
  const bad = value.findIndex((s) => !SIGNALS.includes(s))
  if (bad >= 0) fail(`signals[${bad}]`, value[bad], `one of ${names} (the signals a shutdown can start from)`)
  return [...new Set(value as NodeJS.Signals[])]
}

/** Reads the caller's options once, at registration, into a frozen copy; the caller's object is left as it was. */
export function resolveOptions (input: unknown): ResolvedOptions {
  if (input === undefined || input === null) input = {}
  if (!isPlainObject(input)) fail('options', input, 'an object')
  rejectUnknownKeys('', input, OPTION_NAMES)
  const { prefix, ...own } = input

  const details = oneOf<DetailsPolicy>('details', own.details, DETAILS, DEFAULTS.details)
  const authorize = own.authorize
  if (authorize !== undefined && typeof authorize !== 'function') fail('authorize', authorize, 'a function (request) => boolean | Promise<boolean>')
  if (details === 'authorized' && authorize === undefined) fail('authorize', authorize, 'a function (request) => boolean when details is "authorized"')
  if (details !== 'authorized' && authorize !== undefined) fail('authorize', authorize, 'undefined unless details is "authorized"')

  const checkInterval = duration('checkInterval', own.checkInterval, DEFAULTS.checkInterval, { positive: true })
  const checkTimeout = duration('checkTimeout', own.checkTimeout, DEFAULTS.checkTimeout, { positive: true })
  if (checkTimeout > checkInterval) fail('checkTimeout', checkTimeout, `at most checkInterval (${checkInterval} ms)`)

  return Object.freeze({
    routes: Object.freeze(prefixed(routePath('prefix', prefix, '/'), resolveRoutes(own.routes))),
    details,
    authorize: authorize as ResolvedOptions['authorize'],
    probeLogLevel: oneOf<LogLevel>('probeLogLevel', own.probeLogLevel, LOG_LEVELS, DEFAULTS.probeLogLevel),
    openapi: flag('openapi', own.openapi, DEFAULTS.openapi),
    meterProvider: meterProvider(own.meterProvider),
    checkInterval,
    checkTimeout,
    liveness: ((l) => l === false ? l : Object.freeze(l))(resolveLiveness(own.liveness)),
    startupTimeout: duration('startupTimeout', own.startupTimeout, DEFAULTS.startupTimeout),
    signals: ((s) => s === false ? s : Object.freeze(s))(resolveSignals(own.signals)),
    shutdownOnError: flag('shutdownOnError', own.shutdownOnError, DEFAULTS.shutdownOnError),
    shutdownDelay: duration('shutdownDelay', own.shutdownDelay, DEFAULTS.shutdownDelay),
    drainTimeout: duration('drainTimeout', own.drainTimeout, DEFAULTS.drainTimeout, { positive: true }),
    closeTimeout: duration('closeTimeout', own.closeTimeout, DEFAULTS.closeTimeout, { positive: true }),
    gracePeriod: duration('gracePeriod', own.gracePeriod, DEFAULTS.gracePeriod, { positive: true }),
    holdTickShape: flag('holdTickShape', own.holdTickShape, DEFAULTS.holdTickShape)
  })
}
