// npm run demo -- --kube: the rolling update of examples/kubernetes/deployment.yaml on Kubernetes'
// own dataplane, emulated on this machine (Linux, root): pods as network namespaces on a bridge,
// the Service as kube-proxy's iptables rules, the kubelet's probes and signals, the endpoints
// controller's propagation delay and the Deployment controller's roll. See docs/rolling-deploy.md.
//
//   npm run demo -- --kube [--propagation 1] [--rolls 2] [--plain] [--shutdown-delay ms]
//   npm run demo -- --kube --sweep        the propagation delay against the shutdown delay, written to docs/rolling-deploy.md
//   npm run demo -- --kube --cleanup      removes what a crashed run left (namespaces and their processes)
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { parseAllDocuments } from 'yaml'
import { summarize } from '../harness.mjs'
import { startLoad } from '../load.mjs'
import { Cluster, podSpec } from './cluster.mjs'
import { MARK, NODE, cleanup, createNode, createService, preflight } from './network.mjs'

const MANIFEST = new URL('../../examples/kubernetes/deployment.yaml', import.meta.url)
const OPTIONS = new URL('../../examples/kubernetes/options.json', import.meta.url)
const SERVICE = { name: 'web', vip: '10.214.0.10', port: 80 }

export function readManifest (text = readFileSync(MANIFEST, 'utf8')) {
  const docs = parseAllDocuments(text).map((d) => d.toJS())
  return { deployment: docs.find((d) => d?.kind === 'Deployment'), service: docs.find((d) => d?.kind === 'Service') }
}

/** One run, inside the node's namespace: pods of v1, load on the Service's VIP, `rolls` rolling updates. */
export async function kubeRun ({ app = 'plugin', propagation = 1000, rolls = 2, shutdownDelay, onProgress = () => {} }) {
  const { deployment, service } = readManifest()
  const spec = podSpec(deployment)
  const options = JSON.parse(readFileSync(OPTIONS, 'utf8'))
  const delay = shutdownDelay ?? options.shutdownDelay ?? 5000
  const vipPort = service?.spec?.ports?.[0]?.port ?? SERVICE.port
  const proxy = createService({ ...SERVICE, port: vipPort })
  proxy.apply([])
  const cluster = new Cluster({ spec, propagation, onEndpoints: (endpoints) => proxy.apply(endpoints), env: { PLAIN: app === 'plain' ? '1' : '', SHUTDOWN_DELAY: String(delay), LOG_LEVEL: 'error' } })
  const started = performance.now()
  try {
    for (let i = 0; i < spec.replicas; i++) cluster.createPod('v1')
    await until(() => cluster.pods.filter((p) => p.ready).length === spec.replicas, 60000)
    // Let the endpoints reach kube-proxy before the load starts.
    await new Promise((resolve) => setTimeout(resolve, propagation + 100))
    onProgress(`${spec.replicas} pods of v1 ready behind ${SERVICE.vip}:${vipPort}; load started`)
    const load = startLoad(vipPort, { host: SERVICE.vip })
    await until(() => load.results.length >= 200, 30000)
    const deletions = []
    for (let roll = 1; roll <= rolls; roll++) {
      const version = roll % 2 === 1 ? 'v2' : 'v1'
      deletions.push(...await cluster.roll(version))
      onProgress(`roll ${roll}/${rolls} to ${version} done; ${load.results.length} requests so far`)
    }
    const exits = await Promise.all(deletions)
    const settled = load.results.length
    // Traffic after the roll; clients stuck on a pod that is gone (the plain app's) are counted as failed by stop().
    await until(() => load.results.length >= settled + 200, 30000).catch(() => {})
    await load.stop()
    const killed = cluster.pods.filter((p) => p.killed === true).length
    const summary = summarize({ results: load.results, posted: load.posted, stored: new Map(), exits, killed, balancer: `kube-proxy iptables, propagation ${propagation} ms`, app, mode: 'kube', rolls, instances: spec.replicas })
    return Object.defineProperty({ ...summary, propagation, shutdownDelay: app === 'plugin' ? delay : undefined, seconds: (performance.now() - started) / 1000 }, 'timeline', {
      value: { instances: cluster.pods.map((p) => ({ slot: p.index, version: p.version, events: p.events })), requests: load.results }
    })
  } finally {
    await Promise.all(cluster.pods.filter((p) => p.gone !== true).map(async (p) => { p.child.kill('SIGKILL'); await p.exited }))
  }
}

async function until (predicate, ms) {
  const deadline = performance.now() + ms
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** From the host: make the node, run `args` inside it, remove everything after, on Ctrl-C too. */
export async function runInsideNode (script, args) {
  const problem = preflight()
  if (problem !== undefined) throw new Error(`--kube ${problem}`)
  createNode()
  const child = spawn('ip', ['netns', 'exec', NODE, process.execPath, script, ...args], { stdio: 'inherit', env: { ...process.env, [MARK]: '1' } })
  const stop = () => { child.kill('SIGTERM') }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  try {
    const [code] = await once(child, 'exit')
    return code ?? 1
  } finally {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
    cleanup()
  }
}

export { cleanup }
