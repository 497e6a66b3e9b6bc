import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Answer } from './answers'
import type { Probe, ProbeLine, ProbeReport } from './probes'
import type { ResolvedOptions } from './options'
import type { CheckGroup, Verdict } from './registry'
import type { CheckStatus } from './run-check'
import { withDeadline } from './deadline'
import { describeError, redact } from './redact'
import { healthSchema, probeSchema } from './schemas'

interface ProbeQuery { verbose?: string, exclude?: string | string[] }

/** What the routes need of the plugin, and no more: reports, and the cache of their answers. */
export interface ProbeSource {
  /** A probe's answer, computed once per change of the check statuses or the lifecycle. */
  answer: (key: string, compute: () => Answer) => Answer
  /** The same for `/health`, whose answer also changes with every check run. */
  answerOfLastRuns: (key: string, compute: () => Answer) => Answer
  report: (probe: Probe, exclude?: ReadonlySet<string>) => ProbeReport
  reportOne: (group: CheckGroup, name: string) => ProbeReport | undefined
  aggregate: () => { status: CheckStatus, verdicts: Verdict[] }
}

/** The three answers a probe path gives: the status; `?verbose` with reasons withheld; with them. */
type Variant = 'status' | 'verbose' | 'reasons'
const VARIANTS: readonly Variant[] = ['status', 'verbose', 'reasons']

const GROUP: Record<Exclude<Probe, 'startup'>, CheckGroup> = { live: 'liveness', ready: 'readiness' }
const LABEL: Record<Probe, string> = { live: 'livez', ready: 'readyz', startup: 'startupz' }
const WITHHELD = 'reason withheld'

// Shedding probes would turn load into restarts: under-pressure lets a route opt out this way.
const neverShed = (): undefined => undefined

const JSON_TYPE = 'application/json; charset=utf-8'
const HEALTH_TYPE = 'application/health+json; charset=utf-8'

function probeAnswer (probe: Probe, report: ProbeReport, variant: Variant): Answer {
  const statusCode = report.status === 'fail' ? 503 : 200
  if (variant === 'status') return { statusCode, contentType: JSON_TYPE, body: JSON.stringify({ status: report.status }) }
  return { statusCode, contentType: 'text/plain; charset=utf-8', body: verboseBody(probe, report.lines, statusCode === 200, variant === 'reasons') }
}

/** `/health`: application/health+json, with reasons and observed values only when details are allowed. */
function healthAnswer (health: ProbeSource, showOutput: boolean): Answer {
  const { status, verdicts } = health.aggregate()
  const checks: Record<string, Array<Record<string, unknown>>> = {}
  for (const { check, status: checkStatus, reason } of verdicts) {
    const last = check.last
    const entry: Record<string, unknown> = { status: checkStatus }
    if (last !== undefined) {
      entry.time = new Date(last.time).toISOString()
      entry.duration = last.duration
      // Under the same rule as the reason: shown only with details, and then redacted.
      if (showOutput && last.observedValue !== undefined) entry.observedValue = typeof last.observedValue === 'string' ? redact(last.observedValue) : last.observedValue
      if (showOutput && last.observedUnit !== undefined) entry.observedUnit = redact(last.observedUnit)
    }
    if (showOutput && reason !== undefined) entry.output = reason
    checks[check.name] = [entry]
  }
  return { statusCode: status === 'fail' ? 503 : 200, contentType: HEALTH_TYPE, body: JSON.stringify({ status, checks }) }
}

/** kube-apiserver's verbose format: `[+]name ok`, `[-]name failed: reason`, then the verdict. */
function verboseBody (probe: Probe, lines: ProbeLine[], passed: boolean, showReasons: boolean): string {
  // What is still waiting says so ("in progress", "pending"): fixed words, never withheld.
  const line = (l: ProbeLine): string => l.waiting === true ? `[-]${l.name} ${String(l.reason)}` : `[-]${l.name} failed: ${showReasons ? l.reason ?? 'failed' : WITHHELD}`
  const out = lines.map((l) => l.ok ? `[+]${l.name} ok` : line(l))
  out.push(`${LABEL[probe]} check ${passed ? 'passed' : 'failed'}`)
  return out.join('\n') + '\n'
}

function excluded (exclude: string | string[]): Set<string> {
  return new Set(Array.isArray(exclude) ? exclude : [exclude])
}

