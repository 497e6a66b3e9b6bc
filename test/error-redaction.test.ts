import t from 'tap'
import Fastify from 'fastify'
import zeroDowntime = require('../lib/index')
import { SECRETS } from './lib/secrets'

// Every coded error that quotes a value the caller passed shows it redacted: a connection string or
// a token passed by mistake never reaches a log or an error tracker verbatim.

t.test('each coded error that quotes a caller\'s string redacts it', async (t) => {
  const app = Fastify()
  t.teardown(async () => await app.close())
  await app.register(zeroDowntime, { signals: false })
  const calls: Array<[string, (secret: string) => unknown]> = [
    ['checks.postgres(url)', (s) => zeroDowntime.checks.postgres(s as never)],
    ['checks.redis(url)', (s) => zeroDowntime.checks.redis(s as never)],
    ['consumers.amqp(url)', (s) => zeroDowntime.consumers.amqp(s as never, { queue: 'q', handler: () => {} })],
    ['register option routes.live', async (s) => { const other = Fastify(); try { await other.register(zeroDowntime, { signals: false, routes: { live: s } }) } finally { await other.close().catch(() => {}) } }],
    ['register option details', async (s) => { const other = Fastify(); try { await other.register(zeroDowntime, { signals: false, details: s as never }) } finally { await other.close().catch(() => {}) } }],
    ['health.check name', (s) => app.health.check(s, () => {})],
    ['health.check fn', (s) => app.health.check('x', s as never)],
    ['health.setReady', (s) => { app.health.setReady(s as never) }],
    ['health.worker stop', (s) => app.health.worker('w', s as never)],
    ['health.websockets server', (s) => app.health.websockets(s)],
    ['health.resource close', (s) => app.health.resource('r', s as never)],
    ['register option key', async (s) => { const other = Fastify(); try { await other.register(zeroDowntime, { signals: false, [s]: 1 } as never) } finally { await other.close().catch(() => {}) } }],
    ['register nested option key', async (s) => { const other = Fastify(); try { await other.register(zeroDowntime, { signals: false, routes: { [s]: '/x' } } as never) } finally { await other.close().catch(() => {}) } }],
    ['health.check option key', (s) => app.health.check('keyed', () => {}, { [s]: 1 } as never)],
    ['health.check name, with a bad close', (s) => app.health.check(s, () => {}, { close: 'yes' as never })],
    ['consumers.amqp option key', (s) => zeroDowntime.consumers.amqp({ consume () {}, cancel () {}, ack () {}, nack () {}, prefetch () {}, checkQueue () {}, once () {} } as never, { queue: 'q', handler: () => {}, [s]: 1 } as never)],
    ['signals element', async (s) => { const other = Fastify(); try { await other.register(zeroDowntime, { signals: ['SIGTERM', s] } as never) } finally { await other.close().catch(() => {}) } }]
  ]
  for (const [what, call] of calls) {
    for (const [form, secret, hidden] of SECRETS) {
      let error: { code?: string, message?: string } | undefined
      try { await call(secret) } catch (caught) { error = caught as typeof error }
      t.match(error?.code, /^FST_ZD_/, `${what}, ${form}: a coded error`)
      t.notMatch(error?.message, hidden, `${what}, ${form}: the secret is not in "${error?.message}"`)
      t.match(error?.message, '[REDACTED]', `${what}, ${form}: it says something was withheld`)
    }
  }
})
