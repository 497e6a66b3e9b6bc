'use strict'
// The app `npm init fastify` scaffolds, as fastify-cli starts it (`fastify start -g 20000 app.js`),
// with fastify-zero-downtime added as one more file in plugins/. No other change is needed: the
// plugin runs its shutdown inside the close() that fastify-cli calls on SIGTERM.
const path = require('node:path')
const AutoLoad = require('@fastify/autoload')

// Pass --options via CLI arguments in command to enable these options.
const options = {}

module.exports = async function (fastify, opts) {
  fastify.register(AutoLoad, {
    dir: path.join(__dirname, 'plugins'),
    options: Object.assign({}, opts)
  })

  fastify.register(AutoLoad, {
    dir: path.join(__dirname, 'routes'),
    options: Object.assign({}, opts)
  })
}

module.exports.options = options
