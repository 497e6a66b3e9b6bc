import t from 'tap'
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

// The package as users get it: packed, installed into an empty project, loaded every way.
// Two installs and four tsc runs: about a minute alone, past tap's 120 s beside the suite on two cores.
t.setTimeout(300_000)
const root = resolve(__dirname, '..')
const dir = mkdtempSync(join(tmpdir(), 'zd-package-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

const run = (cmd: string, args: string[], cwd = dir): string => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

// `npm test` has built dist/ already; packing without prepack keeps a rebuild from
// deleting dist/ under the test files running beside this one.
run(npm, ['pack', '--silent', '--ignore-scripts', '--pack-destination', dir], root)
const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))
// The CLI is a package of its own (cli/): an app that registers the plugin installs neither yaml nor the SQL parser.
run(npm, ['pack', '--silent', '--ignore-scripts', '--pack-destination', dir], join(root, 'cli'))
const cliTarball = readdirSync(dir).find((f) => f.startsWith('fastify-zero-downtime-cli-'))
const { version: fastifyVersion } = require('fastify/package.json')
const { version: typesVersion } = require('@types/node/package.json')
const { version: tsVersion } = require('typescript/package.json')
writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }))
run(npm, ['install', '--silent', '--no-audit', '--no-fund', '--prefer-offline', `./${tarball}`, `fastify@${fastifyVersion}`, `@types/node@${typesVersion}`, `typescript@${tsVersion}`])
const pluginOnly = readdirSync(join(dir, 'node_modules'))
run(npm, ['install', '--silent', '--no-audit', '--no-fund', '--prefer-offline', '--save-dev', `./${cliTarball}`])

const usage = `
  const app = Fastify()
  await app.register(zeroDowntime, { signals: false, shutdownDelay: 100 })
  app.health.check('db', async ({ signal }) => { signal.throwIfAborted() }, { groups: ['readiness'], timeout: 500 })
  await app.ready()
  const res = await app.inject('/readyz')
  console.log(JSON.stringify({ plugin: typeof zeroDowntime, checks: typeof checks, status: res.statusCode, state: app.health.state }))
  await app.close()
`
const expected = { plugin: 'function', checks: 'object', status: 200, state: 'ready' }

