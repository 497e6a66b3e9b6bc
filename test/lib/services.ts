import { connect } from 'node:net'

// The real services of the machine; URLs from the environment, these as defaults.
export const SERVICES = {
  postgres: { url: process.env.ZD_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
  mysql: { url: process.env.ZD_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test' },
  redis: { url: process.env.ZD_REDIS_URL ?? 'redis://127.0.0.1:6379' },
  amqp: { url: process.env.ZD_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672' },
  nats: { url: process.env.ZD_NATS_URL ?? 'nats://127.0.0.1:4222' },
  mqtt: { url: process.env.ZD_MQTT_URL ?? 'mqtt://127.0.0.1:1883' }
} as const

export type ServiceName = keyof typeof SERVICES

// How to start each on a Debian machine (.ci/run does the same).
const START: Record<ServiceName, string> = {
  postgres: 'pg_ctlcluster <version> main start (trust auth, database "test")',
  mysql: 'start-stop-daemon --start --background --exec /usr/sbin/mariadbd (root without password, database "test")',
  redis: 'redis-server --daemonize yes --port 6379',
  amqp: 'rabbitmq-server -detached (guest/guest)',
  nats: 'nats-server -a 127.0.0.1 -p 4222 -js',
  mqtt: 'mosquitto -d'
}

/** The services that do not answer, in the order of SERVICES, with where and how to start each. */
export async function missingServices (): Promise<Array<{ name: ServiceName, host: string, start: string }>> {
  const names = Object.keys(SERVICES) as ServiceName[]
  const up = await Promise.all(names.map(async (name) => await reachable(SERVICES[name].url)))
  return names.filter((_, i) => !up[i]).map((name) => ({ name, host: new URL(SERVICES[name].url).host, start: `start it with ${START[name]}, or set ZD_${name.toUpperCase()}_URL` }))
}

async function reachable (url: string): Promise<boolean> {
  const { hostname, port } = new URL(url)
  return await new Promise((resolve) => {
    const socket = connect(Number(port), hostname, () => { socket.destroy(); resolve(true) })
    socket.on('error', () => resolve(false))
  })
}

/**
 * The service's URL if it answers. Otherwise the test is skipped with a message naming the service,
 * or fails where ZD_REQUIRE_SERVICES is set (CI, which starts every service first).
 */
export async function service (t: { skip: (message: string) => void, fail: (message: string) => void }, name: ServiceName): Promise<URL | undefined> {
  const { url } = SERVICES[name]
  if (await reachable(url)) return new URL(url)
  const message = `${name} is not reachable at ${new URL(url).host}: start it (see .ci/run) or set ZD_${name.toUpperCase()}_URL`
  if (process.env.ZD_REQUIRE_SERVICES !== undefined) t.fail(message)
  else t.skip(message)
  return undefined
}
