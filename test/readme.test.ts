import t from 'tap'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { DEFAULTS } from '../lib/options'
import * as errors from '../lib/errors'
import zeroDowntime = require('../lib/index')
import { WEBSOCKET_DEFAULTS } from '../lib/websockets'
import { EVENT_STREAM_DEFAULTS } from '../lib/event-stream'
import { CONSUMER_DEFAULTS } from '../lib/consumers/flow'

const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8')

t.test('README options table: every option, with the default the code uses', async (t) => {
  const rows = [...readme.matchAll(/^\| `([\w.]+)` \| [^|\n]*(?:\\\|[^|\n]*)* \| `([^`]*)` \|/gm)]
  const documented = new Map(rows.map(([, name, value]) => [name, value]))
  t.same([...documented.keys()].sort(), Object.keys(DEFAULTS).sort(), 'the same options')
  for (const [name, value] of Object.entries(DEFAULTS)) {
    t.equal(documented.get(name), value === undefined ? 'undefined' : JSON.stringify(value), name)
  }
})

t.test('README lists every error code', async (t) => {
  const codes = Object.entries(errors).filter(([name]) => name.endsWith('Error')).map(([, E]) => (new (E as new () => { code: string })()).code)
  t.ok(codes.length >= 10)
  for (const code of codes) {
    t.match(code, /^FST_ZD_[A-Z_]+$/)
    t.ok(readme.includes(`| \`${code}\` |`), code)
  }
  // errorCodes holds every one of them, by its code, as fastify's errorCodes does.
  const byCode = Object.fromEntries(Object.entries(errors).filter(([name]) => name.endsWith('Error')).map(([, E]) => [(new (E as new () => { code: string })()).code, E]))
  t.same(Object.keys(errors.errorCodes).sort(), Object.keys(byCode).sort(), 'errorCodes: every code')
  for (const [code, E] of Object.entries(byCode)) t.equal((errors.errorCodes as Record<string, unknown>)[code], E, `errorCodes.${code}`)
  t.equal(zeroDowntime.errorCodes, errors.errorCodes, 'exported by the package')
  t.ok(readme.includes("import { errorCodes } from 'fastify-zero-downtime'"), 'and documented')
})

t.test('docs/checks.md names the driver versions the tests ran with', async (t) => {
  const doc = readFileSync(join(__dirname, '..', 'docs', 'checks.md'), 'utf8')
  for (const driver of ['pg', 'postgres', 'mysql2', 'ioredis', 'redis', 'amqplib', 'nats', 'mqtt']) {
    const { version } = JSON.parse(readFileSync(join(__dirname, '..', 'node_modules', driver, 'package.json'), 'utf8'))
    t.ok(doc.includes(`${driver} ${version}`) || doc.includes(`${driver}) ${version}`) || doc.includes(`node-redis) ${version}`), `${driver} ${version}`)
  }
})

