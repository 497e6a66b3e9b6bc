import t from 'tap'
import Fastify from 'fastify'
import zeroDowntime = require('../lib/index')
import { DEFAULTS, resolveOptions } from '../lib/options'

t.test('defaults are applied and frozen', async (t) => {
  const options = resolveOptions(undefined)
  t.equal(options.shutdownDelay, DEFAULTS.shutdownDelay)
  t.same(options.routes, { live: '/livez', ready: '/readyz', startup: '/startupz', health: '/health' })
  t.same(options.signals, ['SIGTERM', 'SIGINT'])
  t.same(options.liveness, { maxEventLoopDelay: 1000, maxHeapUsedBytes: 0, maxRssBytes: 0 })
  t.ok(Object.isFrozen(options) && Object.isFrozen(options.routes))
})

t.test('the caller\'s options object is never mutated', async (t) => {
  const input = { routes: { ready: '/ready/' }, signals: ['SIGTERM' as const, 'SIGTERM' as const], liveness: { maxRssBytes: 10 } }
  const copy = structuredClone(input)
  const options = resolveOptions(input)
  t.same(input, copy)
  t.equal(options.routes.ready, '/ready', 'a trailing slash is dropped')
  t.same(options.signals, ['SIGTERM'], 'duplicates are dropped')
  t.equal(options.liveness !== false && options.liveness.maxRssBytes, 10)
})

t.test('false turns parts off', async (t) => {
  const options = resolveOptions({ routes: { health: false }, liveness: false, signals: false })
  t.equal(options.routes.health, false)
  t.equal(options.liveness, false)
  t.equal(options.signals, false)
})

const bad: Array<[string, unknown, RegExp]> = [
  ['not an object', 'yes', /"options": got "yes", expected an object/],
  ['unknown key', { shutdownDelya: 1 }, /^Invalid option "shutdownDelya": got an unknown option, expected one of the known options: routes, details, .*, gracePeriod, holdTickShape, prefix, logLevel, logSerializers \(did you mean "shutdownDelay"\?\)$/],
  ['unknown key, other case', { checkinterval: 1 }, /\(did you mean "checkInterval"\?\)$/],
  ['unknown key, nothing close', { somethingElse: 1 }, /known options: routes, .*, logSerializers$/],
  ['unknown nested key', { liveness: { maxEventLoopDelya: 5 } }, /^Invalid option "liveness.maxEventLoopDelya": got an unknown option, expected one of the known options: maxEventLoopDelay, maxHeapUsedBytes, maxRssBytes \(did you mean "maxEventLoopDelay"\?\)$/],
  ['negative duration', { shutdownDelay: -1 }, /"shutdownDelay": got -1, expected a number of milliseconds, 0 or more, at most 2147483647/],
  ['non-finite duration', { drainTimeout: Infinity }, /"drainTimeout": got Infinity/],
  ['zero where positive', { gracePeriod: 0 }, /"gracePeriod": got 0, expected a number of milliseconds above 0, at most 2147483647/],
  ['string duration', { closeTimeout: '5s' }, /"closeTimeout": got "5s"/],
  ['path without slash', { routes: { ready: 'readyz' } }, /"routes.ready": got "readyz", expected a path starting with "\/"/],
  ['path with space', { routes: { live: '/a b' } }, /"routes.live"/],
  ['path with double slash', { routes: { live: '//x' } }, /"routes.live"/],
  ['same path twice', { routes: { live: '/x', ready: '/x' } }, /"routes.ready": got "\/x", expected a path different from routes.live/],
  ['routes not an object', { routes: [] }, /"routes": got an empty array/],
  ['unknown route', { routes: { status: '/s' } }, /"routes.status"/],
  ['bad details', { details: 'sometimes' }, /"details": got "sometimes", expected one of "never", "authorized", "always"/],
  ['authorized without authorize', { details: 'authorized' }, /"authorize": got undefined, expected a function/],
  ['authorize without authorized', { authorize: () => true }, /"authorize": got a function, expected undefined unless details is "authorized"/],
  ['authorize not a function', { details: 'authorized', authorize: true }, /"authorize": got true/],
  ['bad log level', { probeLogLevel: 'loud' }, /"probeLogLevel"/],
  ['timeout above interval', { checkInterval: 100, checkTimeout: 200 }, /"checkTimeout": got 200, expected at most checkInterval \(100 ms\)/],
  ['bad liveness', { liveness: true }, /"liveness": got true/],
  ['unknown liveness key', { liveness: { maxCpu: 1 } }, /"liveness.maxCpu"/],
  ['fractional bytes', { liveness: { maxRssBytes: 1.5 } }, /"liveness.maxRssBytes": got 1.5, expected a whole number of bytes/],
  ['zero event-loop delay', { liveness: { maxEventLoopDelay: 0 } }, /"liveness.maxEventLoopDelay"/],
  ['bad signal', { signals: ['SIGTERM', 'SIGKILL'] }, /^Invalid option "signals\[1\]": got "SIGKILL", expected one of "SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR2"/],
  ['empty signals', { signals: [] }, /"signals": got an empty array, expected a non-empty array of "SIGTERM"/],
  ['signals true', { signals: true }, /"signals": got true/],
  ['bad shutdownOnError', { shutdownOnError: 'yes' }, /"shutdownOnError": got "yes", expected a boolean/],
  ['null value', { routes: null }, /"routes": got null/],
  ['object', { details: {} }, /"details": got an object/],
  ['symbol', { details: Symbol('x') }, /"details": got a symbol/],
  ['bigint', { shutdownDelay: 5n }, /"shutdownDelay": got 5,/],
  ['long string is cut', { details: 'x'.repeat(100) }, /got "x{40}…"/]
]

for (const [what, input, message] of bad) {
  t.test(`rejects ${what}`, async (t) => {
    t.throws(() => resolveOptions(input), { code: 'FST_ZD_INVALID_OPTION', message })
  })
}

t.test('registration fails with the coded error', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await t.rejects(async () => { await app.register(zeroDowntime, { shutdownDelay: -5 } as never) }, { code: 'FST_ZD_INVALID_OPTION' })
})
