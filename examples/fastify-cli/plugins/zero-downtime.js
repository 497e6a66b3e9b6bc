'use strict'

const fp = require('fastify-plugin')
const zeroDowntime = require('fastify-zero-downtime')

// Health checks, probes and the graceful shutdown. Under fastify-cli, start with a close grace delay
// at least the shutdown budget the plugin logs at startup (it warns, naming the value, if not):
//   fastify start -g 20000 app.js
module.exports = fp(async function (fastify) {
  await fastify.register(zeroDowntime, {
    shutdownDelay: Number(process.env.SHUTDOWN_DELAY ?? 5000),
    drainTimeout: 5000
  })
})
