'use strict'

module.exports = require('neostandard')({
  ts: true,
  ignores: ['dist/**', 'lib/cli/dist/**', 'coverage/**', '.tap/**', 'node_modules/**']
})
