import { parseAllDocuments } from 'yaml'
import { describeBudget, OPTION_NAMES, resolveOptions, type ResolvedOptions } from 'fastify-zero-downtime/budget'
import { describe, knownOptions, shownKey } from 'fastify-zero-downtime/messages'
import { ConfigError, ManifestError } from './errors'

export interface Problem { where: string, rule: string, message: string, fix: string }

interface Probe { httpGet?: { path?: string }, timeoutSeconds?: number }
interface Container { name?: string, readinessProbe?: Probe, livenessProbe?: Probe, startupProbe?: Probe, lifecycle?: { preStop?: { sleep?: { seconds?: number }, exec?: { command?: string[] } } } }
interface Deployment {
  metadata?: { name?: string }
  spec?: {
    replicas?: number
    strategy?: { type?: string, rollingUpdate?: { maxUnavailable?: number | string } }
    template?: { spec?: { terminationGracePeriodSeconds?: number, containers?: Container[] } }
  }
}

export interface CheckerConfig {
  options: ResolvedOptions
  resourceTimeouts: number[]
  /** Each app.health.worker() (websockets() counts as one with http: true): its stop timeout and kind. */
  workers: Array<{ timeout: number, http: boolean }>
  /** The cluster's endpoint propagation delay (ms): how long a deleted pod still gets new connections. */
  propagation: number
}

/** Endpoint propagation in a typical cluster (kube-proxy's sync after the endpoints update); --propagation overrides it. */
export const DEFAULT_PROPAGATION = 2000
/** Connections opened as the endpoint leaves still arrive a moment later (measured: docs/rolling-deploy.md). */
export const PROPAGATION_MARGIN = 1000

/**
 * The plugin's options as the app passes them, plus `resourceTimeouts` (ms) for its resources and
 * `workers` ({ timeout, http }) for its workers.
 */
// The checker's config file: the options passed to app.register, and what the app registers.
const CONFIG_KEYS = [...OPTION_NAMES, 'resourceTimeouts', 'workers']

const isMilliseconds = (value: unknown): boolean => typeof value === 'number' && Number.isFinite(value) && value > 0

export function readConfig (json: unknown, propagation = DEFAULT_PROPAGATION): CheckerConfig {
  // A JSON null (or no --config) is the defaults.
  const config = json ?? {}
  if (typeof config !== 'object' || Array.isArray(config)) throw new ConfigError(`the config: got ${describe(config)}, expected a JSON object: the plugin's options, "resourceTimeouts" and "workers"`)
  const extra = Object.keys(config).find((key) => !CONFIG_KEYS.includes(key))
  if (extra !== undefined) throw new ConfigError(`the config: got an unknown key "${shownKey(extra, CONFIG_KEYS)}", expected ${knownOptions(extra, CONFIG_KEYS)}`)
  const { resourceTimeouts = [], workers = [], ...options } = config as { resourceTimeouts?: unknown, workers?: unknown }
  const RESOURCES = 'an array of milliseconds above 0, one per app.health.resource()'
  if (!Array.isArray(resourceTimeouts)) throw new ConfigError(`resourceTimeouts: got ${describe(resourceTimeouts)}, expected ${RESOURCES}`)
  const badTimeout = resourceTimeouts.findIndex((t) => !isMilliseconds(t))
  if (badTimeout >= 0) throw new ConfigError(`resourceTimeouts[${badTimeout}]: got ${describe(resourceTimeouts[badTimeout])}, expected milliseconds above 0 (${RESOURCES})`)
  const WORKER = '{ "timeout": ms (default drainTimeout), "http": boolean (default false) }, one per app.health.worker() or websockets() (http: true)'
  if (!Array.isArray(workers)) throw new ConfigError(`workers: got ${describe(workers)}, expected an array of ${WORKER}`)
  workers.forEach((w: unknown, i) => {
    if (typeof w !== 'object' || w === null || Array.isArray(w)) throw new ConfigError(`workers[${i}]: got ${describe(w)}, expected ${WORKER}`)
    const { timeout, http, ...rest } = w as Record<string, unknown>
    const key = Object.keys(rest)[0]
    if (key !== undefined) throw new ConfigError(`workers[${i}]: got an unknown key "${shownKey(key, ['timeout', 'http'])}", expected ${knownOptions(key, ['timeout', 'http'])}`)
    if (timeout !== undefined && !isMilliseconds(timeout)) throw new ConfigError(`workers[${i}].timeout: got ${describe(timeout)}, expected milliseconds above 0`)
    if (http !== undefined && typeof http !== 'boolean') throw new ConfigError(`workers[${i}].http: got ${describe(http)}, expected true (stopped when shutdownDelay ends) or false (stopped at once)`)
  })
  try {
    const resolved = resolveOptions(options)
    const listed = (workers as Array<{ timeout?: number, http?: boolean }>).map((w) => ({ timeout: w.timeout ?? resolved.drainTimeout, http: w.http ?? false }))
    return { options: resolved, resourceTimeouts, workers: listed, propagation }
  } catch (error) {
    throw new ConfigError((error as Error).message)
  }
}

