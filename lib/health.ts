import type { FastifyInstance } from 'fastify'
import { createApi, type ZeroDowntimeHealth } from './api'
import { assertBudget, type WorkerBudget } from './budget'
import { EventStreams } from './event-stream'
import { launcherWarnings, type Launcher } from './launchers'
import { Metrics } from './metrics'
import type { ResolvedOptions } from './options'
import { describeError } from './redact'
import { Registry } from './registry'
import { Resources } from './resources'
import type { ProbeSource } from './routes'
import { Lifecycle } from './shutdown'
import { StartupGate, StartupTasks } from './startup'
import { Status } from './status'
import { warnings } from './warnings'
import { Workers } from './workers'

/** The built-in worker that ends every SSE stream (`eventStream()`); its name is taken. */
export const EVENT_STREAMS = 'event-streams'

// The version the metrics' meter carries.
const VERSION = (require('../package.json') as { version: string }).version

/** What the plugin gets back: the public `app.health`, what the routes read, and the start. */
export interface Health {
  api: ZeroDowntimeHealth
  probes: ProbeSource
  /** Wires the lifecycle into Fastify's start and close; `onClosed` runs once the instance has closed. */
  attach: (onClosed: () => void) => void
}

/**
 * The composition root: every part of one instance's health, created in the order they depend
 * on each other, each handed what it needs and no more. Listeners that join parts created later
 * are added last, below.
 */
export function createHealth (fastify: FastifyInstance, options: ResolvedOptions, launchers: Launcher[]): Health {
  const log = fastify.log
  const registry = new Registry(log, { interval: options.checkInterval, timeout: options.checkTimeout })
  const tasks = new StartupTasks()
  const gate = new StartupGate(log, tasks, registry, options.startupTimeout)
  const resources = new Resources(options.closeTimeout)
  const workers = new Workers(options.drainTimeout)
  const metrics = new Metrics(options.meterProvider, VERSION)
  const { shutdownDelay, drainTimeout, gracePeriod } = options
  const checkBudget = (resourceTimeouts: readonly number[], adding?: WorkerBudget): { total: number, text: string } =>
    assertBudget({ shutdownDelay, drainTimeout, gracePeriod, resourceTimeouts, workers: adding === undefined ? workers.stops : [...workers.stops, adding] })
  // At registration without resources; again as each resource or worker is added, and at start.
  checkBudget([])

  const lifecycle = new Lifecycle(fastify, options, {
    startupComplete: () => gate.complete,
    abortStartup: () => { gate.abort() },
    closeResources: async () => {
      gate.stop()
      registry.stop()
      return await resources.closeAll(log)
    },
    stopWorkers: async (http) => {
      const reports = await workers.stop(http, log)
      for (const report of reports) metrics.workerStopped(report)
      return reports
    },
    phaseEnded: (phase, ms) => { metrics.phase(phase, ms) },
    requestsCut: (count) => { metrics.requestsCut(count) }
  })
  const status = new Status(log, { registry, tasks, gate, state: () => lifecycle.state })
  // SSE streams are ended by one built-in worker, so that every reply marked as a stream is. It
  // ends its streams within drainTimeout and destroys what is left at once: no time beyond the
  // drain. Without open streams it is skipped, and left out of the report.
  const streams = new EventStreams((socket) => lifecycle.adopt(socket), () => lifecycle.state === 'closing' || lifecycle.state === 'closed')
  workers.keep(workers.add(EVENT_STREAMS, streams.worker, { http: true }, { react: 0, hasWork: () => streams.count > 0 }))

  metrics.observe({
    checks: () => registry.verdicts(undefined),
    ready: () => status.ready,
    live: () => status.report('live').status !== 'fail',
    state: () => lifecycle.state
  })
  lifecycle.onStateChange((state, previous) => {
    status.changed()
    metrics.transition(previous, state)
    if (state === 'ready') {
      gate.stop()
      // A worker that cannot start makes liveness fail.
      workers.startAll(log).then((failed) => {
        if (failed.length > 0 && !status.broken) status.markBroken(`worker(s) ${failed.join(', ')} failed to start`)
      }, /* c8 ignore next */ (err) => log.error({ reason: describeError(err) }, 'starting the workers failed'))
    }
    if (state === 'closed') metrics.stop()
  })

  // fastify-cli's default log level is fatal: a warning the logger would drop goes to stderr instead.
  const warnVisibly = (message: string): void => {
    if ((log as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled?.('warn') === true) log.warn(message)
    else warnings.FST_ZD_LAUNCHER_TIMEOUT(message)
  }

  // onReady: the first round of checks (so the app can be ready as soon as it listens), then startup.
  const start = async (): Promise<void> => {
    const budget = checkBudget(resources.timeouts)
    log.info(`zero-downtime: shutdown budget ${budget.text}`)
    for (const warning of launcherWarnings(budget.total, launchers, options.signals)) warnVisibly(warning)
    await registry.start((check, shown) => {
      metrics.checkRan(check)
      status.checkRan(shown)
      if (shown) lifecycle.startupProgressed()
    })
    gate.begin(lifecycle.state === 'starting', status, () => { lifecycle.startupProgressed() })
  }

  return {
    api: createApi({ registry, tasks, resources, workers, streams, status, lifecycle, assertBudget: checkBudget }),
    probes: status,
    attach: (onClosed) => { lifecycle.attach(start, onClosed) }
  }
}
