'use strict'

// The routes the rolling-deploy harness sends its load to (see examples/rolling/app.mjs).
module.exports = async function (fastify) {
  const version = process.env.VERSION ?? 'v1'
  fastify.addHook('onSend', async (_request, reply) => { reply.header('x-version', version) })
  fastify.get('/', async () => ({ version }))
  fastify.get('/slow', async (request) => {
    const ms = Math.min(Number(request.query.ms ?? 200), 5000)
    await new Promise((resolve) => setTimeout(resolve, ms))
    return { version, slept: ms }
  })
  fastify.post('/echo', async (request) => {
    process.stdout.write(JSON.stringify({ posted: request.body.id }) + '\n') // the harness counts these
    return request.body
  })
}
