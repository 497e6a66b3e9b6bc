import t from 'tap'
import Fastify from 'fastify'
import zeroDowntime = require('../lib/index')

// Every coded error that quotes a value the caller passed shows it redacted: a connection string or
// a token passed by mistake never reaches a log or an error tracker verbatim.
const SECRETS = [
  ['a URL with a password', 'postgres://user:hunter2secret@db.internal/app', 'hunter2secret'],
  ['a password setting', 'password=hunter2secret', 'hunter2secret'],
  ['a bearer token', 'Bearer hunter2secretToken', 'hunter2secretToken'],
  ['a vendor key', 'sk_live_Hunter2Secret0000000000', 'Hunter2Secret0000000000']
] as const

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
    ['health.resource close', (s) => app.health.resource('r', s as never)]
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
