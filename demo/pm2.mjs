// `pm2 reload` of a cluster under load: PM2 itself is the balancer (Node's cluster module hands each
// new connection to a worker). PM2 runs with its own PM2_HOME in a temporary folder and is killed
// at the end. The settings are PM2's documented graceful ones: wait_ready, listen_timeout, kill_timeout.
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startLoad } from './load.mjs'
import { freePorts } from './ports.mjs'
import { summarize, until } from './harness.mjs'

const ROLLING_APP = fileURLToPath(new URL('../examples/rolling/app.mjs', import.meta.url))
const PM2 = fileURLToPath(new URL('../node_modules/pm2/bin/pm2', import.meta.url))

export function pm2Ecosystem ({ port, version, shutdownDelay, instances, killTimeout = 20000, listenTimeout = 10000 }) {
  return {
    apps: [{
      name: 'zd-demo',
      script: ROLLING_APP,
      exec_mode: 'cluster',
      instances,
      wait_ready: true,
      listen_timeout: listenTimeout,
      kill_timeout: killTimeout,
      env: { PORT: String(port), VERSION: version, SHUTDOWN_DELAY: String(shutdownDelay), LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' }
    }]
  }
}

/**
 * Starts `instances` workers, puts them under load, reloads them `reloads` times (v1 -> v2 -> ...),
 * and reports every request's fate and how long each reload took.
 */
export async function pm2Reload ({ instances = 3, reloads = 2, shutdownDelay = 1500, listenTimeout = 10000, killTimeout = 20000, onProgress = () => {} } = {}) {
  const home = mkdtempSync(join(tmpdir(), 'zd-pm2-'))
  const env = { ...process.env, PM2_HOME: home }
  const pm2 = (...args) => new Promise((resolve, reject) => {
    execFile(process.execPath, [PM2, ...args], { env }, (err, stdout, stderr) => err ? reject(new Error(`pm2 ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout))
  })
  const [port] = await freePorts(1)
  const ecosystem = join(home, 'ecosystem.config.js')
  const writeEcosystem = (version) => writeFileSync(ecosystem, `module.exports = ${JSON.stringify(pm2Ecosystem({ port, version, shutdownDelay, instances, listenTimeout, killTimeout }))}\n`)
  const ready = async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200
  const reloadMs = []
  try {
    writeEcosystem('v1')
    await pm2('start', ecosystem)
    await until(ready, 'the PM2 cluster to answer')
    onProgress(`PM2 cluster mode: ${instances} workers of v1 up; load started`)
    const load = startLoad(port)
    await until(() => load.results.length >= 200, 'load to warm up')
    for (let i = 1; i <= reloads; i++) {
      const version = i % 2 === 1 ? 'v2' : 'v1'
      writeEcosystem(version)
      const started = performance.now()
      await pm2('reload', ecosystem, '--update-env')
      reloadMs.push(Math.round(performance.now() - started))
      onProgress(`reload ${i}/${reloads} to ${version} took ${reloadMs.at(-1)} ms; ${load.results.length} requests so far`)
    }
    const settled = load.results.length
    await until(() => load.results.length >= settled + 200, 'traffic after the last reload')
    await load.stop()
    const stored = new Map()
    const logs = join(home, 'logs')
    for (const file of readdirSync(logs).filter((f) => f.includes('-out'))) {
      for (const text of readFileSync(join(logs, file), 'utf8').split('\n')) {
        try {
          const line = JSON.parse(text)
          if (line.posted !== undefined) stored.set(line.posted, (stored.get(line.posted) ?? 0) + 1)
        } catch {}
      }
    }
    return { ...summarize({ results: load.results, posted: load.posted, stored, exits: [], killed: 0, balancer: 'PM2 cluster mode', app: 'plugin', launcher: 'pm2', mode: 'cluster', rolls: reloads, instances }), shutdownDelay, reloadMs }
  } finally {
    await pm2('kill').catch(() => {})
    if (process.env.KEEP_PM2_HOME === undefined) rmSync(home, { recursive: true, force: true })
    else onProgress(`PM2_HOME kept: ${home}`)
  }
}
