// A one-node cluster's control loops, each with Kubernetes' semantics, for one Deployment and its
// Service: the kubelet (probes, SIGTERM, SIGKILL at the grace period), the endpoints controller
// (ready and not terminating, visible to kube-proxy only after the propagation delay) and the
// Deployment controller's rolling update (maxSurge, maxUnavailable).
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { request } from 'node:http'
import { MARK, createPodNetwork, deletePodNetwork } from './network.mjs'

const APP = new URL('../../examples/rolling/app.mjs', import.meta.url).pathname

/** A percentage of replicas, rounded up (maxSurge) or down (maxUnavailable), or a number. */
export function scaled (value, replicas, round) {
  if (typeof value === 'number') return value
  return round(replicas * Number.parseFloat(value) / 100)
}

/** What the demo reads from the Deployment (kubelet defaults where the manifest is silent). */
export function podSpec (deployment) {
  const spec = deployment.spec
  const container = spec.template.spec.containers[0]
  const ports = Object.fromEntries((container.ports ?? []).map((p) => [p.name, p.containerPort]))
  const probe = (p) => p === undefined
    ? undefined
    : {
        path: p.httpGet.path ?? '/',
        port: typeof p.httpGet.port === 'number' ? p.httpGet.port : ports[p.httpGet.port],
        initialDelay: (p.initialDelaySeconds ?? 0) * 1000,
        period: (p.periodSeconds ?? 10) * 1000,
        timeout: (p.timeoutSeconds ?? 1) * 1000,
        successThreshold: p.successThreshold ?? 1,
        failureThreshold: p.failureThreshold ?? 3
      }
  const replicas = spec.replicas ?? 1
  const rolling = spec.strategy?.rollingUpdate ?? {}
  const preStop = container.lifecycle?.preStop
  return {
    replicas,
    maxSurge: scaled(rolling.maxSurge ?? '25%', replicas, Math.ceil),
    maxUnavailable: scaled(rolling.maxUnavailable ?? '25%', replicas, Math.floor),
    port: ports.http ?? container.ports?.[0]?.containerPort ?? 80,
    grace: (spec.template.spec.terminationGracePeriodSeconds ?? 30) * 1000,
    preStopSleep: (preStop?.sleep?.seconds ?? 0) * 1000,
    startup: probe(container.startupProbe),
    readiness: probe(container.readinessProbe),
    liveness: probe(container.livenessProbe)
  }
}

/** One HTTP probe, as the kubelet makes it: success is a status from 200 to 399 within the timeout. */
function httpProbe (address, { port, path, timeout }) {
  return new Promise((resolve) => {
    const req = request({ host: address, port, path, timeout, agent: false, headers: { 'user-agent': 'kube-probe/1.31' } }, (res) => {
      res.resume()
      resolve(res.statusCode >= 200 && res.statusCode < 400)
    })
    req.on('timeout', () => { req.destroy(); resolve(false) })
    req.on('error', () => resolve(false))
    req.end()
  })
}

export class Cluster {
  #spec
  #propagation
  #onEndpoints
  #env
  #pods = []
  #next = 0
  #events = []

  constructor ({ spec, propagation, onEndpoints, env }) {
    this.#spec = spec
    this.#propagation = propagation
    this.#onEndpoints = onEndpoints
    this.#env = env
  }

