import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import * as builtInChecks from './checks'
import * as builtInConsumers from './consumers'
import { errorCodes as builtInErrorCodes } from './errors'
import type {
  AmqpChannel, AmqpConsumerOptions, AmqpMessage, JetStreamClient, JetStreamConsumerOptions, JetStreamMessage,
  RedisStreamClient, RedisStreamConsumerOptions, RedisStreamEntry, BullmqWorker, ConsumerOptions, HandlerContext, MessageHandler
} from './consumers'
import type { Worker, WorkerContext, WorkerOptions, WorkerOutcome, WorkerReport, WorkerStop } from './workers'
import type { WebSocketDrain, WebSocketLike, WebSocketOptions } from './websockets'
import type { EventStream, EventStreamOptions, ServerSentEvent } from './event-stream'
import type {
  PostgresCheckOptions, HttpCheckOptions, MqttCheckOptions, DiskCheckOptions, SchemaCheckOptions, MigrationHistory,
  PostgresClient, MysqlClient, RedisClient, AmqpConnection, NatsConnection, MqttClient
} from './checks'
import type { ZeroDowntimeHealth } from './api'
import type { LifecycleState, Probe, ProbeReport, ProbeLine } from './probes'
import type { ShutdownReport, StateListener } from './shutdown'
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

declare namespace zeroDowntime {
  export type {
    ZeroDowntimeHealth, ZeroDowntimeOptions, RoutePaths, LivenessOptions, DetailsPolicy,
    CheckGroup, CheckOptions, RegisteredCheck, CheckContext, CheckFunction, CheckOutcome, CheckResult, CheckStatus,
    LifecycleState, ShutdownReport, StateListener, Probe, ProbeReport, ProbeLine,
    ResourceOptions, CloseFunction, StartupTaskFunction,
    PostgresCheckOptions, HttpCheckOptions, MqttCheckOptions, DiskCheckOptions, SchemaCheckOptions, MigrationHistory,
    PostgresClient, MysqlClient, RedisClient, AmqpConnection, NatsConnection, MqttClient,
    Worker, WorkerContext, WorkerOptions, WorkerOutcome, WorkerReport, WorkerStop,
    WebSocketDrain, WebSocketLike, WebSocketOptions, EventStream, EventStreamOptions, ServerSentEvent,
    AmqpChannel, AmqpConsumerOptions, AmqpMessage, JetStreamClient, JetStreamConsumerOptions, JetStreamMessage,
    RedisStreamClient, RedisStreamConsumerOptions, RedisStreamEntry, BullmqWorker, ConsumerOptions, HandlerContext, MessageHandler
  }
  export const checks: typeof builtInChecks
  export const consumers: typeof builtInConsumers
  /** Every error class by its `FST_ZD_*` code, for `instanceof`. */
  export const errorCodes: typeof builtInErrorCodes
  // Named as Fastify's own plugins name theirs (fastifyUnderPressure), and plainly.
  export { zeroDowntime as default, zeroDowntime, zeroDowntime as fastifyZeroDowntime }
}

// require() returns the plugin itself, as Fastify's own plugins do; `export =` carries the types,
// the assignments below the values, written so that Node's ESM loader (cjs-module-lexer) sees each
// name and `import { checks } from 'fastify-zero-downtime'` works.
export = zeroDowntime
module.exports = fp(zeroDowntime, { fastify: '5.x', name: 'fastify-zero-downtime' })
module.exports.default = zeroDowntime
module.exports.zeroDowntime = zeroDowntime
module.exports.fastifyZeroDowntime = zeroDowntime
module.exports.checks = builtInChecks
module.exports.consumers = builtInConsumers
module.exports.errorCodes = builtInErrorCodes
