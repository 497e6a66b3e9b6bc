// Built-in checks for the dependencies services really have. Each factory takes the application's
// own client, so that a probe never opens a connection nor holds a credential, and drivers are
// never imported here: they are optional peer dependencies, only duck-typed.
export type { PostgresClient, MysqlClient, RedisClient, AmqpConnection, NatsConnection, MqttClient } from './clients'
export { postgres, type PostgresCheckOptions } from './postgres'
export { mysql } from './mysql'
export { redis } from './redis'
export { amqp } from './amqp'
export { nats } from './nats'
export { mqtt, type MqttCheckOptions } from './mqtt'
export { http, type HttpCheckOptions } from './http'
export { disk, type DiskCheckOptions } from './disk'
export { schema, floorTableSql, raiseFloorSql, type SchemaCheckOptions, type MigrationHistory } from './schema'
