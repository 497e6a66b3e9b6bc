// Queue consumers built in like the checks: each is a Worker for `app.health.worker(name, ...)`.
export { amqp, type AmqpChannel, type AmqpConsumerOptions, type AmqpMessage } from './amqp'
export { jetstream, type JetStreamClient, type JetStreamConsumerOptions, type JetStreamMessage } from './jetstream'
export { redisStream, type RedisStreamClient, type RedisStreamConsumerOptions, type RedisStreamEntry } from './redis-stream'
export { bullmq, type BullmqWorker } from './bullmq'
export type { ConsumerOptions, HandlerContext, MessageHandler } from './flow'
