'use strict'

module.exports = require('neostandard')({
  ts: true,
  ignores: ['dist/**', '.examples/**', 'demo/out/**', 'lib/cli/dist/**', 'coverage/**', '.tap/**', 'node_modules/**']
})
