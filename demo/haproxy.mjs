// HAProxy as the balancer, as kube-proxy or an ingress would be: active health checks on /readyz,
// `retries 0` so that it hides none of our failures. Controlled through its stats socket.
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export function haproxyAvailable () {
  return spawnSync('haproxy', ['-v'], { stdio: 'ignore' }).status === 0
}

export function haproxyConfig ({ mode, frontPort, slots, socket, inter, fall }) {
  const http = mode === 'http'
  return `global
  maxconn 4000
  stats socket ${socket} mode 600 level admin

defaults
  mode ${mode}
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  retries 0
${http ? '  option http-keep-alive\n  http-reuse safe\n  timeout http-keep-alive 30s\n' : ''}
frontend fe
  bind 127.0.0.1:${frontPort}
  default_backend app

backend app
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  default-server check inter ${inter} fall ${fall} rise 1
${slots.map((port, i) => `  server s${i} 127.0.0.1:${port}`).join('\n')}
`
}

export async function startHaproxy (options) {
  const dir = mkdtempSync(join(tmpdir(), 'zd-haproxy-'))
  const socket = join(dir, 'admin.sock')
  const file = join(dir, 'haproxy.cfg')
  writeFileSync(file, haproxyConfig({ ...options, socket }))
  const child = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk) => { stderr += chunk })
  const started = Date.now()
  while (!(await statusOf(socket).then(() => true, () => false))) {
    if (child.exitCode !== null || Date.now() - started > 10000) throw new Error(`haproxy did not start: ${stderr}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    label: `HAProxy ${options.mode.toUpperCase()} mode`,
    /** Server states by slot index: 'UP', 'DOWN', ... */
    status: async () => await statusOf(socket),
    stop: async () => {
      child.kill('SIGTERM')
      if (child.exitCode === null) await once(child, 'exit')
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

async function statusOf (socket) {
  const csv = await new Promise((resolve, reject) => {
    const connection = connect(socket, () => connection.end('show stat\n'))
    let out = ''
    connection.on('data', (chunk) => { out += chunk }).on('end', () => resolve(out)).on('error', reject)
  })
  const states = []
  for (const line of csv.split('\n')) {
    const [proxy, server, ...rest] = line.split(',')
    const match = /^s(\d+)$/.exec(server ?? '')
    if (proxy === 'app' && match !== null) states[Number(match[1])] = rest[15].split(' ')[0]
  }
  return states
}
