import { metrics as otel, type Attributes, type BatchObservableCallback, type Meter, type MeterProvider } from '@opentelemetry/api'
import type { LifecycleState } from './probes'
import type { RegisteredCheck } from './registry'
import type { WorkerReport } from './workers'

// Metrics through the OpenTelemetry API: a no-op until the app installs an SDK (or passes a
// meterProvider), so they cost nothing to those who do not collect them. Names and units follow
// the semantic-convention style: dotted lowercase names, seconds for durations, `{unit}` counts.

export type ShutdownPhase = 'delay' | 'drain' | 'workers' | 'resources'

/** What the metrics read at collection time. */
export interface MetricsSource {
  /** Each check with its status now (a stale result counts as fail, as the probes say). */
  checks: () => Array<{ check: RegisteredCheck, status: 'pass' | 'warn' | 'fail' }>
  ready: () => boolean
  live: () => boolean
  state: () => LifecycleState
}

const STATES: LifecycleState[] = ['starting', 'ready', 'draining', 'closing', 'closed']
const STATUSES = ['pass', 'warn', 'fail'] as const
const seconds = (ms: number): number => ms / 1000
// Bucket boundaries in seconds (the SDK's default ones are for milliseconds).
const CHECK_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
const PHASE_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60]

export class Metrics {
  readonly #meter: Meter
  readonly #checkDuration
  readonly #transitions
  readonly #phaseDuration
  readonly #requestsCut
  readonly #workerStop
  readonly #workerCut
  readonly #observables
  // Set by observe(), which the composition root calls once every source exists.
  #observe!: BatchObservableCallback

  constructor (provider: MeterProvider | undefined, version: string) {
    this.#meter = (provider ?? otel).getMeter('fastify-zero-downtime', version)
    const meter = this.#meter
    this.#checkDuration = meter.createHistogram('zero_downtime.check.duration', { unit: 's', description: 'Duration of each background run of a health check.', advice: { explicitBucketBoundaries: CHECK_BUCKETS } })
    this.#transitions = meter.createCounter('zero_downtime.lifecycle.transitions', { unit: '{transition}', description: 'Lifecycle transitions (starting, ready, draining, closing, closed).' })
    this.#phaseDuration = meter.createHistogram('zero_downtime.shutdown.phase.duration', { unit: 's', description: 'Duration of each shutdown phase: delay (serving while balancers notice), drain (in-flight requests), workers (from the signal until every worker stopped), resources (closing them).', advice: { explicitBucketBoundaries: PHASE_BUCKETS } })
    this.#requestsCut = meter.createCounter('zero_downtime.shutdown.requests_cut', { unit: '{request}', description: 'Requests still in flight when drainTimeout ended the drain.' })
    this.#workerStop = meter.createHistogram('zero_downtime.worker.stop.duration', { unit: 's', description: 'How long each worker took to stop (attribute worker.outcome: stopped, cut, timeout, failed).', advice: { explicitBucketBoundaries: PHASE_BUCKETS } })
    this.#workerCut = meter.createCounter('zero_downtime.worker.cut', { unit: '{unit}', description: 'Units of long-lived work (messages, connections, streams) a worker cut short at its timeout.' })
    const checkStatus = meter.createObservableGauge('zero_downtime.check.status', { unit: '1', description: '1 for the status each check has now (attribute check.status), 0 for the others.' })
    const readiness = meter.createObservableGauge('zero_downtime.readiness', { unit: '1', description: '1 while the readiness probe passes.' })
    const liveness = meter.createObservableGauge('zero_downtime.liveness', { unit: '1', description: '1 while the liveness probe passes.' })
    const state = meter.createObservableGauge('zero_downtime.lifecycle.state', { unit: '1', description: '1 for the current lifecycle state (attribute lifecycle.state), 0 for the others.' })
    this.#observables = { checkStatus, readiness, liveness, state }
  }

  /** Starts observing what the gauges report, once every part they read exists. */
  observe (source: MetricsSource): void {
    const { checkStatus, readiness, liveness, state } = this.#observables
    this.#observe = (result) => {
      for (const { check, status: now } of source.checks()) {
        for (const status of STATUSES) result.observe(checkStatus, status === now ? 1 : 0, { ...checkAttributes(check), 'check.status': status })
      }
      result.observe(readiness, source.ready() ? 1 : 0)
      result.observe(liveness, source.live() ? 1 : 0)
      const current = source.state()
      for (const name of STATES) result.observe(state, name === current ? 1 : 0, { 'lifecycle.state': name })
    }
    this.#meter.addBatchObservableCallback(this.#observe, Object.values(this.#observables))
  }

  /** Called by the registry right after it recorded the run: `last` is that run. */
  checkRan (check: RegisteredCheck): void {
    const last = check.last as NonNullable<RegisteredCheck['last']>
    this.#checkDuration.record(seconds(last.duration), { ...checkAttributes(check), 'check.status': last.status })
  }

  transition (previous: LifecycleState, state: LifecycleState): void {
    this.#transitions.add(1, { 'lifecycle.state.previous': previous, 'lifecycle.state': state })
  }

  phase (phase: ShutdownPhase, ms: number): void {
    this.#phaseDuration.record(seconds(ms), { 'shutdown.phase': phase })
  }

  requestsCut (count: number): void {
    this.#requestsCut.add(count)
  }

  workerStopped ({ name, outcome, ms, cut }: WorkerReport): void {
    const attributes = { 'worker.name': name, 'worker.outcome': outcome }
    this.#workerStop.record(seconds(ms), attributes)
    if (cut > 0) this.#workerCut.add(cut, { 'worker.name': name })
  }

  /** A closed instance is no longer observed (and can be collected). */
  stop (): void {
    this.#meter.removeBatchObservableCallback(this.#observe, Object.values(this.#observables))
  }
}

function checkAttributes (check: RegisteredCheck): Attributes {
  return { 'check.name': check.name, 'check.groups': [...check.groups].sort().join(','), 'check.critical': check.critical }
}
