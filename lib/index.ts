import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import * as builtInChecks from './checks'
import type {
  PostgresCheckOptions, HttpCheckOptions, MqttCheckOptions, DiskCheckOptions, SchemaCheckOptions, MigrationHistory,
  PostgresClient, MysqlClient, RedisClient, AmqpConnection, NatsConnection, MqttClient
} from './checks'
import type { ZeroDowntimeHealth } from './api'
import type { LifecycleState, ShutdownReport, StateListener, Probe, ProbeReport, ProbeLine } from './health'
import type { ZeroDowntimeOptions, RoutePaths, LivenessOptions, DetailsPolicy } from './options'
import type { CheckGroup, CheckOptions, RegisteredCheck } from './registry'
import type { CheckContext, CheckFunction, CheckOutcome, CheckResult, CheckStatus } from './run-check'
import type { ResourceOptions, CloseFunction } from './resources'
import type { StartupTaskFunction } from './startup'
import { plugin } from './plugin'

declare module 'fastify' {
  interface FastifyInstance {
    /** Health checks, probes and the graceful shutdown (fastify-zero-downtime). */
    health: ZeroDowntimeHealth
  }
}

/** The plugin: `await app.register(zeroDowntime, options)`. */
async function zeroDowntime (fastify: FastifyInstance, options: ZeroDowntimeOptions): Promise<void> {
  await plugin(fastify, options)
}
fp(zeroDowntime, { fastify: '5.x', name: 'fastify-zero-downtime' })

declare namespace zeroDowntime {
  export type {
    ZeroDowntimeHealth, ZeroDowntimeOptions, RoutePaths, LivenessOptions, DetailsPolicy,
    CheckGroup, CheckOptions, RegisteredCheck, CheckContext, CheckFunction, CheckOutcome, CheckResult, CheckStatus,
    LifecycleState, ShutdownReport, StateListener, Probe, ProbeReport, ProbeLine,
    ResourceOptions, CloseFunction, StartupTaskFunction,
    PostgresCheckOptions, HttpCheckOptions, MqttCheckOptions, DiskCheckOptions, SchemaCheckOptions, MigrationHistory,
    PostgresClient, MysqlClient, RedisClient, AmqpConnection, NatsConnection, MqttClient
  }
  export const checks: typeof builtInChecks
  // Named as Fastify's own plugins name theirs (fastifyUnderPressure), and plainly.
  export { zeroDowntime as default, zeroDowntime, zeroDowntime as fastifyZeroDowntime }
}

Object.assign(zeroDowntime, { default: zeroDowntime, zeroDowntime, fastifyZeroDowntime: zeroDowntime, checks: builtInChecks })
// require() returns the plugin function itself, as Fastify's own plugins do.
export = zeroDowntime
// Node's ESM loader learns a CommonJS module's export names by reading its source
// (cjs-module-lexer); this line, never run, names them for `import { checks }`.
/* c8 ignore next */
0 && (module.exports = { default: zeroDowntime, zeroDowntime, fastifyZeroDowntime: zeroDowntime, checks: builtInChecks })