t.test('a missing service is named in one line before any test runs; with ZD_REQUIRE_SERVICES the run stops there', async (t) => {
  const { spawnSync } = await import('node:child_process')
  const before = join(__dirname, 'lib', 'before.ts')
  // A port nothing listens on: the service is missing for this run only.
  const env = { ...process.env, ZD_MYSQL_URL: 'mysql://root@127.0.0.1:9/test' }
  delete env.ZD_REQUIRE_SERVICES
  const skipped = spawnSync(process.execPath, [...process.execArgv, before], { env, encoding: 'utf8' })
  t.equal(skipped.status, 0)
  t.match(skipped.stdout, /^# services not reachable, their tests are skipped: .*mysql \(127\.0\.0\.1:9\)/)
  const required = spawnSync(process.execPath, [...process.execArgv, before], { env: { ...env, ZD_REQUIRE_SERVICES: '1' }, encoding: 'utf8' })
  t.equal(required.status, 1)
  t.match(required.stderr, /^missing service: mysql is not reachable at 127\.0\.0\.1:9 \(ZD_REQUIRE_SERVICES is set\): start it with start-stop-daemon .*mariadbd/)
  t.notMatch(required.stderr, /postgres is not/, 'the first missing one, by name')
  t.ok(readme.includes('## Services for the tests'), 'the README says how to start each')
})

t.test('docs/long-lived.md: each option\'s default is the one the code uses', async (t) => {
  const doc = readFileSync(join(__dirname, '..', 'docs', 'long-lived.md'), 'utf8')
  // The section of one API: from its heading to the next.
  const section = (heading: string): string => doc.slice(doc.indexOf(heading), doc.indexOf('\n## ', doc.indexOf(heading) + 1))
  const row = (text: string, option: string): string => text.split('\n').find((line) => line.includes(`| \`${option}\``)) ?? `no row for ${option}`
  const expectDefault = (text: string, option: string, value: unknown): void => { t.match(row(text, option), `Default: \`${typeof value === 'string' ? `"${value}"` : String(value)}\``, option) }
  const websockets = section('## `app.health.websockets(')
  for (const [option, value] of Object.entries(WEBSOCKET_DEFAULTS)) expectDefault(websockets, option, value)
  for (const [option, value] of Object.entries(EVENT_STREAM_DEFAULTS)) expectDefault(section('## `app.health.eventStream('), option, value)
  const consumers = section('## Consumers')
  for (const values of Object.values(CONSUMER_DEFAULTS)) {
    for (const [option, value] of Object.entries(values)) expectDefault(consumers, option, value)
  }
  t.match(row(websockets, 'timeout'), 'Default: `drainTimeout`')
  t.match(row(section('## `app.health.worker('), 'timeout'), 'Default: `drainTimeout`')
  t.match(row(section('## `app.health.worker('), 'http'), 'Default: `false`')
})

t.test('the plugin and the CLI are released together, with one version (CONTRIBUTING.md, Releasing)', async (t) => {
  const version = (file: string): string => (JSON.parse(readFileSync(join(__dirname, '..', file), 'utf8')) as { version: string }).version
  t.equal(version('cli/package.json'), version('package.json'))
  t.match(readFileSync(join(__dirname, '..', 'CONTRIBUTING.md'), 'utf8'), /## Releasing[\s\S]*npm version <x\.y\.z> --no-git-tag-version --workspaces --include-workspace-root/)
})

t.test('README "Public subpaths for tools": each subpath is in package.json exports and exports exactly what its row names', async (t) => {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8')
  const table = readme.slice(readme.indexOf('### Public subpaths for tools'), readme.indexOf('### Error codes'))
  const { exports } = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { exports: Record<string, unknown> }
  const modules: Record<string, Record<string, unknown>> = { budget: require('../lib/budget'), messages: require('../lib/messages') }
  for (const [name, mod] of Object.entries(modules)) {
    const row = table.split('\n').find((line) => line.startsWith(`| \`fastify-zero-downtime/${name}\``)) ?? ''
    t.ok(`./${name}` in exports, `./${name} is exported`)
    // Names in backticks, a call's name without its arguments; types are not runtime exports.
    const named = [...row.split('|')[2].matchAll(/`([A-Za-z_]+)[(`]/g)].map((m) => m[1])
    const types = (row.split('types ')[1] ?? '').match(/`[A-Za-z]+`/g)?.map((s) => s.slice(1, -1)) ?? []
    t.same(Object.keys(mod).sort(), named.filter((n) => !types.includes(n)).sort(), `the row of ${name} names every runtime export`)
    t.notOk(Object.values(mod).includes(undefined), `every export of ${name} is defined`)
  }
  // A unique prefix is the likely intent (the CLI's `lint` for lint-migrations).
  const knownOptions = modules.messages.knownOptions as (key: string, known: string[]) => string
  t.match(knownOptions('drainT', ['drainTimeout', 'shutdownDelay']), '(did you mean "drainTimeout"?)')
  // Under three letters a prefix says too little to guess from.
  t.notMatch(knownOptions('dr', ['drainTimeout', 'shutdownDelay']), 'did you mean')
})

t.test('docs/design.md names every module of lib/, and only modules that exist', async (t) => {
  const design = readFileSync(join(__dirname, '..', 'docs', 'design.md'), 'utf8')
  const modules = readdirSync(join(__dirname, '..', 'lib')).filter((file) => file.endsWith('.ts'))
  const named = new Set([...design.matchAll(/(?<![\w./-])([a-z-]+)\.ts\b/g)].map((m) => `${m[1]}.ts`))
  t.same(modules.filter((file) => !named.has(file)), [], 'every module named')
  t.same([...named].filter((file) => !modules.includes(file)), [], 'no module that is not there')
  t.ok(existsSync(join(__dirname, '..', 'lib', 'checks')) && design.includes('checks/*') && design.includes('consumers/*'), 'and the two folders')
})
