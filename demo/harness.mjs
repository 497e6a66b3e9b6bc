// The rolling deploy, as a Kubernetes Deployment with maxSurge: 1, maxUnavailable: 0 does it:
// start a new instance, wait until the balancer sees it ready, SIGTERM an old one, wait for it to
// exit (SIGKILL after the grace period, counted), and so on, under load the whole time.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { startBuiltinBalancer } from './balancer.mjs'
import { haproxyAvailable, startHaproxy } from './haproxy.mjs'
import { startLoad } from './load.mjs'
import { freePorts } from './ports.mjs'

const ROLLING_APP = fileURLToPath(new URL('../examples/rolling/app.mjs', import.meta.url))
const CLI_APP = fileURLToPath(new URL('../examples/fastify-cli/app.js', import.meta.url))
const FASTIFY_CLI = fileURLToPath(new URL('../node_modules/fastify-cli/cli.js', import.meta.url))

// How an instance is started: `node app` (the rolling example), or `fastify start` as the scaffold's
// `npm start` does (the scaffold app), with a close grace delay (-g) that fits the shutdown.
function command ({ launcher, app, port, closeGraceDelay }) {
  if (launcher === 'node') return [app]
  return [FASTIFY_CLI, 'start', '-g', String(closeGraceDelay), '-a', '127.0.0.1', '-p', String(port), app]
}

