import t from 'tap'
import { build, get } from './lib/helpers'
import { describeError, redact } from '../lib/redact'

// Secrets as drivers and apps leak them into error messages. Each entry: the message, the secrets in it.
const SECRETS = ['hunter2', 'S3cr3t!', 'p@ss:word', 'tok_9f8e7d6c5b4a', 'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_value-123', 'ghp_abcdefABCDEF0123456789', 'sk_live_51Habcdef', 'xoxb-1234-5678-abcd']
const TEMPLATES: Array<(s: string) => string> = [
  (s) => `connect ECONNREFUSED postgres://app:${encodeURIComponent(s)}@db.internal:5432/app`,
  (s) => `password authentication failed for postgresql://app:${s}@db/app`,
  (s) => `getaddrinfo ENOTFOUND mysql://root:${encodeURIComponent(s)}@mysql:3306/test`,
  (s) => `Redis connection to redis://default:${encodeURIComponent(s)}@cache:6379 failed`,
  (s) => `amqp://guest:${encodeURIComponent(s)}@rabbit:5672/ refused`,
  (s) => `nats: Authorization Violation for nats://${encodeURIComponent(s)}@bus:4222`,
  (s) => `GET https://api.example.com/v1?apikey=${s}&q=1 failed with 401`,
  (s) => `host=db port=5432 user=app password=${s} dbname=app sslmode=require`,
  (s) => `Authorization: Bearer ${s}`,
  (s) => `invalid credentials {"user":"app","password":"${s}"}`,
  (s) => `config: { token: '${s}', retries: 3 }`,
  (s) => `secret=${s}; path=/`,
  (s) => `request failed: x-api-key: ${s}`,
  (s) => `AWS error with access_key=${s}`,
  (s) => `upstream said: auth=${s}`,
  (s) => `Basic ${Buffer.from(`user:${s}`).toString('base64')}`
]

const messages: Array<{ message: string, secret: string }> = []
for (const template of TEMPLATES) for (const secret of SECRETS) messages.push({ message: template(secret), secret })
// Raw AWS keys and JWTs, wherever they stand.
messages.push({ message: 'signing with AKIAIOSFODNN7EXAMPLE failed', secret: 'AKIAIOSFODNN7EXAMPLE' })
messages.push({ message: 'bad key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY here', secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' })
messages.push({ message: 'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl expired', secret: 'c2lnbmF0dXJl' })

function leaks (text: string, secret: string): boolean {
  return [secret, encodeURIComponent(secret), Buffer.from(`user:${secret}`).toString('base64')].some((form) => text.includes(form))
}

t.test(`redact() removes the secret from ${messages.length} messages`, async (t) => {
  t.ok(messages.length >= 100)
  for (const { message, secret } of messages) {
    const out = redact(message)
    t.notOk(leaks(out, secret), `${message} -> ${out}`)
  }
})

t.test('redact() keeps what is useful', async (t) => {
  t.equal(redact('connect ECONNREFUSED 127.0.0.1:5432'), 'connect ECONNREFUSED 127.0.0.1:5432')
  t.equal(redact('postgres://app:pw@db:5432/app'), 'postgres://[REDACTED]@db:5432/app')
  t.equal(redact('timeout: no result within 1000 ms'), 'timeout: no result within 1000 ms')
})

t.test('describeError() redacts before it cuts a long message', async (t) => {
  const long = 'x'.repeat(480) + ' postgres://app:hunter2hunter2@db/app'
  const out = describeError(new Error(long))
  t.notOk(out.includes('hunter2'))
  t.ok(out.length <= 501)
  t.equal(describeError(new Error('y'.repeat(600))).length, 501)
})

t.test('no response body ever contains a secret, whatever the options', async (t) => {
  for (const details of ['never', 'always'] as const) {
    const app = await build(t, { details })
    messages.forEach(({ message }, i) => {
      app.health.check(`c${i}`, async () => { throw new Error(message) }, { critical: i % 2 === 0, groups: i % 3 === 0 ? ['liveness'] : ['readiness'] })
    })
    app.health.check('result', async () => ({ status: 'warn', output: messages[0].message }))
    await app.listen({ port: 0, host: '127.0.0.1' })
    const bodies: string[] = []
    for (const path of ['/livez', '/readyz', '/startupz', '/health', '/livez?verbose', '/readyz?verbose', '/startupz?verbose', '/readyz/c1?verbose', '/livez/c0?verbose']) {
      bodies.push((await get(app, path)).body)
    }
    const all = bodies.join('\n')
    for (const { secret } of messages) t.notOk(leaks(all, secret), `${details}: ${secret}`)
    if (details === 'always') t.match(all, /ECONNREFUSED postgres:\/\/\[REDACTED\]@db.internal/, 'details are shown, redacted')
    else t.notOk(all.includes('ECONNREFUSED'), 'no driver output at all')
    await app.close()
  }
})
