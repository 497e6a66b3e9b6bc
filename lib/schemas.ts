// Response schemas: they document the routes (e.g. in @fastify/swagger) and make serialization an
// allowlist, so that nothing but these fields can reach a probe's body.

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
