// The --kube demo's entry, inside the node's namespace (demo/run.mjs starts it there): runs the
// plugin and the plain app through the same rolling update, or the propagation sweep, prints the
// table, and with --sweep writes it into docs/rolling-deploy.md.
import { demoOutput } from '../output.mjs'
import { kubeRun, readManifest } from './run.mjs'
import { podSpec } from './cluster.mjs'
import { killMarked } from './network.mjs'

// Stopped from outside (Ctrl-C reaches the driver as SIGTERM): the pods go with it.
for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => { killMarked(); process.exit(130) })
const args = process.argv.slice(2)
const value = (flag, fallback) => { const i = args.indexOf(flag); return i === -1 ? fallback : Number(args[i + 1]) }
const propagation = value('--propagation', 1) * 1000
const rolls = value('--rolls', 2)
const progress = (line) => process.stderr.write(`  ${line}\n`)

const row = (r) => [r.app === 'plugin' ? `fastify-zero-downtime, shutdownDelay ${r.shutdownDelay} ms` : 'plain close() on SIGTERM', `${r.propagation / 1000} s`, r.requests, r.failed, Object.entries(r.byReason).map(([k, v]) => `${k}: ${v}`).join(', ') || '-', r.killed]
const HEADER = ['app', 'propagation', 'requests', 'failed', 'failures by reason', 'SIGKILLs']
const table = (rows) => [`| ${HEADER.join(' | ')} |`, `| ${HEADER.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${row(r).join(' | ')} |`)].join('\n')

const runs = []
const run = async (options) => {
  process.stderr.write(`\n${options.app}, propagation ${options.propagation} ms${options.shutdownDelay === undefined ? '' : `, shutdownDelay ${options.shutdownDelay} ms`}\n`)
  const result = await kubeRun({ rolls, onProgress: progress, ...options })
  runs.push(result)
  process.stderr.write(`  ${result.requests} requests, ${result.failed} failed ${JSON.stringify(result.byReason)}\n`)
  return result
}

if (args.includes('--sweep')) {
  for (const p of [500, 1000, 2000, 4000]) {
    for (const shutdownDelay of [1000, 3000]) await run({ app: 'plugin', propagation: p, shutdownDelay })
    await run({ app: 'plain', propagation: p })
  }
} else {
  await run({ app: 'plugin', propagation, shutdownDelay: args.includes('--shutdown-delay') ? value('--shutdown-delay') : undefined })
  if (!args.includes('--plugin-only')) await run({ app: 'plain', propagation })
}
process.stdout.write(`\n${table(runs)}\n`)
process.stdout.write(`RESULTS ${JSON.stringify(runs.map(({ app, propagation, shutdownDelay, requests, failed, byReason, killed }) => ({ app, propagation, shutdownDelay, requests, failed, byReason, killed })))}\n`)

if (args.includes('--sweep')) {
  const spec = podSpec(readManifest().deployment)
  const output = demoOutput(args)
  const text = output.readDoc('rolling-deploy.md') ?? '# Rolling deploys under load: measured\n'
  const section = `<!-- kube:begin (written by npm run demo -- --kube --sweep --write-docs; do not edit by hand) -->
## On Kubernetes' dataplane: the endpoint propagation delay against the shutdown delay

Written on ${new Date().toISOString().slice(0, 10)} by \`npm run demo -- --kube --sweep --write-docs\` (demo/kube/) on Node.js ${process.version}. Each run rolls
examples/kubernetes/deployment.yaml (${spec.replicas} replicas, maxSurge ${spec.maxSurge}, maxUnavailable ${spec.maxUnavailable},
its probes, terminationGracePeriodSeconds ${spec.grace / 1000}) ${rolls === 1 ? 'once' : `${rolls} times`} under load through a Service VIP
that kube-proxy's iptables rules (KUBE-SERVICES, KUBE-SVC-*, KUBE-SEP-* with \`statistic --mode random\`)
implement, pods being network namespaces on a bridge. A deleted pod leaves the endpoints only after
the propagation delay, while the kubelet sends SIGTERM at once: the plugin must keep serving for at
least that long. No client retries.

${table(runs)}

Where a row of the plugin fails, the propagation delay reaches \`shutdownDelay\` (connections opened
as the endpoint leaves still arrive a moment later): keep \`shutdownDelay\` at least a second above
your cluster's propagation (the default, 5 s, covers up to 4 s), and tell \`fastify-zero-downtime
check --propagation <seconds>\` that delay so that it verifies it.
<!-- kube:end -->`
  const replaced = text.includes('<!-- kube:begin') ? text.replace(/<!-- kube:begin[\s\S]*<!-- kube:end -->/, section) : `${text.trimEnd()}\n\n${section}\n`
  output.write('rolling-deploy.md', replaced)
  output.report()
}
const pluginFailed = runs.filter((r) => r.app === 'plugin' && (r.shutdownDelay ?? 0) > r.propagation).some((r) => r.failed > 0 || r.killed > 0)
process.exitCode = pluginFailed ? 1 : 0
