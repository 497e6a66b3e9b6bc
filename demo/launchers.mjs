// npm run demo:launchers: the same service started the ways Fastify apps are started, each rolled or
// reloaded under load, and docs/launchers.md written from what was measured. Exit code 1 if a run
// that should drop nothing dropped something.
import { spawnSync } from 'node:child_process'
import os from 'node:os'
import { haproxyAvailable } from './haproxy.mjs'
import { demoOutput } from './output.mjs'
import { rollingDeploy } from './harness.mjs'
import { pm2Reload } from './pm2.mjs'

const progress = (line) => process.stderr.write(`  ${line}\n`)
if (!haproxyAvailable()) {
  process.stderr.write('HAProxy is needed (apt-get install haproxy)\n')
  process.exit(2)
}
const haproxyVersion = spawnSync('haproxy', ['-v'], { encoding: 'utf8' }).stdout.split('\n')[0].replace(/ - https.*$/, '')
const pm2Version = JSON.parse(spawnSync(process.execPath, ['-p', 'JSON.stringify(require("pm2/package.json"))'], { encoding: 'utf8' }).stdout).version
const cliVersion = JSON.parse(spawnSync(process.execPath, ['-p', 'JSON.stringify(require("fastify-cli/package.json"))'], { encoding: 'utf8' }).stdout).version

const runs = [
  { label: '`node app.mjs`', how: 'HAProxy TCP, 2 rolls of 3', expectZero: true, run: () => rollingDeploy({ launcher: 'node', mode: 'tcp', rolls: 2, balancer: 'haproxy', onProgress: progress }) },
  { label: `\`fastify start -g 10000\` (fastify-cli ${cliVersion}, the scaffold app)`, how: 'HAProxy TCP, 2 rolls of 3', expectZero: true, run: () => rollingDeploy({ launcher: 'fastify-cli', closeGraceDelay: 10000, mode: 'tcp', rolls: 2, balancer: 'haproxy', onProgress: progress }) },
  { label: `\`fastify start -g 10000\` (fastify-cli ${cliVersion}, the scaffold app)`, how: 'HAProxy HTTP, 2 rolls of 3', expectZero: true, run: () => rollingDeploy({ launcher: 'fastify-cli', closeGraceDelay: 10000, mode: 'http', rolls: 2, balancer: 'haproxy', onProgress: progress }) },
  { label: `PM2 ${pm2Version} cluster mode, \`shutdownDelay: 1500\``, how: '`pm2 reload` of 3 workers, twice', expectZero: true, run: () => pm2Reload({ reloads: 2, shutdownDelay: 1500, onProgress: progress }) },
  { label: `PM2 ${pm2Version} cluster mode, \`shutdownDelay: 0\``, how: '`pm2 reload` of 3 workers, twice', expectZero: false, run: () => pm2Reload({ reloads: 2, shutdownDelay: 0, onProgress: progress }) }
]

const rows = []
let unexpected = false
for (const { label, how, expectZero, run } of runs) {
  process.stderr.write(`\n${label}: ${how}\n`)
  const r = await run()
  if (expectZero && (r.failed > 0 || r.postsLost > 0)) unexpected = true
  const reasons = Object.entries(r.byReason).map(([k, v]) => `${k}: ${v}`).join(', ') || '-'
  const timing = r.reloadMs === undefined ? '-' : r.reloadMs.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ')
  rows.push(`| ${label} | ${how} | ${r.requests} | ${r.failed} | ${reasons} | ${r.postsLost} | ${timing} |`)
}

