import t from 'tap'
import { spawnSync } from 'node:child_process'
import { exclusively } from './lib/exclusive'

// The promise users adopt the plugin for: rolling deploys behind a real balancer drop nothing.
// Runs the demo's harness (examples/rolling against the built package) in both balancer modes.
t.setTimeout(600000)
// One rolling-deploy test at a time (test/lib/exclusive.ts).
t.before(async () => { await exclusively(t) })

const haproxy = spawnSync('haproxy', ['-v'], { stdio: 'ignore' }).status === 0

for (const mode of ['tcp', 'http'] as const) {
  t.test(`3 rolls of 3 instances behind HAProxy in ${mode.toUpperCase()} mode: zero failed requests, zero lost POSTs`, async (t) => {
    if (!haproxy) {
      if (process.env.ZD_REQUIRE_SERVICES !== undefined) t.fail('haproxy is not installed (apt-get install haproxy)')
      else t.skip('haproxy is not installed (apt-get install haproxy)')
      return
    }
    const { rollingDeploy } = await import('../demo/harness.mjs')
    const result = await rollingDeploy({ app: 'plugin', mode, rolls: 3, balancer: 'haproxy', onProgress: (line: string) => t.comment(line) })
    t.comment(JSON.stringify(result))
    t.ok(result.requests > 1000, `${result.requests} requests`)
    t.equal(result.failed, 0, `failures: ${JSON.stringify(result.byReason)}`)
    t.equal(result.postsLost, 0)
    t.equal(result.postsDuplicated, 0)
    t.equal(result.postsUnstored, 0)
    t.equal(result.killed, 0, 'no instance needed SIGKILL')
    // The demo's picture of this very run: every instance drained in its lane, nothing red.
    const { renderTimeline } = await import('../demo/timeline.mjs')
    const svg: string = renderTimeline(result, `plugin ${mode}`)
    t.equal((svg.match(/class="lane draining"/g) ?? []).length, 12, 'twelve instances retired (the last three at the end), each with its draining segment')
    t.notMatch(svg, /class="failed"/)
    if (spawnSync('rsvg-convert', ['--version'], { stdio: 'ignore' }).status === 0) t.equal(spawnSync('rsvg-convert', ['--format', 'png'], { input: svg, maxBuffer: 64 * 1024 * 1024 }).status, 0, 'it renders')
    t.same(new Set(result.exitCodes), new Set([0]), 'every instance exited 0')
    t.ok(result.byVersion.v1 > 0 && result.byVersion.v2 > 0, 'both versions served')
  })
}

for (const mode of ['tcp', 'http'] as const) {
  t.test(`fastify-cli (\`fastify start -g\`, the scaffold app, no other setting): 2 rolls in ${mode.toUpperCase()} mode, zero failed`, async (t) => {
    if (!haproxy) {
      if (process.env.ZD_REQUIRE_SERVICES !== undefined) t.fail('haproxy is not installed (apt-get install haproxy)')
      else t.skip('haproxy is not installed (apt-get install haproxy)')
      return
    }
    const { rollingDeploy } = await import('../demo/harness.mjs')
    const result = await rollingDeploy({ launcher: 'fastify-cli', closeGraceDelay: 10000, mode, rolls: 2, balancer: 'haproxy' })
    t.comment(JSON.stringify(result))
    t.ok(result.requests > 1000, `${result.requests} requests`)
    t.equal(result.failed, 0, `failures: ${JSON.stringify(result.byReason)}`)
    t.equal(result.postsLost, 0)
    t.equal(result.killed, 0, 'no instance needed SIGKILL')
    t.same(new Set(result.exitCodes), new Set([0]), 'every instance exited 0')
  })
}

t.test('pm2 reload of a 3-worker cluster, twice, under load: zero failed, each reload in seconds', async (t) => {
  const { pm2Reload } = await import('../demo/pm2.mjs')
  // listen_timeout 30 s: were the workers' 'ready' not sent, a reload would take 90 s or more.
  const result = await pm2Reload({ instances: 3, reloads: 2, shutdownDelay: 1500, listenTimeout: 30000 })
  t.comment(JSON.stringify(result))
  t.ok(result.requests > 1000, `${result.requests} requests`)
  t.equal(result.failed, 0, `failures: ${JSON.stringify(result.byReason)}`)
  t.equal(result.postsLost, 0)
  t.equal(result.postsDuplicated, 0)
  t.ok(result.byVersion.v1 > 0 && result.byVersion.v2 > 0, 'both versions served')
  for (const ms of result.reloadMs) t.ok(ms < 30000, `a reload took ${ms} ms, less than one listen_timeout`)
})

t.test('the built-in fallback balancer gives the same result', async (t) => {
  const { rollingDeploy } = await import('../demo/harness.mjs')
  const result = await rollingDeploy({ app: 'plugin', mode: 'tcp', rolls: 1, balancer: 'builtin' })
  t.match(result.balancer, /built-in/)
  t.equal(result.failed, 0, `failures: ${JSON.stringify(result.byReason)}`)
  t.equal(result.postsLost, 0)
})
