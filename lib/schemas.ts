// Response schemas, used only with `openapi: true`, to document the routes (e.g. in
// @fastify/swagger). What reaches a probe's body is chosen field by field in lib/routes.ts.

const status = { type: 'string', enum: ['pass', 'warn', 'fail'] }

export const probeResponse = {
  type: 'object',
  properties: { status },
  required: ['status'],
  additionalProperties: false
} as const

export const notFoundResponse = {
  type: 'object',
  properties: { status: { type: 'string', enum: ['unknown'] }, message: { type: 'string' } },
  required: ['status']
} as const

export const healthResponse = {
  type: 'object',
  description: 'IETF draft "Health Check Response Format for HTTP APIs" (application/health+json)',
  properties: {
    status,
    checks: {
      type: 'object',
      additionalProperties: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            status,
            time: { type: 'string', format: 'date-time' },
            duration: { type: 'number', description: 'milliseconds the last run took' },
            observedValue: { type: ['number', 'string', 'boolean'] },
            observedUnit: { type: 'string' },
            output: { type: 'string', description: 'redacted reason, only when details are allowed' }
          },
          required: ['status']
        }
      }
    }
  },
  required: ['status', 'checks']
} as const

type Schema = Record<string, unknown>
const TAGS = ['health']

const PROBES = {
  live: { summary: 'Liveness probe', description: 'Passes while this process itself is healthy (event loop, memory, checks in the liveness group). Never depends on other services.' },
  ready: { summary: 'Readiness probe', description: 'Passes while the instance should receive traffic: started, not draining, readiness checks passing. Answers from the last background results, never running a check.' },
  startup: { summary: 'Startup probe', description: 'Passes once the startup tasks and startup checks have completed.' }
} as const

const queries = {
  type: 'object',
  properties: {
    verbose: { type: 'string', description: 'Any value: answer in text/plain, one line per check ("[+]name ok" or "[-]name failed: reason"), as kube-apiserver does. Reasons only when details are allowed.' },
    exclude: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], description: 'A check name to leave out of this answer; repeat for several.' }
  }
} as const

/** Both bodies a probe can send, each under its own content type. */
const probeContent = (description: string): Schema => ({
  description,
  content: {
    'application/json': { schema: probeResponse },
    'text/plain': { schema: { type: 'string', description: 'with ?verbose' } }
  }
})

/**
 * Route schemas: listed in OpenAPI with summaries, tags, queries and content types when `openapi`
 * is on; otherwise hidden from it (`hide`) and nothing else: probes send strings serialized once,
 * so a response schema would serve nothing, and compiled schemas slow the app's other routes.
 */
export function probeSchema (probe: keyof typeof PROBES, documented: boolean, byName = false): Schema {
  if (!documented) return { hide: true }
  const notFound = byName ? { 404: { description: 'no check by that name in this group', content: { 'application/json': { schema: notFoundResponse } } } } : {}
  return {
    summary: byName ? `${PROBES[probe].summary}, one check` : PROBES[probe].summary,
    description: PROBES[probe].description,
    tags: TAGS,
    querystring: queries,
    ...(byName ? { params: { type: 'object', properties: { name: { type: 'string', description: 'a check name' } }, required: ['name'] } } : {}),
    response: { 200: probeContent('passes'), 503: probeContent('fails'), ...notFound }
  }
}

export function healthSchema (documented: boolean): Schema {
  if (!documented) return { hide: true }
  const content = (description: string): Schema => ({ description, content: { 'application/health+json': { schema: healthResponse } } })
  return {
    summary: 'Every check, in the IETF health+json format',
    description: 'The aggregate of all checks with each one\'s last result; reasons and observed values only when details are allowed.',
    tags: TAGS,
    response: { 200: content('pass or warn'), 503: content('fail') }
  }
}
