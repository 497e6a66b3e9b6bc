import t from 'tap'
import { describeError, redact } from '../lib/redact'
import { build, get, logCollector } from './lib/helpers'

// Generated, not listed: secrets of random shapes, placed where credentials stand (after a
// secret-like word with any separator and quoting, in URLs, headers, DSNs, dumps) or standing alone
// when they look like keys, then the whole message encoded the ways logs and drivers encode it.
// A fixed seed keeps failures reproducible; ZD_SEED explores others.
const seed = Number(process.env.ZD_SEED ?? 20261126)
let state = seed >>> 0
function random (): number {
  state = (state + 0x6d2b79f5) >>> 0
  let x = state
  x = Math.imul(x ^ (x >>> 15), x | 1)
  x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
  return ((x ^ (x >>> 14)) >>> 0) / 4294967296
}
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]
const int = (min: number, max: number): number => min + Math.floor(random() * (max - min + 1))
const chars = (alphabet: string, length: number): string => Array.from({ length }, () => pick([...alphabet])).join('')

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
const SPECIAL = '!#$%^*()_+-=/:~.|?[]{}<>'
// A password: letters and digits with some specials; never an empty or one-class trivial string.
function password (specials = SPECIAL): string {
  return chars(ALNUM, 3) + chars(ALNUM + specials, int(5, 26)) + chars('0123456789', 1)
}
function keyToken (): string {
  return chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ', 2) + chars('abcdefghijklmnopqrstuvwxyz', 2) + chars('0123456789', 2) + chars(ALNUM, int(18, 40))
}
const WORDS = ['password', 'passwd', 'pwd', 'pass', 'secret', 'token', 'apikey', 'api_key', 'api-key', 'access_key', 'accessKey', 'private_key', 'auth', 'authorization', 'credentials', 'session_id', 'sessionid', 'signature', 'client_secret', 'passphrase']
function keyName (): string {
  const word = pick(WORDS)
  const cased = pick([word, word.toUpperCase(), word[0].toUpperCase() + word.slice(1)])
  return pick(['', 'db_', 'DB_', 'x-', 'X-', 'redis.', 'app']) + cased + pick(['', '_file', 'Value', '1'])
}
const jsonEscaped = (s: string): string => JSON.stringify(s).slice(1, -1)

interface Case { message: string, secret: string, form: string }