export function readDeployments (text: string, file: string): Deployment[] {
  const deployments: Deployment[] = []
  for (const doc of parseAllDocuments(text)) {
    const error = doc.errors[0]
    // The parser's message says where: "... at line 2, column 7:".
    if (error !== undefined) throw new ManifestError(`${file}: invalid YAML: ${error.message.split('\n')[0]}`)
    const value = doc.toJS() as { kind?: unknown } | null
    if (value?.kind === 'Deployment') deployments.push(value as Deployment)
  }
  if (deployments.length === 0) throw new ManifestError(`${file}: no Deployment found (kind: Deployment)`)
  return deployments
}

const seconds = (ms: number): number => Math.ceil(ms / 1000)

function preStopSleepSeconds (container: Container): number {
  const preStop = container.lifecycle?.preStop
  if (preStop?.sleep?.seconds !== undefined) return preStop.sleep.seconds
  const command = preStop?.exec?.command?.join(' ') ?? ''
  const match = /\bsleep\s+(\d+(?:\.\d+)?)/.exec(command)
  return match === null ? 0 : Number(match[1])
}

/** Each inconsistency between a Deployment and the plugin's options, with what to change. */
export function checkDeployment (deployment: Deployment, { options, resourceTimeouts, workers = [], propagation }: CheckerConfig): Problem[] {
  const problems: Problem[] = []
  const name = `Deployment/${deployment.metadata?.name ?? '(unnamed)'}`
  const spec = deployment.spec ?? {}
  const pod = spec.template?.spec ?? {}
  const add = (where: string, rule: string, message: string, fix: string): void => { problems.push({ where, rule, message, fix }) }
  const { routes } = options
  const served = (path: string, route: string | false): boolean => route !== false && (path === route || path.startsWith(`${route}/`))

  const graceSeconds = pod.terminationGracePeriodSeconds ?? 30
  const budget = describeBudget({ ...options, resourceTimeouts, workers })
  const shutdown = budget.total
  if (shutdown > graceSeconds * 1000) {
    add(name, 'grace-period', `terminationGracePeriodSeconds is ${graceSeconds} s, but the shutdown may take ${shutdown} ms: ${budget.text}`, `set terminationGracePeriodSeconds: ${seconds(shutdown)} or more, or lower the plugin's timeouts`)
  }
  if (options.gracePeriod !== graceSeconds * 1000) {
    add(name, 'grace-period-option', `the plugin's gracePeriod is ${options.gracePeriod} ms but terminationGracePeriodSeconds is ${graceSeconds} s`, `set the gracePeriod option to ${graceSeconds * 1000}`)
  }

  const replicas = spec.replicas ?? 1
  const strategy = spec.strategy?.type ?? 'RollingUpdate'
  const maxUnavailable = spec.strategy?.rollingUpdate?.maxUnavailable ?? '25%'
  // Kubernetes rounds a percentage of maxUnavailable down.
  const unavailable = typeof maxUnavailable === 'string' ? Math.floor(replicas * Number.parseFloat(maxUnavailable) / 100) : maxUnavailable
  if (strategy === 'Recreate') {
    add(name, 'max-unavailable', 'strategy Recreate stops every pod before starting new ones: capacity drops to zero on each deploy', 'use strategy RollingUpdate with maxSurge: 1, maxUnavailable: 0')
  } else if (unavailable >= replicas) {
    add(name, 'max-unavailable', `maxUnavailable ${maxUnavailable} with ${replicas} replica(s) lets a rollout take every pod down at once`, 'set rollingUpdate.maxUnavailable: 0 (and maxSurge: 1)')
  }

  const containers = pod.containers ?? []
  const probed = containers.filter((c) => c.readinessProbe !== undefined || c.livenessProbe !== undefined || c.startupProbe !== undefined)
  for (const container of probed.length > 0 ? probed : containers.slice(0, 1)) {
    const where = `${name} container/${container.name ?? '(unnamed)'}`
    const path = (probe: Probe | undefined): string | undefined => probe?.httpGet === undefined ? undefined : (probe.httpGet.path ?? '/').split('?')[0]

    const readiness = path(container.readinessProbe)
    if (container.readinessProbe === undefined) {
      add(where, 'readiness-missing', 'no readinessProbe: the pod receives traffic before it is ready and while it drains', `add readinessProbe: { httpGet: { path: ${String(routes.ready)} } }`)
    } else if (readiness === undefined) {
      add(where, 'readiness-not-http', 'the readinessProbe is not an httpGet: it cannot see the instance drain', `use httpGet with path ${String(routes.ready)}`)
    } else if (served(readiness, routes.live)) {
      add(where, 'readiness-on-liveness', `the readinessProbe points at the liveness path ${readiness}: it stays 200 while the instance drains`, `point it at ${String(routes.ready)}`)
    } else if (!served(readiness, routes.ready)) {
      add(where, 'readiness-path', `the readinessProbe path ${readiness} is not served by the plugin (routes.ready is ${String(routes.ready)})`, `point it at ${String(routes.ready)}`)
    }

    const liveness = path(container.livenessProbe)
    if (liveness !== undefined && (served(liveness, routes.ready) || served(liveness, routes.health))) {
      add(where, 'liveness-on-readiness', `the livenessProbe points at ${liveness}: a dependency outage (or a drain) would restart every pod`, `point it at ${String(routes.live)}`)
    } else if (liveness !== undefined && !served(liveness, routes.live)) {
      add(where, 'liveness-path', `the livenessProbe path ${liveness} is not served by the plugin (routes.live is ${String(routes.live)})`, `point it at ${String(routes.live)}`)
    }
    const startup = path(container.startupProbe)
    if (startup !== undefined && !served(startup, routes.startup)) {
      add(where, 'startup-path', `the startupProbe path ${startup} is not served by the plugin (routes.startup is ${String(routes.startup)})`, `point it at ${String(routes.startup)}`)
    }

    const preStop = preStopSleepSeconds(container)
    // A deleted pod keeps getting new connections until kube-proxy hears of it; SIGTERM comes at once.
    const serving = preStop * 1000 + options.shutdownDelay
    if (serving < propagation + PROPAGATION_MARGIN) {
      add(where, 'propagation', `the pod keeps serving ${serving} ms after deletion (preStop sleep + shutdownDelay), less than the cluster's endpoint propagation of ${propagation} ms plus ${PROPAGATION_MARGIN} ms: connections still routed to it are refused`, `raise shutdownDelay to ${propagation + PROPAGATION_MARGIN - preStop * 1000} ms or more (measured: docs/rolling-deploy.md, "On Kubernetes' dataplane")`)
    }
    if (preStop > 0 && shutdown <= graceSeconds * 1000 && preStop * 1000 + shutdown > graceSeconds * 1000) {
      add(where, 'prestop-sleep', `a preStop sleep of ${preStop} s runs before SIGTERM, on top of shutdownDelay: ${preStop * 1000 + shutdown} ms in all, beyond terminationGracePeriodSeconds ${graceSeconds} s`, 'remove the preStop sleep (shutdownDelay already keeps serving while endpoints update), or raise terminationGracePeriodSeconds')
    }
  }
  return problems
}
