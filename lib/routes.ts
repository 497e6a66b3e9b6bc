import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Answer } from './answers'
import type { Health, Probe, ProbeLine, ProbeReport } from './health'
import type { ResolvedOptions } from './options'
import type { CheckGroup } from './registry'
import { describeError, redact } from './redact'
import { healthSchema, probeSchema } from './schemas'

interface ProbeQuery { verbose?: string, exclude?: string | string[] }

const GROUP: Record<Exclude<Probe, 'startup'>, CheckGroup> = { live: 'liveness', ready: 'readiness' }
const LABEL: Record<Probe, string> = { live: 'livez', ready: 'readyz', startup: 'startupz' }
const WITHHELD = 'reason withheld'

// Shedding probes would turn load into restarts: under-pressure lets a route opt out this way.
const neverShed = (): undefined => undefined

const JSON_TYPE = 'application/json; charset=utf-8'
const HEALTH_TYPE = 'application/health+json; charset=utf-8'

function probeAnswer (probe: Probe, report: ProbeReport, verbose: boolean, showReasons: boolean): Answer {
  const statusCode = report.status === 'fail' ? 503 : 200
  if (!verbose) return { statusCode, contentType: JSON_TYPE, body: JSON.stringify({ status: report.status }) }
  return { statusCode, contentType: 'text/plain; charset=utf-8', body: verboseBody(probe, report.lines, statusCode === 200, showReasons) }
}

/** `/health`: application/health+json, with reasons and observed values only when details are allowed. */
function healthAnswer (health: Health, showOutput: boolean): Answer {
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

function excluded (query: ProbeQuery): Set<string> | undefined {
  if (query.exclude === undefined) return undefined
  return new Set(Array.isArray(query.exclude) ? query.exclude : [query.exclude])
}

export function registerRoutes (fastify: FastifyInstance, health: Health, options: ResolvedOptions): void {
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
    let timer: NodeJS.Timeout | undefined
    const expired = new Promise<'expired'>((resolve) => { timer = setTimeout(resolve, options.checkTimeout, 'expired') })
    const asked = Promise.resolve(request).then(options.authorize).catch((error: unknown) => {
      request.log.warn({ reason: describeError(error) }, 'authorize() threw: details withheld')
      return false
    })
    const answer = await Promise.race([asked, expired])
    clearTimeout(timer)
    if (answer === 'expired') request.log.warn(`authorize() did not answer within ${options.checkTimeout} ms: details withheld`)
    return answer === true
  }

  function send (reply: FastifyReply, answer: Answer): FastifyReply {
    // A string with its content type goes out as it is: serialized once, when it was computed.
    // header() and type() rather than headers({...}): no object to build and walk on every probe, and
    // type() stores its value as it is (header() lowercases its name first).
    return reply.code(answer.statusCode).header('cache-control', 'no-store').type(answer.contentType).send(answer.body)
  }

  // The three answers a probe path can give, by cache key.
  const KEYS = { live: ['live', 'live?verbose', 'live?verbose+reasons'], ready: ['ready', 'ready?verbose', 'ready?verbose+reasons'], startup: ['startup', 'startup?verbose', 'startup?verbose+reasons'] }

  // `?verbose`, `?exclude` and `/<name>`: cached only for the verbose answer of the whole probe.
  async function respond (probe: Probe, report: () => ProbeReport, cached: boolean, request: FastifyRequest<{ Querystring: ProbeQuery }>, reply: FastifyReply): Promise<FastifyReply> {
    const verbose = request.query.verbose !== undefined
    const showReasons = verbose && await detailsAllowed(request)
    const compute = (): Answer => probeAnswer(probe, report(), verbose, showReasons)
    return send(reply, cached ? health.answer(KEYS[probe][showReasons ? 2 : 1], compute) : compute())
  }

  for (const probe of ['live', 'ready', 'startup'] as const) {
    const path = options.routes[probe]
    if (path === false) continue
    // How to compute each cached answer of this probe (by KEYS index), made once, not per probe.
    const computeAnswer = KEYS[probe].map((_key, index) => () => probeAnswer(probe, health.report(probe), index > 0, index === 2))
    fastify.route<{ Querystring: ProbeQuery }>({
      ...common,
      url: path,
      schema: probeSchema(probe, options.openapi),
      handler: (request, reply) => {
        const query = request.query
        // The probe a balancer or kubelet sends, thousands of times a minute: no await, one lookup.
        // `?verbose` too, unless authorize() must be asked.
        if (query.exclude === undefined && (query.verbose === undefined || options.details !== 'authorized')) {
          const key = query.verbose === undefined ? 0 : options.details === 'always' ? 2 : 1
          send(reply, health.answer(KEYS[probe][key], computeAnswer[key]))
          return
        }
        const exclude = excluded(query)
        // Answers with ?exclude depend on the request: computed each time.
        return respond(probe, () => health.report(probe, exclude), exclude === undefined, request, reply)
      }
    })
    if (probe === 'startup') continue
    fastify.route<{ Querystring: ProbeQuery, Params: { name: string } }>({
      ...common,
      url: `${path}/:name`,
      // No params schema unless documented: the name is only looked up among the checks, and a
      // params schema here measurably slowed every other route of a small app (bench/: 0.83x).
      schema: probeSchema(probe, options.openapi, true),
      handler: async (request, reply) => {
        const report = health.reportOne(GROUP[probe], request.params.name)
        if (report === undefined) {
          reply.header('cache-control', 'no-store').code(404)
          return { status: 'unknown', message: `no ${GROUP[probe]} check by that name` }
        }
        return await respond(probe, () => report, false, request, reply)
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