// Where a secret stands, by kind; `unsafe` are characters the form cannot carry unescaped.
const FORMS: Array<{ form: string, make: () => { message: string, secret: string } }> = [
  { form: 'key=value', make: () => { const s = password(SPECIAL.replace(/[;,&}\])]/g, '')); return { message: `host=db port=5432 ${keyName()}=${s} sslmode=require`, secret: s } } },
  { form: 'key = value with spaces;', make: () => { const s = `${password('')} ${password('')}`; return { message: `Server=db;${keyName()} = ${s};Database=app`, secret: s } } },
  { form: 'key: value', make: () => { const s = password(SPECIAL.replace(/[;,&}\])]/g, '')); return { message: `config ${keyName()}: ${s}`, secret: s } } },
  { form: 'JSON', make: () => { const s = password(SPECIAL + '"\\\''); return { message: `invalid login ${JSON.stringify({ user: 'app', [keyName()]: s, retries: 3 })}`, secret: s } } },
  { form: 'object dump', make: () => { const s = password(SPECIAL + '"'); return { message: `{ ${keyName()}: '${s.replace(/'/g, "\\'")}', port: 5432 }`, secret: s } } },
  { form: 'Map dump', make: () => { const s = password(SPECIAL + '"'); return { message: `Map(1) { '${keyName()}' => '${s.replace(/'/g, "\\'")}' }`, secret: s } } },
  { form: 'word "value"', make: () => { const s = password(SPECIAL + "' "); return { message: `wrong ${keyName()} "${s.replace(/"/g, '\\"')}" for user app`, secret: s } } },
  { form: 'URL userinfo', make: () => { const s = password(SPECIAL.replace(/[?#[\]{}<>|]/g, '')); return { message: `connect ECONNREFUSED ${pick(['postgres', 'mysql', 'redis', 'amqp', 'mongodb+srv', 'https'])}://${pick(['app', 'default', ''])}:${s}@db.internal:5432/app`, secret: s } } },
  { form: 'URL userinfo, percent-encoded', make: () => { const s = password(SPECIAL + '@ '); return { message: `getaddrinfo ENOTFOUND mysql://root:${encodeURIComponent(s)}@mysql:3306/test`, secret: s } } },
  { form: 'query string', make: () => { const s = password(SPECIAL + ' &='); return { message: `GET https://api.example.com/v1/items?${keyName()}=${encodeURIComponent(s)}&q=1 failed with 401`, secret: s } } },
  { form: 'Cookie header', make: () => { const s = keyToken(); const t2 = password(''); return { message: `request headers: Cookie: theme=dark; sid=${s}; csrf=${t2}`, secret: s } } },
  { form: 'Set-Cookie header', make: () => { const s = password(''); return { message: `set-cookie: session=${s}; Path=/; HttpOnly`, secret: s } } },
  { form: 'Authorization header', make: () => { const s = keyToken(); return { message: `${pick(['Authorization', 'authorization', 'Proxy-Authorization'])}: ${pick(['Bearer', 'Basic', 'Token', 'token'])} ${s}`, secret: s } } },
  { form: 'API key header', make: () => { const s = password(''); return { message: `upstream 403: ${pick(['X-Api-Key', 'x-auth-token', 'X-Goog-Api-Key'])}: ${s}`, secret: s } } },
  { form: 'Oracle DSN', make: () => { const s = password(SPECIAL.replace(/[/@]/g, '')); return { message: `ORA-01017: invalid username/password; logon denied for app/${s}@//db.internal:1521/svc`, secret: s } } },
  { form: 'PEM block', make: () => { const s = chars(ALNUM + '+/', 64); return { message: `bad key: -----BEGIN ${pick(['RSA ', 'EC ', 'OPENSSH ', ''])}PRIVATE KEY-----\n${s}\n${chars(ALNUM, 40)}==\n-----END PRIVATE KEY----- trailing`, secret: s } } },
  { form: 'vendor token', make: () => { const s = pick(['sk_live_', 'rk_test_', 'ghp_', 'gho_', 'xoxb-', 'AIza', 'npm_', 'glpat-', 'sk-']) + chars(ALNUM, int(20, 36)); return { message: `upstream rejected ${s} (401)`, secret: s } } },
  { form: 'bare high-entropy token', make: () => { const s = keyToken(); return { message: `signing with ${s} failed`, secret: s } } },
  { form: 'JWT', make: () => { const s = `eyJ${chars(ALNUM, 20)}.eyJ${chars(ALNUM, 30)}.${chars(ALNUM + '-_', 43)}`; return { message: `jwt ${s} expired`, secret: s } } }
]

const ENCODINGS: Array<[string, (m: string) => string]> = [
  ['plain', (m) => m],
  ['JSON-escaped', (m) => JSON.stringify(m)],
  ['double JSON-escaped', (m) => JSON.stringify(JSON.stringify(m))],
  ['percent-encoded', (m) => encodeURIComponent(m)],
  ['JSON with escaped slashes', (m) => JSON.stringify(m).replace(/\//g, '\\/')]
]

function leaks (text: string, secret: string): boolean {
  return [secret, encodeURIComponent(secret), jsonEscaped(secret), jsonEscaped(jsonEscaped(secret))].some((form) => text.includes(form))
}

const cases: Case[] = []
for (let i = 0; i < 3000; i++) {
  const { form, make } = FORMS[i % FORMS.length]
  const [encoding, encode] = ENCODINGS[Math.floor(i / FORMS.length) % ENCODINGS.length]
  const { message, secret } = make()
  cases.push({ message: encode(message), secret, form: `${form}, ${encoding}` })
}

t.test(`redact(): no secret survives, over ${cases.length} generated messages (seed ${seed})`, async (t) => {
  const leaked = cases.filter(({ message, secret }) => leaks(redact(message), secret))
  const byForm = new Map<string, number>()
  for (const { form } of leaked) byForm.set(form, (byForm.get(form) ?? 0) + 1)
  t.same(Object.fromEntries(byForm), {}, 'leaks by form')
  for (const { message, secret } of leaked.slice(0, 5)) t.comment(`leaked ${JSON.stringify(secret)} from ${JSON.stringify(message)} -> ${JSON.stringify(redact(message))}`)
})

t.test('describeError(): the same over thrown errors, codes and names, and past the 500-character cut', async (t) => {
  let leaked = 0
  for (const [i, { message, secret }] of cases.entries()) {
    const error = i % 3 === 0
      ? Object.assign(new Error(message), { code: 'E_CONN' })
      : i % 3 === 1 ? Object.assign(new Error(''), { name: message }) : Object.assign(new Error('x'.repeat(int(420, 520)) + ' ' + message), { code: message })
    if (leaks(describeError(error), secret)) leaked++
    if (leaks(describeError(message), secret)) leaked++
  }
  t.equal(leaked, 0)
})

t.test('what is useful stays readable', async (t) => {
  for (const text of [
    'connect ECONNREFUSED 127.0.0.1:5432',
    'timeout: no result within 1000 ms',
    'getaddrinfo ENOTFOUND db-primary.cluster-abc123.eu-west-1.rds.amazonaws.com',
    'Cannot find module /usr/lib/node_modules/pg/lib/client.js',
    'password authentication failed for user "app"',
    'relation "users" does not exist',
    'pool saturated: 12 requests waiting for a client',
    'ERR_SOCKET_CLOSED: socket closed by peer'
  ]) t.equal(redact(text), text)
  t.equal(redact('postgres://app:pw@db:5432/app'), 'postgres://[REDACTED]@db:5432/app')
  t.equal(redact('{"password":"\\u0068unter2"}'), '{"password":[REDACTED]}', 'unicode escapes are decoded before matching')
  t.equal(redact('==========aB3dE5fG7h'), '==========aB3dE5fG7h', 'padding does not make a short token long')
})

t.test('through the plugin: no generated secret in any body, header or log line, in every details mode', async (t) => {
  const sample = cases.filter((_, i) => i % 15 === 0)
  const modes = [
    { details: 'never' as const },
    { details: 'authorized' as const, authorize: () => false, label: 'authorized, denied' },
    { details: 'authorized' as const, authorize: () => true, label: 'authorized, allowed' },
    { details: 'always' as const }
  ]
  for (const { label, ...options } of modes) {
    const { stream, lines } = logCollector()
    const app = await build(t, { liveness: false, ...options }, { logger: { stream, level: 'trace' } })
    sample.forEach(({ message }, i) => {
      const kind = i % 4
      app.health.check(`c${i}`, () => {
        if (kind === 0) throw new Error(message)
        if (kind === 1) return { status: 'fail', output: message, observedValue: message, observedUnit: message }
        if (kind === 2) throw message
        return message as never
      }, { critical: i % 2 === 0, groups: i % 3 === 0 ? ['liveness', 'readiness'] : ['readiness'] })
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    let seen = ''
    for (const path of ['/livez?verbose', '/readyz?verbose', '/startupz?verbose', '/health', '/readyz/c1?verbose', '/livez/c0?verbose', '/readyz', '/health?verbose']) {
      const response = await get(app, path)
      seen += JSON.stringify(response.headers) + response.body
    }
    await app.close()
    seen += lines.map((line) => JSON.stringify(line)).join('\n')
    const leaked = sample.filter(({ secret }) => leaks(seen, secret)).map(({ form }) => form)
    t.same(leaked, [], `${label ?? options.details}: ${sample.length} checks, no secret anywhere`)
  }
})

t.test("an error's code and name are shown only when they look like a driver's", async (t) => {
  t.equal(describeError(Object.assign(new Error('connect failed'), { code: 'ECONNREFUSED' })), 'ECONNREFUSED: connect failed')
  t.equal(describeError(Object.assign(new Error('auth failed'), { code: '28P01' })), '28P01: auth failed')
  t.equal(describeError(Object.assign(new Error('auth failed'), { code: 'hunter2' })), 'auth failed', 'a code that is not a code is withheld')
  t.equal(describeError(Object.assign(new Error(''), { name: 'TypeError' })), 'TypeError')
  t.equal(describeError(Object.assign(new Error(''), { name: 'hunter2 was the password' })), 'an error without a message')
})
