'use strict'

module.exports = require('neostandard')({
  ts: true,
  ignores: ['dist/**', '.examples/**', 'demo/out/**', 'cli/dist/**', 'cli/coverage/**', 'cli/.tap/**', 'coverage/**', '.tap/**', 'node_modules/**']
})