export function registerRoutes (fastify: FastifyInstance, health: ProbeSource, options: ResolvedOptions): void {
  const common = {
    method: ['GET', 'HEAD'],
    logLevel: options.probeLogLevel,
    config: { pressureHandler: neverShed }
  }

  // authorize() is the app's code: bounded like a check, and what it throws is never logged whole
  // (an HTTP client's error carries its request's headers).
  async function detailsAllowed (request: FastifyRequest): Promise<boolean> {
    if (options.details === 'always') return true
    if (options.authorize === undefined) return false
    const authorize = options.authorize
    const answer = await withDeadline(options.checkTimeout, async () => await authorize(request)).catch((error: unknown) => {
      request.log.warn({ reason: describeError(error) }, 'authorize() threw: details withheld')
      return { expired: false, value: false } as const
    })
    if (answer.expired) request.log.warn(`authorize() did not answer within ${options.checkTimeout} ms: details withheld`)
    return !answer.expired && answer.value === true
  }

  function send (reply: FastifyReply, answer: Answer): FastifyReply {
    // A string with its content type goes out as it is: serialized once, when it was computed.
    // header() and type() rather than headers({...}): no object to build and walk on every probe, and
    // type() stores its value as it is (header() lowercases its name first).
    return reply.code(answer.statusCode).header('cache-control', 'no-store').type(answer.contentType).send(answer.body)
  }

  // The variant a request asks for, once authorize() (if it must be asked) has answered.
  const variantOf = (query: ProbeQuery, showReasons: boolean): Variant => query.verbose === undefined ? 'status' : showReasons ? 'reasons' : 'verbose'
  // Without authorize() the variant follows from the query alone.
  const verboseVariant: Variant = options.details === 'always' ? 'reasons' : 'verbose'

  // `?exclude` and `/<name>`: computed each time, since they depend on the request.
  async function respondUncached (probe: Probe, report: () => ProbeReport, request: FastifyRequest<{ Querystring: ProbeQuery }>, reply: FastifyReply): Promise<FastifyReply> {
    const variant = variantOf(request.query, request.query.verbose !== undefined && await detailsAllowed(request))
    return send(reply, probeAnswer(probe, report(), variant))
  }

  for (const probe of ['live', 'ready', 'startup'] as const) {
    const path = options.routes[probe]
    if (path === false) continue
    // Each variant's cached answer: its key and how to compute it, made once, not per probe.
    const cached = Object.fromEntries(VARIANTS.map((variant) => {
      const key = variant === 'status' ? probe : `${probe}?${variant === 'verbose' ? 'verbose' : 'verbose+reasons'}`
      const compute = (): Answer => probeAnswer(probe, health.report(probe), variant)
      return [variant, (): Answer => health.answer(key, compute)]
    })) as Record<Variant, () => Answer>
    fastify.route<{ Querystring: ProbeQuery }>({
      ...common,
      url: path,
      schema: probeSchema(probe, options.openapi),
      handler: (request, reply) => {
        const query = request.query
        const exclude = query.exclude
        if (exclude !== undefined) return respondUncached(probe, () => health.report(probe, excluded(exclude)), request, reply)
        // The probe a balancer or kubelet sends, thousands of times a minute: no await, one lookup,
        // unless authorize() must be asked.
        if (query.verbose === undefined || options.details !== 'authorized') {
          send(reply, cached[query.verbose === undefined ? 'status' : verboseVariant]())
          return
        }
        return detailsAllowed(request).then((allowed) => send(reply, cached[variantOf(query, allowed)]()))
      }
    })
    if (probe === 'startup') continue
    fastify.route<{ Querystring: ProbeQuery, Params: { name: string } }>({
      ...common,
      url: `${path}/:name`,
      // No params schema unless documented: the name is only looked up among the checks, and a
      // schema here would slow every other route of the app (docs/design.md, "Probes").
      schema: probeSchema(probe, options.openapi, true),
      handler: async (request, reply) => {
        const report = health.reportOne(GROUP[probe], request.params.name)
        if (report === undefined) {
          reply.header('cache-control', 'no-store').code(404)
          return { status: 'unknown', message: `no ${GROUP[probe]} check by that name` }
        }
        return await respondUncached(probe, () => report, request, reply)
      }
    })
  }

  if (options.routes.health !== false) {
    // Made once: a probe allocates nothing to find its answer.
    const computeHealth = [false, true].map((showOutput) => () => healthAnswer(health, showOutput))
    const sendHealth = (reply: FastifyReply, showOutput: boolean): FastifyReply =>
      send(reply, showOutput ? health.answerOfLastRuns('health:details', computeHealth[1]) : health.answerOfLastRuns('health', computeHealth[0]))
    fastify.route({
      ...common,
      url: options.routes.health,
      schema: healthSchema(options.openapi),
      handler: (request, reply) => {
        // Only authorize() needs a wait.
        if (options.details !== 'authorized') return sendHealth(reply, options.details === 'always')
        return detailsAllowed(request).then((allowed) => sendHealth(reply, allowed))
      }
    })
  }
}
