'use strict'

const fp = require('fastify-plugin')

// From the scaffold: HTTP error utilities.
module.exports = fp(async function (fastify) {
  fastify.register(require('@fastify/sensible'), { errorHandler: false })
})
