import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseAllDocuments, stringify } from 'yaml'
import { checkDeployment, readConfig } from '../lib/k8s'
import { main } from '../lib/main'

const examples = join(__dirname, '..', '..', 'examples', 'kubernetes')
const manifest = readFileSync(join(examples, 'deployment.yaml'), 'utf8')
const options = JSON.parse(readFileSync(join(examples, 'options.json'), 'utf8'))
const dir = mkdtempSync(join(tmpdir(), 'zd-k8s-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

type Doc = Record<string, any>
const docs = (): Doc[] => parseAllDocuments(manifest).map((d) => d.toJS() as Doc)
const deployment = (): Doc => docs()[0]
const container = (d: Doc): Doc => d.spec.template.spec.containers[0]

async function runCli (...args: string[]): Promise<{ code: number, out: string[], err: string[] }> {
  const out: string[] = []
  const err: string[] = []
  const code = await main(args, (line) => out.push(line), (line) => err.push(line))
  return { code, out, err }
}

function write (name: string, content: string): string {
  const file = join(dir, name)
  writeFileSync(file, content)
  return file
}

t.test('the example manifests are valid Kubernetes objects', async (t) => {
  const { Deployment } = await import('kubernetes-models/apps/v1/Deployment')
  const { Service } = await import('kubernetes-models/v1/Service')
  const { PodDisruptionBudget } = await import('kubernetes-models/policy/v1/PodDisruptionBudget')
  const [d, s, p] = docs()
  t.doesNotThrow(() => new Deployment(d as never).validate())
  t.doesNotThrow(() => new Service(s as never).validate())
  t.doesNotThrow(() => new PodDisruptionBudget(p as never).validate())
  t.throws(() => new Deployment({ ...d, spec: { ...d.spec, replicas: 'three' } } as never).validate(), 'the validation can fail')
})

t.test('the example passes the checker with its options', async (t) => {
  const result = await runCli('check', join(examples, 'deployment.yaml'), '--config', join(examples, 'options.json'))
  t.same(result, { code: 0, out: ['no problems found'], err: [] })
})

const config = readConfig(options)
const rules = (d: Doc, c = config): string[] => checkDeployment(d as never, c).map((p) => p.rule)

t.test('each inconsistency is reported with what to change', async (t) => {
  const cases: Array<[string, (d: Doc) => void, string[]]> = [
    ['grace period shorter than the shutdown', (d) => { d.spec.template.spec.terminationGracePeriodSeconds = 15 }, ['grace-period', 'grace-period-option']],
    ['readiness probe missing', (d) => { delete container(d).readinessProbe }, ['readiness-missing']],
    ['readiness probe not http', (d) => { container(d).readinessProbe = { tcpSocket: { port: 'http' } } }, ['readiness-not-http']],
    ['readiness on the liveness path', (d) => { container(d).readinessProbe.httpGet.path = '/livez' }, ['readiness-on-liveness']],
    ['readiness on a path not served', (d) => { container(d).readinessProbe.httpGet.path = '/ready' }, ['readiness-path']],
    ['liveness on readiness', (d) => { container(d).livenessProbe.httpGet.path = '/readyz?verbose' }, ['liveness-on-readiness']],
    ['liveness on /health', (d) => { container(d).livenessProbe.httpGet.path = '/health' }, ['liveness-on-readiness']],
    ['liveness on a path not served', (d) => { container(d).livenessProbe.httpGet.path = '/healthz' }, ['liveness-path']],
    ['startup on a path not served', (d) => { container(d).startupProbe.httpGet = { port: 'http' } }, ['startup-path']],
    ['maxUnavailable 100%', (d) => { d.spec.strategy.rollingUpdate.maxUnavailable = '100%' }, ['max-unavailable']],
    ['maxUnavailable 1 with one replica', (d) => { d.spec.replicas = 1; d.spec.strategy.rollingUpdate.maxUnavailable = 1 }, ['max-unavailable']],
    ['Recreate', (d) => { d.spec.strategy = { type: 'Recreate' } }, ['max-unavailable']],
    ['a probe timeout equal to the check timeout', (d) => { container(d).readinessProbe.timeoutSeconds = 1 }, []],
    ['preStop sleep stacked on shutdownDelay', (d) => { container(d).lifecycle = { preStop: { exec: { command: ['sh', '-c', 'sleep 15'] } } } }, ['prestop-sleep']],
    ['preStop sleep action', (d) => { container(d).lifecycle = { preStop: { sleep: { seconds: 10 } } } }, ['prestop-sleep']],
    ['a short preStop sleep that fits', (d) => { container(d).lifecycle = { preStop: { sleep: { seconds: 2 } } } }, []],
    ['a preStop hook without sleep', (d) => { container(d).lifecycle = { preStop: { exec: { command: ['/bin/flush'] } } } }, []],
    ['defaults everywhere', (d) => { delete d.spec.replicas; delete d.spec.strategy; delete d.spec.template.spec.terminationGracePeriodSeconds; delete d.metadata.name; delete container(d).name }, []]
  ]
  for (const [what, mutate, expected] of cases) {
    const d = deployment()
    mutate(d)
    t.same(rules(d), expected, what)
  }
  t.same(rules(deployment(), readConfig({ ...options, checkTimeout: 2500, checkInterval: 5000 })), [], 'probes answer from cached results: a checkTimeout above timeoutSeconds is fine')
  const noContainers = deployment()
  noContainers.spec.template.spec.containers = [{ name: 'sidecar' }]
  t.same(rules(noContainers), ['readiness-missing'], 'a pod without probes: the first container is checked')
  const empty: Doc = { kind: 'Deployment' }
  t.same(rules(empty), [], 'a Deployment without spec or containers: its defaults are consistent')
})

t.test('the CLI prints each problem with the file, the object and the fix; exit 1', async (t) => {
  const d = deployment()
  d.spec.template.spec.terminationGracePeriodSeconds = 10
  container(d).livenessProbe.httpGet.path = '/readyz'
  const file = write('bad.yaml', [d, ...docs().slice(1)].map((doc) => stringify(doc)).join('---\n'))
  const result = await runCli('check', file, '--config', join(examples, 'options.json'))
  t.equal(result.code, 1)
  t.match(result.out[0], `${file}: Deployment/web: grace-period: terminationGracePeriodSeconds is 10 s, but the shutdown may take 21000 ms`)
  t.match(result.out[0], /Fix: set terminationGracePeriodSeconds: 21 or more/)
  t.match(result.out.join('\n'), /Deployment\/web container\/app: liveness-on-readiness: .* Fix: point it at \/livez\./)
  t.equal(result.out.at(-1), '3 problem(s) found')
})

t.test('bad input: exit 2 with a clear message', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['check', write('invalid.yaml', 'kind: Deployment\nspec: [unclosed\n')], /^error FST_ZD_CLI_MANIFEST: .*invalid YAML: .* at line \d+, column \d+/],
    [['check', write('malformed.yaml', 'kind: Deployment\nspec:\n  template:\n    spec:\n      containers: 5\n')], /malformed.yaml: not a Deployment the checker can read/],
    [['check', write('service.yaml', 'apiVersion: v1\nkind: Service\nmetadata: { name: x }\n')], /no Deployment found/],
    [['check', join(dir, 'missing.yaml')], /^error FST_ZD_CLI_UNREADABLE: cannot read .*missing.yaml: ENOENT/],
    [['check', join(examples, 'deployment.yaml'), '--config', write('bad.json', '{ nope')], /bad.json: invalid JSON/],
    [['check', join(examples, 'deployment.yaml'), '--config', write('opts.json', '{ "shutdownDelay": -1 }')], /^error FST_ZD_CLI_CONFIG: Invalid option "shutdownDelay": got -1/],
    [['check', join(examples, 'deployment.yaml'), '--config', write('res.json', '{ "resourceTimeouts": "5s" }')], /resourceTimeouts: got "5s", expected an array of milliseconds above 0, one per app.health.resource\(\)/],
    [['check', join(examples, 'deployment.yaml'), '--config', write('res2.json', '{ "resourceTimeouts": [5000, "5s"] }')], /resourceTimeouts\[1\]: got "5s", expected milliseconds above 0/],
    [['check', join(examples, 'deployment.yaml'), '--config', write('res3.json', '{ "resourceTimeout": [5000] }')], /^error FST_ZD_CLI_CONFIG: the config: got an unknown key "resourceTimeout", expected one of the known options: routes, .*, resourceTimeouts, workers \(did you mean "resourceTimeouts"\?\)/],
    [['check', join(examples, 'deployment.yaml'), '--config', write('array.json', '[]')], /the config: got an empty array, expected a JSON object/],
    [['check', join(examples, 'deployment.yaml'), '--config', write('workers.json', '{ "workers": [{ "timeout": "5s" }] }')], /workers\[0\]\.timeout: got "5s", expected milliseconds above 0/],
    [['check', join(examples, 'deployment.yaml'), '--config', write('workers1.json', '{ "workers": {} }')], /workers: got an object, expected an array of \{ "timeout": ms \(default drainTimeout\), "http": boolean \(default false\) \}/],
    [['check', join(examples, 'deployment.yaml'), '--config', write('workers2.json', '{ "workers": [{}, { "http": 1 }] }')], /workers\[1\]\.http: got 1, expected true/],
    [['check', join(examples, 'deployment.yaml'), '--config', write('workers3.json', '{ "workers": [5] }')], /workers\[0\]: got 5, expected \{ "timeout"/],
    [['check', join(examples, 'deployment.yaml'), '--config', write('workers4.json', '{ "workers": [{ "htpp": true }] }')], /workers\[0\]: got an unknown key "htpp", expected one of the known options: timeout, http \(did you mean "http"\?\)/],
    [['check'], /^error FST_ZD_CLI_USAGE: check: no file given: expected one or more Deployment manifests \(YAML\)\n\nUsage:\n {2}fastify-zero-downtime check/],
    [['lint', 'x.yaml'], /^error FST_ZD_CLI_USAGE: unknown command "lint": expected one of the known commands: check, lint-migrations, --help, --version \(did you mean "lint-migrations"\?\)\n\nUsage/],
    [['check', 'x.yaml', '--config'], /^error FST_ZD_CLI_USAGE: --config needs a value: expected --config <value>\n\nUsage/],
    [['check', 'x.yaml', '--format', 'json'], /^error FST_ZD_CLI_USAGE: unknown option --format for check: expected one of the known options: --config, --propagation\n\nUsage/],
    [[], /^error FST_ZD_CLI_USAGE: no command given: expected one of the known commands: check, lint-migrations, --help, --version\n\nUsage/]
  ]
  for (const [args, message] of cases) {
    const result = await runCli(...args)
    t.equal(result.code, 2, args.join(' '))
    t.match(result.err.join('\n'), message, args.join(' '))
  }
  t.match(await runCli('--help'), { code: 0, out: [/^Usage/] })
  t.same((await runCli('check', join(examples, 'deployment.yaml'))).code, 0, 'default options')
  t.same((await runCli('check', join(examples, 'deployment.yaml'), '--config', write('null.json', 'null'))).code, 0, 'a null config is the defaults')
})