  get pods () { return this.#pods }
  get events () { return this.#events }

  /** A pod: its sandbox, its container, and the kubelet's probe loops. */
  createPod (version) {
    const index = this.#next++
    const { namespace, address } = createPodNetwork(index)
    const pod = { index, version, namespace, address, ready: false, started: this.#spec.startup === undefined, terminating: false, exited: undefined, events: [{ at: performance.now(), state: 'starting' }] }
    pod.child = spawn('ip', ['netns', 'exec', namespace, process.execPath, APP], {
      env: { ...process.env, ...this.#env, [MARK]: '1', HOST: '0.0.0.0', PORT: String(this.#spec.port), VERSION: version },
      stdio: ['ignore', 'pipe', 'inherit']
    })
    pod.child.stdout.resume()
    pod.exited = once(pod.child, 'exit').then(([code, signal]) => {
      pod.events.push({ at: performance.now(), state: 'exited' })
      pod.gone = true
      this.#setReady(pod, false)
      pod.stopProbes?.()
      deletePodNetwork(namespace)
      return { code, signal }
    })
    this.#pods.push(pod)
    pod.stopProbes = this.#probe(pod)
    return pod
  }

  #probe (pod) {
    const timers = new Set()
    let stopped = false
    const loop = (probe, onResult) => {
      if (probe === undefined) return
      let successes = 0
      let failures = 0
      const tick = async () => {
        if (stopped) return
        const ok = await httpProbe(pod.address, probe)
        if (stopped) return
        successes = ok ? successes + 1 : 0
        failures = ok ? 0 : failures + 1
        onResult(successes >= probe.successThreshold ? true : failures >= probe.failureThreshold ? false : undefined)
        timers.add(setTimeout(tick, probe.period))
      }
      timers.add(setTimeout(tick, probe.initialDelay))
    }
    const afterStartup = () => {
      // Without a readiness probe a started container counts as ready.
      if (this.#spec.readiness === undefined) this.#setReady(pod, true)
      loop(this.#spec.readiness, (ready) => { if (ready !== undefined) this.#setReady(pod, ready) })
      loop(this.#spec.liveness, (alive) => { if (alive === false) pod.events.push({ at: performance.now(), state: 'liveness failed' }) })
    }
    if (this.#spec.startup === undefined) afterStartup()
    else {
      let done = false
      loop(this.#spec.startup, (ok) => { if (ok === true && !done) { done = true; pod.started = true; afterStartup() } })
    }
    return () => { stopped = true; for (const timer of timers) clearTimeout(timer) }
  }

  #setReady (pod, ready) {
    if (pod.ready === ready) return
    pod.ready = ready
    if (ready) pod.events.push({ at: performance.now(), state: 'in rotation' })
    this.#endpointsChanged()
  }

  /** The endpoints: pods ready and not terminating; kube-proxy sees them after the propagation delay. */
  #endpointsChanged () {
    const endpoints = this.#pods.filter((p) => p.ready && !p.terminating && p.gone !== true).map((p) => `${p.address}:${this.#spec.port}`)
    setTimeout(() => this.#onEndpoints(endpoints), this.#propagation).unref()
  }

  /** Deleting a pod: it leaves the endpoints (after propagation) while the kubelet, at the same moment, runs preStop then SIGTERM; SIGKILL at the grace period. */
  async deletePod (pod) {
    pod.terminating = true
    pod.events.push({ at: performance.now(), state: 'SIGTERM' })
    this.#endpointsChanged()
    const killer = setTimeout(() => { pod.killed = true; pod.child.kill('SIGKILL') }, this.#spec.grace)
    if (this.#spec.preStopSleep > 0) await new Promise((resolve) => setTimeout(resolve, this.#spec.preStopSleep))
    pod.child.kill('SIGTERM')
    const exit = await pod.exited
    clearTimeout(killer)
    return exit
  }

  /** The Deployment controller's rolling update to `version`: new pods up to replicas + maxSurge, old ones deleted while the ready count stays at replicas - maxUnavailable or more. */
  async roll (version) {
    const { replicas, maxSurge, maxUnavailable } = this.#spec
    const deletions = []
    for (;;) {
      const live = this.#pods.filter((p) => !p.terminating)
      const old = live.filter((p) => p.version !== version)
      const fresh = live.filter((p) => p.version === version)
      if (old.length === 0 && fresh.length >= replicas && fresh.every((p) => p.ready)) break
      if (live.length < replicas + maxSurge && fresh.length < replicas) { this.createPod(version); continue }
      const ready = live.filter((p) => p.ready).length
      const victim = old.find((p) => !p.ready) ?? (ready - 1 >= replicas - maxUnavailable ? old[0] : undefined)
      if (victim !== undefined) { deletions.push(this.deletePod(victim)); continue }
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
    return deletions
  }
}