t.test('the tarball holds the built code and declarations, not the sources', async (t) => {
  const listing = run('tar', ['-tzf', tarball!])
  t.match(listing, /package\/dist\/index\.js/)
  t.match(listing, /package\/dist\/index\.d\.ts/)
  t.notMatch(listing, /package\/lib\//)
  t.notMatch(listing, /package\/test\//)
})

t.test('ESM: import zeroDowntime, { checks }', async (t) => {
  writeFileSync(join(dir, 'esm.mjs'), `import Fastify from 'fastify'\nimport zeroDowntime, { checks } from 'fastify-zero-downtime'\n${usage}`)
  t.same(JSON.parse(run(process.execPath, ['esm.mjs'])), expected)
  writeFileSync(join(dir, 'named.mjs'), 'import zeroDowntime, { fastifyZeroDowntime, zeroDowntime as plain, errorCodes } from \'fastify-zero-downtime\'\nconsole.log(fastifyZeroDowntime === zeroDowntime && plain === zeroDowntime && typeof errorCodes.FST_ZD_UNCLEAN_SHUTDOWN === \'function\')\n')
  t.equal(run(process.execPath, ['named.mjs']), 'true\n', 'named as Fastify\'s own plugins are')
})

t.test('CommonJS: require() gives the plugin function itself', async (t) => {
  writeFileSync(join(dir, 'cjs.cjs'), `const Fastify = require('fastify')\nconst zeroDowntime = require('fastify-zero-downtime')\nconst { checks } = zeroDowntime\n;(async () => {${usage}})()`)
  t.same(JSON.parse(run(process.execPath, ['cjs.cjs'])), expected)
})

const typed = `import Fastify from 'fastify'
import zeroDowntime, { checks, type ZeroDowntimeOptions, type CheckResult } from 'fastify-zero-downtime'
const options: ZeroDowntimeOptions = { signals: false, details: 'never' }
const result: CheckResult = { status: 'warn', observedValue: 3, observedUnit: 'ms' }
async function main (): Promise<void> {
  void result
  void checks
${usage}
}
void main()
`

for (const [name, compilerOptions] of [
  ['NodeNext (ESM)', { module: 'nodenext', moduleResolution: 'nodenext' }],
  ['NodeNext (CommonJS)', { module: 'nodenext', moduleResolution: 'nodenext', esModuleInterop: true }],
  ['bundler', { module: 'esnext', moduleResolution: 'bundler' }]
] as const) {
  t.test(`TypeScript, ${name}: type-checks`, async (t) => {
    const file = name === 'NodeNext (ESM)' ? 'typed.mts' : 'typed.ts'
    writeFileSync(join(dir, file), typed)
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...compilerOptions, strict: true, noEmit: true, target: 'es2022', types: ['node'] }, files: [file] }))
    t.doesNotThrow(() => run(process.execPath, [join(dir, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json']))
  })
}

t.test('TypeScript rejects a wrong option', async (t) => {
  writeFileSync(join(dir, 'wrong.ts'), 'import Fastify from \'fastify\'\nimport zeroDowntime from \'fastify-zero-downtime\'\nvoid Fastify().register(zeroDowntime, { shutdownDelay: \'5s\' })\n')
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', strict: true, noEmit: true, types: ['node'] }, files: ['wrong.ts'] }))
  t.throws(() => run(process.execPath, [join(dir, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json']), { stdout: /wrong.ts\(3,\d+\): error TS/ })
})

t.test('importing the plugin loads no driver: they are optional peer dependencies', async (t) => {
  const script = 'require(\'fastify-zero-downtime\'); console.log(JSON.stringify(Object.keys(require.cache)))'
  const loaded: string[] = JSON.parse(run(process.execPath, ['-e', script]))
  t.same(loaded.filter((file) => /node_modules[\\/](pg|postgres|mysql2|ioredis|@?redis|amqplib|nats|mqtt)[\\/]/.test(file)), [])
  t.notOk(readdirSync(join(dir, 'node_modules')).some((name) => ['pg', 'mysql2', 'ioredis', 'amqplib', 'nats', 'mqtt'].includes(name)), 'npm installed none of them')
})

t.test('the plugin alone installs neither the CLI\'s YAML reader nor its SQL parser', async (t) => {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  t.same(Object.keys(manifest.dependencies).sort(), ['@fastify/error', '@fastify/under-pressure', '@opentelemetry/api', 'close-with-grace', 'fastify-plugin', 'process-warning'])
  t.notOk('bin' in manifest, 'the bin belongs to fastify-zero-downtime-cli')
  t.notOk(pluginOnly.includes('yaml') || pluginOnly.includes('libpg-query'), 'neither in node_modules after installing the plugin')
  const built = readdirSync(join(dir, 'node_modules', 'fastify-zero-downtime', 'dist'), { recursive: true }).map(String)
  t.notOk(built.some((f) => f.endsWith('.map')), 'no source maps shipped')
  t.notOk(built.filter((f) => /\.(js|d\.ts)$/.test(f)).some((f) => readFileSync(join(dir, 'node_modules', 'fastify-zero-downtime', 'dist', f), 'utf8').includes('sourceMappingURL')), 'and none referenced')
})

t.test('fastify-zero-downtime-cli: its bin checks manifests, lints migrations, tells its version', async (t) => {
  const bin = join(dir, 'node_modules', '.bin', 'fastify-zero-downtime')
  writeFileSync(join(dir, 'deploy.yaml'), 'kind: Deployment\nmetadata: { name: web }\nspec:\n  strategy: { type: Recreate }\n')
  const checked = spawnSync(bin, ['check', 'deploy.yaml'], { cwd: dir, encoding: 'utf8' })
  t.equal(checked.status, 1)
  t.match(checked.stdout, /deploy.yaml: Deployment\/web: max-unavailable: strategy Recreate/)
  writeFileSync(join(dir, 'm.sql'), 'DROP TABLE x;\n')
  // DATABASE_URL emptied: a developer's own would make the linter read that database.
  const linted = spawnSync(bin, ['lint-migrations', '--assume-lock-timeout', 'm.sql'], { cwd: dir, encoding: 'utf8', env: { ...process.env, DATABASE_URL: '' } })
  t.equal(linted.status, 1)
  t.match(linted.stdout, /^m.sql:1:1 drop-table /)
  const { version } = JSON.parse(readFileSync(join(root, 'cli', 'package.json'), 'utf8'))
  t.equal(spawnSync(bin, ['--version'], { cwd: dir, encoding: 'utf8' }).stdout, `fastify-zero-downtime-cli ${String(version)}\n`)
})

t.test('fastify-zero-downtime-cli holds only its own code: the budget and the wording come from the installed plugin', async (t) => {
  const listing = run('tar', ['-tzf', cliTarball!]).trim().split('\n').sort()
  const own = readdirSync(join(root, 'cli', 'lib'), { recursive: true }).map(String).filter((f) => f.endsWith('.ts')).flatMap((f) => [f.replace(/\.ts$/, '.js'), f.replace(/\.ts$/, '.d.ts')])
  t.same(listing.filter((f) => f.startsWith('package/dist/')), own.map((f) => `package/dist/${f}`).sort(), 'its own lib/ compiled, no copy of the plugin\'s files')
  const helper = spawnSync(process.execPath, ['-p', 'typeof require("fastify-zero-downtime-cli/lock-retries").withLockRetries'], { cwd: dir, encoding: 'utf8' })
  t.equal(helper.stdout.trim(), 'function', 'the lock-retry helper, from its public subpath')
  const cli = JSON.parse(readFileSync(join(dir, 'node_modules', 'fastify-zero-downtime-cli', 'package.json'), 'utf8'))
  t.same(cli.peerDependencies, { 'fastify-zero-downtime': `^${String(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version)}`, pg: cli.peerDependencies.pg }, 'the plugin a user installed is the one it checks against')
  t.same(cli.peerDependenciesMeta, { pg: { optional: true } }, 'node-postgres only for --trace and --database-url, and not installed with the CLI')
  const traced = spawnSync(join(dir, 'node_modules', '.bin', 'fastify-zero-downtime'), ['lint-migrations', '--trace', 'postgres://127.0.0.1:1/app_test', 'm.sql'], { cwd: dir, encoding: 'utf8' })
  t.equal(traced.status, 2)
  t.match(traced.stderr, /^error FST_ZD_CLI_DATABASE: trace mode needs node-postgres, an optional peer dependency \(Cannot find module 'pg'\): expected it installed beside the CLI \(npm install --save-dev pg\)/)
  const catalog = spawnSync(join(dir, 'node_modules', '.bin', 'fastify-zero-downtime'), ['lint-migrations', 'm.sql'], { cwd: dir, encoding: 'utf8', env: { ...process.env, DATABASE_URL: 'postgres://127.0.0.1:1/app' } })
  t.match(catalog, { status: 2, stderr: /^error FST_ZD_CLI_DATABASE: --database-url needs node-postgres, an optional peer dependency \(Cannot find module 'pg'\)/ }, 'DATABASE_URL read, and the same advice')
  const resolved = spawnSync(process.execPath, ['-p', 'require.resolve("fastify-zero-downtime/budget", { paths: [require.resolve("fastify-zero-downtime-cli/package.json")] })'], { cwd: dir, encoding: 'utf8' })
  t.equal(resolved.stdout.trim(), join(dir, 'node_modules', 'fastify-zero-downtime', 'dist', 'budget.js'))
  const subpaths = spawnSync(process.execPath, ['-p', 'const b = require("fastify-zero-downtime/budget"), m = require("fastify-zero-downtime/messages"); [typeof b.describeBudget, typeof b.resolveOptions, Array.isArray(b.OPTION_NAMES), typeof m.redact, typeof m.knownOptions].join()'], { cwd: dir, encoding: 'utf8' })
  t.equal(subpaths.stdout.trim(), 'function,function,true,function,function', 'the public subpaths it imports')
})