const output = demoOutput()
output.write('launchers.md', `# Launchers: how to start a Fastify app so that deploys drop nothing

The figures below are written by \`npm run demo:launchers -- --write-docs\` (demo/launchers.mjs) on ${new Date().toISOString().slice(0, 10)}; do not
edit them by hand. Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}; Node.js ${process.version}; ${haproxyVersion}.
Each run puts the mixed load of the demo on the service (keep-alive, connection-per-request, slow,
POST and quiet keep-alive clients, no retries) while it is rolled (a new instance up and ready
behind the balancer, then SIGTERM to an old one) or reloaded.

| started with | rolled how | requests | failed | failures by reason | POSTs lost | reload times |
| --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

Whatever starts the process, the plugin's shutdown runs inside \`fastify.close()\`, so it is the same
sequence whether the plugin's own signal handler, the launcher or your code calls \`close()\`. At
startup the plugin warns (code \`FST_ZD_LAUNCHER_TIMEOUT\`) when the launcher would kill the process
before the shutdown budget is spent, naming the setting and the value to use.

## node

\`node server.js\` directly, the plugin handling SIGTERM and SIGINT (\`signals\`, default). Nothing else
to set. Send signals to the node process itself.

Not \`npm start\` as the process that receives the signal: npm exits on SIGTERM without waiting for
its child, and the server keeps running as an orphan with its port bound (or is killed outright
when a container's PID 1 exits). In a Dockerfile use the exec form, \`CMD ["node", "server.js"]\`,
never \`CMD npm start\` or a shell form, which also put something other than node as PID 1.

## fastify-cli (\`fastify start\`, the \`npm init fastify\` scaffold)

Register the plugin as one more file in \`plugins/\` (see examples/fastify-cli), and start with a
close grace delay at least the shutdown budget the plugin logs at startup:

\`\`\`sh
fastify start -g 20000 -l info app.js     # or FASTIFY_CLOSE_GRACE_DELAY=20000
\`\`\`

fastify-cli installs its own close-with-grace that calls \`fastify.close()\` on SIGTERM and exits 1 when
its delay (default 500 ms) runs out. The plugin runs its sequence inside that \`close()\`, before
Fastify closes its router, so neither \`-o\` nor \`return503OnClosing: false\` is needed. With the
default 500 ms the shutdown would be cut: the plugin says so at startup, on stderr if fastify-cli's
default log level (\`fatal\`) would drop the warning. The plugin reads the value with fastify-cli's own
argument parser from the process's command line (\`/proc/self/cmdline\`; where that cannot be read it
says it cannot tell). Both handlers run on a signal and exit with the same code: \`close()\` rejects
when the shutdown was not clean.

## PM2

\`\`\`js
// ecosystem.config.js
module.exports = {
  apps: [{
    name: 'api',
    script: 'server.js',
    exec_mode: 'cluster',   // or 'fork' behind your own balancer
    instances: 3,
    wait_ready: true,       // the plugin sends 'ready' once the instance is ready and listening
    listen_timeout: 10000,  // only a backstop now
    kill_timeout: 20000     // at least the shutdown budget the plugin logs
  }]
}
\`\`\`

PM2 stops a process with SIGINT (the plugin's default \`signals\` include it; it warns if you left it
out), then SIGKILL after \`kill_timeout\` (default 1600 ms: the plugin warns when that is shorter than
its budget). With \`wait_ready\`, PM2 waits for the new worker's \`ready\` message before stopping the
old one; the plugin sends it once every instance in the process is ready and listening, so a reload
of three workers takes seconds (above) instead of \`listen_timeout\` per worker.

**Does the shutdown delay still serve a purpose in cluster mode?** PM2's primary process is the
balancer, and it stops handing new connections to a worker the moment the worker's listener closes.
So in a cluster worker the plugin closes its listener as soon as draining begins (not after the
delay): no new connection reaches a stopping worker. The delay still serves the connections already
open: every response in it says \`Connection: close\`, so keep-alive clients move to another worker
after their next request instead of having an idle connection closed under them. The last two rows
above measure it: with \`shutdownDelay: 0\` keep-alive clients race the closing of their idle
connections; with a delay longer than the clients' idle intervals, nothing fails. Keep a delay
longer than your clients' idle time between requests (1 to 2 s is usually enough here; the
readiness-probe arithmetic of Kubernetes does not apply).

Fork mode: each process listens on its own; put a balancer with health checks in front, as with
\`node\`; \`pm2 reload\` alone does not keep the port served while the process is replaced.

## Docker and Compose

\`CMD ["node", "server.js"]\` (exec form, node as PID 1, so it receives SIGTERM). \`docker stop\` waits
10 s before SIGKILL: set \`stop_grace_period\` (Compose) or \`docker stop -t\` to at least the budget, and
\`gracePeriod\` to match. Compose has no readiness-aware balancer of its own: put one (HAProxy, Traefik,
nginx with checks) in front and point its checks at \`/readyz\`. Not measured here (no Docker engine on
this machine): the process sees what the \`node\` row above sees.

## systemd

\`\`\`ini
[Service]
ExecStart=/usr/bin/node /srv/api/server.js
KillSignal=SIGTERM
KillMode=mixed          # SIGTERM to node only; SIGKILL to the whole group after the timeout
TimeoutStopSec=30       # at least the shutdown budget; gracePeriod: 30000
\`\`\`

Not measured here (no systemd as PID 1 on this machine); the process sees what the \`node\` row sees.

## Kubernetes

Start \`node\` directly (the image's \`CMD\`), readiness probe on \`/readyz\`, liveness on \`/livez\`,
\`terminationGracePeriodSeconds\` × 1000 = \`gracePeriod\`, and \`shutdownDelay\` at least the time the
endpoint removal takes to reach every kube-proxy and ingress. See [kubernetes.md](kubernetes.md) and
the \`check\` CLI that verifies the budget; the \`node\` row above is the measured figure for the
process side.
`)
output.report()
process.exitCode = unexpected ? 1 : 0