t.test('npx fastify-zero-downtime check: the real command, exit codes', async (t) => {
  const cli = join(__dirname, '..', 'lib', 'main.ts')
  const child = spawn(process.execPath, [...process.execArgv, cli, 'check', join(examples, 'deployment.yaml'), '--config', join(examples, 'options.json')], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (chunk) => { out += chunk })
  const [code] = await once(child, 'exit')
  t.equal(code, 0)
  t.equal(out, 'no problems found\n')
})

t.test('the cluster\'s endpoint propagation: shutdownDelay (with any preStop sleep) must cover it', async (t) => {
  t.same(rules(deployment(), readConfig(options, 4500)), ['propagation'], 'shutdownDelay 5 s < 4.5 s of propagation + 1 s')
  t.same(rules(deployment(), readConfig(options, 4000)), [], '4 s + 1 s is covered')
  const withSleep = deployment()
  container(withSleep).lifecycle = { preStop: { sleep: { seconds: 2 } } }
  t.same(rules(withSleep, readConfig(options, 6000)), [], 'a preStop sleep counts: 2 s + 5 s')
  t.match(checkDeployment(withSleep, readConfig(options, 6500)), [{ rule: 'propagation', fix: /raise shutdownDelay to 5500 ms or more/ }], 'the fix subtracts the preStop sleep')
  t.same(rules(deployment(), readConfig({ ...options, shutdownDelay: 1000 })), ['propagation'], 'the default propagation is 2 s')
  const file = write('p.yaml', readFileSync(join(examples, 'deployment.yaml'), 'utf8'))
  const slow = await runCli('check', file, '--config', join(examples, 'options.json'), '--propagation', '10')
  t.equal(slow.code, 1)
  t.match(slow.out.join('\n'), /propagation: the pod keeps serving 5000 ms after deletion .* less than the cluster's endpoint propagation of 10000 ms plus 1000 ms.* Fix: raise shutdownDelay to 11000 ms or more/)
  t.match(await runCli('check', file, '--propagation=soon'), { code: 2, err: [/^error FST_ZD_CLI_USAGE: --propagation soon: expected seconds, 0 or more/] })
})

t.test('workers count in the budget: an HTTP-borne stop after the delay, a consumer from the signal', async (t) => {
  const base = { ...options, gracePeriod: 30000, shutdownDelay: 5000, drainTimeout: 10000 }
  const grace = (json: unknown): string[] => checkDeployment(deployment(), readConfig(json)).filter((p) => p.rule === 'grace-period').map((p) => p.message)
  t.same(grace({ ...base, workers: [{}, { http: true }] }), [], 'default timeouts (drainTimeout) fit as before')
  t.match(grace({ ...base, workers: [{ timeout: 24000, http: true }] }), [/may take 35250 ms: shutdownDelay 5000 \+ longest HTTP worker stop 24250 \(above drainTimeout 10000\)/])
  t.match(grace({ ...base, workers: [{ timeout: 29000 }] }), [/may take 35250 ms: longest consumer worker stop 29250 \(above shutdownDelay 5000 \+ drainTimeout 10000\) \+ 1 resource timeout\(s\) 5000/])
  t.same(readConfig({ ...base, workers: [{}] }).workers, [{ timeout: 10000, http: false }])
})
