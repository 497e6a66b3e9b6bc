// How the plugin words what a caller passed, for tools that check the same input
// (fastify-zero-downtime/messages): the CLI quotes its arguments and config through these.
export { describe } from './errors'
export { knownOptions, shownKey } from './names'
export { redact } from './redact'
