// The shapes of the drivers' clients the built-in checks take: enough for TypeScript to reject what
// cannot work (a URL string, another driver's object) without importing any driver. At run time the
// same shapes are checked again, for JavaScript callers (FST_ZD_INVALID_CLIENT).

/** Any method, whatever its parameters. */
type Method = (...args: never[]) => unknown

/** A pg `Pool` or `Client`, or a postgres.js `sql` instance. */
export type PostgresClient = { connect: Method, query: Method, end: Method } | { unsafe: Method, begin: Method, end: Method }

/** A mysql2 pool or connection, callback or promise API. */
export type MysqlClient = { getConnection: Method, end: Method } | { ping: Method, destroy: Method, end: Method }

/** An ioredis client, or a node-redis (v5 or later) client. */
export type RedisClient = { ping: Method, quit: Method, status: string } | { ping: Method, close: Method, isReady: boolean }

/** An amqplib connection (from `amqplib.connect()`). */
export interface AmqpConnection { createChannel: Method, close: Method }

/** A NATS connection (from `connect()` of the nats package). */
export interface NatsConnection { rtt: Method, isClosed: Method, drain: Method }

/** An mqtt.js client (from `mqtt.connect()` or `connectAsync()`). */
export interface MqttClient { publishAsync: Method, endAsync: Method, connected: boolean }
