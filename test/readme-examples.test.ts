import t from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, extname, join } from 'node:path'
import { get } from './lib/helpers'
import { SERVICES, service, type ServiceName } from './lib/services'

// Every code block of README.md and docs/ marked `<!-- example: name.ext[, other.ext] -->` is
// written to those files inside this package (so that `fastify-zero-downtime` resolves to it, as
// it would in an app) and compiled with `tsc --strict`; the JavaScript ones are also run. In the
// README every JavaScript or TypeScript block is either such an example or says it is a fragment.
const root = join(__dirname, '..')
const work = join(root, '.examples')

interface Example { doc: string, line: number, files: string[], code: string }

function examplesOf (doc: string): { examples: Example[], unmarked: number[] } {
  const lines = readFileSync(join(root, doc), 'utf8').split('\n')
  const examples: Example[] = []
  const unmarked: number[] = []
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(js|ts|mjs|cjs|javascript|typescript)\s*$/.exec(lines[i])
    if (fence === null) continue
    const end = lines.indexOf('```', i + 1)
    const marker = /^<!-- (example|fragment): (.+) -->$/.exec(lines[i - 1] ?? '')
    if (marker === null) unmarked.push(i + 1)
    else if (marker[1] === 'example') examples.push({ doc, line: i + 1, files: marker[2].split(',').map((f) => f.trim()), code: lines.slice(i + 1, end).join('\n') + '\n' })
    i = end
  }
  return { examples, unmarked }
}

const docs = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)]
const found = docs.map((doc) => ({ doc, ...examplesOf(doc) }))
const examples = found.flatMap((f) => f.examples)
const isJavaScript = (file: string): boolean => ['.js', '.mjs', '.cjs'].includes(extname(file))
// The services an example's drivers talk to.
const DRIVERS: Record<string, ServiceName> = { pg: 'postgres', postgres: 'postgres', mysql2: 'mysql', ioredis: 'redis', redis: 'redis', amqplib: 'amqp', nats: 'nats', mqtt: 'mqtt' }
const servicesOf = (code: string): ServiceName[] => [...new Set([...code.matchAll(/(?:from |require\()'([^']+)'/g)].map(([, name]) => DRIVERS[name.split('/')[0]]).filter((s) => s !== undefined))]

rmSync(work, { recursive: true, force: true })
t.teardown(() => rmSync(work, { recursive: true, force: true }))
const dirOf = (example: Example): string => join(work, `${example.doc.replace(/[/.]/g, '_')}_${example.line}`)
for (const example of examples) {
  for (const file of example.files) {
    mkdirSync(dirname(join(dirOf(example), file)), { recursive: true })
    writeFileSync(join(dirOf(example), file), example.code)
  }
}

t.test('the README marks every block of code as an example that runs, or as a fragment', async (t) => {
  const readme = found.find((f) => f.doc === 'README.md')
  t.same(readme?.unmarked, [], 'unmarked blocks (their line numbers)')
  t.ok(readme !== undefined && readme.examples.length >= 4, 'the quick start and reference examples')
  const quickStart = readme?.examples.slice(0, 2).flatMap((e) => e.files)
  t.same(quickStart, ['server.mjs', 'server.mts', 'server.cjs'], 'the quick start, in ESM (also as TypeScript) and in CommonJS')
})

t.test('every example compiles under tsc --strict, as written', async (t) => {
  const files = examples.flatMap((e) => e.files.map((f) => join(dirOf(e), f)))
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  const result = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--allowJs', '--checkJs', '--skipLibCheck',
    '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', ...files], { cwd: root, encoding: 'utf8' })
  t.equal(result.stdout + result.stderr, '', 'no diagnostics')
  t.equal(result.status, 0)
})

interface Run { skipped?: string, server: boolean, ready?: number, exit: [number | null, string | null], output: string }

// Runs one JavaScript example: a server is probed until ready and stopped with SIGTERM; anything
// else (a plugin file, a script) must load and end by itself.
async function run (example: Example, file: string): Promise<Run> {
  const missing = []
  for (const name of servicesOf(example.code)) if (!await reachable(name)) missing.push(name)
  if (missing.length > 0) return { skipped: missing.join(', '), server: false, exit: [null, null], output: '' }
  const child = spawn(process.execPath, [file], {
    cwd: dirOf(example),
    env: { ...process.env, PORT: '0', DATABASE_URL: SERVICES.postgres.url },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { output += chunk })
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>
  const port = await new Promise<number | undefined>((resolve) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk
      const port = /Server listening at http:\/\/[^:]+:(\d+)/.exec(output)?.[1]
      if (port !== undefined) resolve(Number(port))
    })
    exited.then(() => resolve(undefined), () => resolve(undefined))
  })
  if (port === undefined) return { server: false, exit: await exited, output }
  let ready = await get({ port }, '/readyz')
  for (let tries = 0; ready.status !== 200 && tries < 100; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    ready = await get({ port }, '/readyz')
  }
  child.kill('SIGTERM')
  return { server: true, ready: ready.status, exit: await exited, output }
}

async function reachable (name: ServiceName): Promise<boolean> {
  let up = true
  await service({ skip: () => { up = false }, fail: () => { up = false } }, name)
  return up
}

// All at once: each server's shutdown waits out its shutdownDelay, as written.
const runnable = examples.flatMap((example) => example.files.filter(isJavaScript).map((file) => ({ example, file })))
const runs = Promise.all(runnable.map(async ({ example, file }) => await run(example, file)))

runnable.forEach(({ example, file }, i) => {
  t.test(`${example.doc}:${example.line} (${file}) runs: a server becomes ready, then exits 0 on SIGTERM; a script exits 0`, async (t) => {
    const result = (await runs)[i]
    if (result.skipped !== undefined) {
      for (const name of servicesOf(example.code)) await service(t, name)
      return
    }
    t.same(result.exit, [0, null], result.output)
    if (!result.server) return
    t.equal(result.ready, 200, 'ready')
    t.match(result.output, /zero-downtime: closing -> closed/, 'the shutdown ran to its end')
  })
})