export async function until (predicate, what, limitMs = 20000) {
  const started = Date.now()
  while (!(await predicate())) {
    if (Date.now() - started > limitMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

function startInstance ({ launcher, closeGraceDelay, app, env, port, version, plain, shutdownDelay, stored, events }) {
  const child = spawn(process.execPath, command({ launcher, app, port, closeGraceDelay }), {
    env: { ...process.env, ...env, PORT: String(port), VERSION: version, PLAIN: plain ? '1' : '', SHUTDOWN_DELAY: String(shutdownDelay) },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  createInterface({ input: child.stdout }).on('line', (text) => {
    try {
      const line = JSON.parse(text)
      if (line.posted !== undefined) stored.set(line.posted, (stored.get(line.posted) ?? 0) + 1)
      if (line.state !== undefined) events.push({ at: performance.now(), state: line.state })
    } catch {}
  })
  const exited = once(child, 'exit').then(([code, signal]) => { events.push({ at: performance.now(), state: 'exited' }); return { code, signal } })
  return { child, port, version, exited, events }
}

const percentile = (sorted, p) => sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]

/**
 * Rolls `instances` instances `rolls` times under load behind the balancer, and reports every
 * request's fate. `app`: 'plugin' (examples/rolling with fastify-zero-downtime) or 'plain'.
 * Or, with `releases`, rolls through those versions of `appPath` in order (one roll each), calling
 * each release's `before` (a migration) before its roll and `after` once it is rolled out.
 */
export async function rollingDeploy ({ app = 'plugin', launcher = 'node', closeGraceDelay = 10000, appPath = launcher === 'fastify-cli' ? CLI_APP : ROLLING_APP, env = {}, initialVersion = 'v1', releases, mode = 'tcp', balancer = 'auto', instances = 3, rolls = 1, gracePeriod = 10000, inter = 250, fall = 2, shutdownDelay = 1500, onProgress = () => {} } = {}) {
  const useHaproxy = balancer === 'haproxy' || (balancer === 'auto' && haproxyAvailable())
  if (!useHaproxy && mode === 'http') throw new Error('HTTP mode needs HAProxy (apt-get install haproxy)')
  const [frontPort, ...slots] = await freePorts(instances + 2)
  const lb = useHaproxy ? await startHaproxy({ mode, frontPort, slots, inter, fall }) : await startBuiltinBalancer({ frontPort, slots, inter, fall })
  const stored = new Map()
  const running = new Array(slots.length).fill(undefined)
  const exits = []
  let killed = 0
  const plain = app === 'plain'
  // For the timeline (demo/timeline.mjs): each instance's events, on this process's clock.
  const timeline = []

  const launch = async (slot, version) => {
    const events = [{ at: performance.now(), state: 'starting' }]
    timeline.push({ slot, version, events })
    running[slot] = startInstance({ launcher, closeGraceDelay, app: appPath, env, port: slots[slot], version, plain, shutdownDelay, stored, events })
    await until(async () => (await lb.status())[slot] === 'UP', `${version} on slot ${slot} to be up`)
    events.push({ at: performance.now(), state: 'in rotation' })
  }
  const retire = async (slot) => {
    const instance = running[slot]
    running[slot] = undefined
    instance.events.push({ at: performance.now(), state: 'SIGTERM' })
    instance.child.kill('SIGTERM')
    const timer = setTimeout(() => { killed++; instance.child.kill('SIGKILL') }, gracePeriod)
    exits.push(await instance.exited)
    clearTimeout(timer)
  }

  try {
    await Promise.all(Array.from({ length: instances }, async (_, slot) => await launch(slot, initialVersion)))
    onProgress(`${lb.label}: ${instances} instances of ${initialVersion} up; load started`)
    const load = startLoad(frontPort)
    await until(() => load.results.length >= 200, 'load to warm up')
    const plan = releases ?? Array.from({ length: rolls }, (_, i) => ({ version: i % 2 === 0 ? 'v2' : 'v1' }))
    rolls = plan.length
    for (const [index, release] of plan.entries()) {
      const roll = index + 1
      const { version } = release
      if (release.before !== undefined) { await release.before(); onProgress(`${version}: before-roll step done`) }
      for (const old of running.map((instance, slot) => instance === undefined ? -1 : slot).filter((slot) => slot >= 0)) {
        const free = running.findIndex((instance) => instance === undefined)
        await launch(free, version)
        await retire(old)
        onProgress(`roll ${roll}/${rolls}: slot ${old} replaced by ${version} on slot ${free}; ${load.results.length} requests so far`)
      }
      if (release.after !== undefined) { await release.after(); onProgress(`${version}: after-roll step done`) }
    }
    const settled = load.results.length
    await until(() => load.results.length >= settled + 200, 'traffic after the last roll')
    await load.stop()
    const summary = summarize({ results: load.results, posted: load.posted, stored, exits, killed, balancer: lb.label, app, launcher, mode, rolls, instances })
    // What demo/timeline.mjs draws; not enumerable, so that logging the summary stays short.
    return Object.defineProperty(summary, 'timeline', { value: { instances: timeline, requests: load.results } })
  } finally {
    for (const slot of running.keys()) if (running[slot] !== undefined) await retire(slot)
    await lb.stop()
  }
}

export function summarize ({ results, posted, stored, exits, killed, ...run }) {
  const failed = results.filter((r) => r.error !== undefined || r.status < 200 || r.status > 299)
  const byReason = {}
  const byKind = {}
  for (const r of failed) {
    const reason = r.error ?? `HTTP ${r.status}`
    byReason[reason] = (byReason[reason] ?? 0) + 1
    byKind[r.kind] = (byKind[r.kind] ?? 0) + 1
  }
  const byVersion = {}
  for (const r of results) if (r.version !== undefined) byVersion[r.version] = (byVersion[r.version] ?? 0) + 1
  const latencies = results.filter((r) => r.kind !== 'slow').map((r) => r.ms).sort((a, b) => a - b)
  const acknowledged = posted.filter((p) => p.ok && p.echoed)
  return {
    ...run,
    requests: results.length,
    failed: failed.length,
    byReason,
    byKind,
    byVersion,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    posts: posted.length,
    postsLost: posted.length - acknowledged.length,
    postsDuplicated: [...stored.values()].filter((count) => count > 1).length,
    postsUnstored: acknowledged.filter((p) => !stored.has(p.id)).length,
    exitCodes: exits.map((e) => e.code ?? e.signal),
    killed
  }
}
