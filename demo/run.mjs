// npm run demo: three instances behind a real balancer, rolled v1 -> v2 under load, first with
// fastify-zero-downtime (TCP and HTTP balancer modes), then the same roll of a plain Fastify app
// that closes on SIGTERM. Exit code 1 if the plugin's runs failed any request.
import { spawnSync } from 'node:child_process'
import os from 'node:os'
import { haproxyAvailable } from './haproxy.mjs'
import { demoOutput } from './output.mjs'
import { rollingDeploy } from './harness.mjs'
import { renderTimeline } from './timeline.mjs'

if (process.argv.includes('--kube')) {
  // The Kubernetes dataplane demo (demo/kube/), run inside the network namespace it creates.
  const { cleanup, runInsideNode } = await import('./kube/run.mjs')
  if (process.argv.includes('--cleanup')) {
    const removed = cleanup()
    process.stdout.write(removed.length === 0 ? 'nothing to clean up\n' : `removed ${removed.join(', ')}\n`)
  } else {
    process.exitCode = await runInsideNode(new URL('./kube/main.mjs', import.meta.url).pathname, process.argv.slice(2).filter((a) => a !== '--kube'))
  }
  process.exit()
}

const rolls = Number(process.env.ROLLS ?? 1)
const progress = (line) => process.stderr.write(`  ${line}\n`)
const haproxy = haproxyAvailable()
if (!haproxy) process.stderr.write('HAProxy is not installed (apt-get install haproxy): using the built-in L4 balancer, TCP mode only.\n')

const runs = []
for (const [app, mode] of [['plugin', 'tcp'], ...(haproxy ? [['plugin', 'http']] : []), ['plain', 'tcp'], ...(haproxy ? [['plain', 'http']] : [])]) {
  process.stderr.write(`\n${app === 'plugin' ? 'fastify-zero-downtime' : 'plain Fastify, close() on SIGTERM'}, ${mode.toUpperCase()} mode, ${rolls} roll(s) of 3 instances\n`)
  runs.push(await rollingDeploy({ app, mode, rolls, onProgress: progress }))
}

const pad = (value, width) => String(value).padEnd(width)
const rows = [['app', 'balancer', 'requests', 'failed', 'failures by reason', 'per version', 'p50 ms', 'p99 ms', 'POSTs lost/dup', 'exit codes', 'SIGKILLs']]
for (const r of runs) {
  rows.push([
    r.app === 'plugin' ? 'fastify-zero-downtime' : 'plain close()',
    r.balancer,
    r.requests,
    r.failed,
    Object.entries(r.byReason).map(([k, v]) => `${k}: ${v}`).join(', ') || '-',
    Object.entries(r.byVersion).map(([k, v]) => `${k}: ${v}`).join(', '),
    r.p50.toFixed(1),
    r.p99.toFixed(1),
    `${r.postsLost}/${r.postsDuplicated}`,
    r.exitCodes.join(' '),
    r.killed
  ])
}
// One timeline per run, written beside rolling-deploy.md.
const output = demoOutput()
const charts = runs.map((r) => {
  const name = `${r.app}-${r.mode}.svg`
  const label = r.app === 'plugin' ? 'fastify-zero-downtime' : 'plain Fastify, close() on SIGTERM'
  output.write(`rolling-deploy/${name}`, renderTimeline(r, `${label}, ${r.balancer}`))
  return `![${label}, ${r.balancer}: ${r.failed} failed of ${r.requests}](rolling-deploy/${name})`
})

const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => String(row[i]).length)))
process.stdout.write('\n' + rows.map((row) => row.map((cell, i) => pad(cell, widths[i])).join('  ')).join('\n') + '\n')

// The Kubernetes section is written by --kube --sweep: kept as it is.
const kubeSection = /<!-- kube:begin[\s\S]*<!-- kube:end -->/.exec(output.readDoc('rolling-deploy.md') ?? '')?.[0]
output.write('rolling-deploy.md', `# Rolling deploys under load: measured

Written by \`npm run demo -- --write-docs\` (demo/run.mjs) on ${new Date().toISOString().slice(0, 10)}; do not edit by hand.

Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB; Node.js ${process.version}; ${haproxy ? spawnSync('haproxy', ['-v'], { encoding: 'utf8' }).stdout.split('\n')[0].replace(/ - https.*$/, '') : 'HAProxy not installed: the built-in balancer'}.
Each run: 3 instances behind the balancer (\`retries 0\`, \`GET /readyz\` checks every 250 ms, down after 2
failures), rolled ${rolls} time(s) the way a Deployment with \`maxSurge: 1, maxUnavailable: 0\` does,
under keep-alive, connection-per-request, slow, POST and quiet keep-alive clients. The plugin runs
with \`shutdownDelay: 1500\` ms; the plain app calls \`fastify.close()\` on SIGTERM.

| ${rows[0].join(' | ')} |
| ${rows[0].map(() => '---').join(' | ')} |
${rows.slice(1).map((row) => `| ${row.join(' | ')} |`).join('\n')}

## Timelines

Requests per 100 ms by the version that answered them (failures in red, on top), and each
instance's lane: starting (grey), in the balancer's rotation (green), draining after SIGTERM
(orange: the plugin keeps serving through \`shutdownDelay\`), closing (purple). The plain app goes
from rotation straight to closing, and its failures line up with each SIGTERM.

${charts.join('\n\n')}
${kubeSection === undefined ? '' : `\n${kubeSection}\n`}`)
output.report()
const pluginFailed = runs.filter((r) => r.app === 'plugin').some((r) => r.failed > 0 || r.postsLost > 0 || r.postsDuplicated > 0 || r.killed > 0)
process.exitCode = pluginFailed ? 1 : 0
