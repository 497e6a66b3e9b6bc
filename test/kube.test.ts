import t, { type Test } from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { readFileSync } from 'node:fs'
import { exclusively } from './lib/exclusive'

// The proof on Kubernetes' dataplane (demo/kube/): the shipped manifest rolled through kube-proxy's
// iptables rules, pods as network namespaces. Needs Linux, root and iptables (CI has all three).
t.setTimeout(600000)
// One rolling-deploy test at a time (test/lib/exclusive.ts).
t.before(async () => { await exclusively(t) })
const demo = join(__dirname, '..', 'demo', 'run.mjs')
const root = process.platform === 'linux' && process.getuid?.() === 0
const iptables = spawnSync('iptables-restore', ['--version'], { stdio: 'ignore' }).status === 0
const missing = !root ? 'needs Linux and root' : !iptables ? 'needs iptables (apt-get install -y iptables)' : undefined
const namespaces = (): string[] => spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((line) => line.split(' ')[0]).filter((name) => name.startsWith('zdk-'))

function unavailable (t: Test): boolean {
  if (missing === undefined) return false
  if (process.env.ZD_REQUIRE_SERVICES !== undefined) t.fail(`the kube demo ${missing}`)
  else t.skip(`the kube demo ${missing}`)
  return true
}

t.test('the manifest rolled through kube-proxy\'s rules: the plugin drops nothing, the plain app does; nothing left behind', { timeout: 300000 }, async (t) => {
  if (unavailable(t)) return
  const child = spawn(process.execPath, [demo, '--kube', '--rolls', '1', '--propagation', '1'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let err = ''
  child.stderr.on('data', (chunk) => { err += chunk })
  const lines: string[] = []
  createInterface({ input: child.stdout }).on('line', (line) => lines.push(line))
  const [code] = await once(child, 'exit')
  t.comment(err.trim())
  const results = JSON.parse(lines.find((line) => line.startsWith('RESULTS '))?.slice(8) ?? '[]') as Array<{ app: string, requests: number, failed: number, killed: number, byReason: Record<string, number> }>
  const plugin = results.find((r) => r.app === 'plugin')
  const plain = results.find((r) => r.app === 'plain')
  t.ok(plugin !== undefined && plugin.requests > 1000, `${String(plugin?.requests)} requests through the VIP`)
  t.equal(plugin?.failed, 0, `the plugin: ${JSON.stringify(plugin?.byReason)}`)
  t.equal(plugin?.killed, 0, 'no pod needed SIGKILL')
  t.ok((plain?.failed ?? 0) > 0, `the plain app failed ${String(plain?.failed)}: the test can fail`)
  t.equal(code, 0)
  t.same(namespaces(), [], 'every namespace (and with it the bridge, veths and rules) removed')
})

t.test('Ctrl-C removes everything; --cleanup removes what a killed run left', { timeout: 300000 }, async (t) => {
  if (unavailable(t)) return
  const interrupted = spawn(process.execPath, [demo, '--kube', '--rolls', '1'], { stdio: ['ignore', 'ignore', 'pipe'] })
  await new Promise<void>((resolve) => { interrupted.stderr.on('data', (chunk: Buffer) => { if (chunk.toString().includes('load started')) resolve() }) })
  t.ok(namespaces().length >= 4, 'the node and its pods exist while it runs')
  interrupted.kill('SIGINT')
  await once(interrupted, 'exit')
  t.same(namespaces(), [], 'Ctrl-C: all removed')
  const crashed = spawn(process.execPath, [demo, '--kube', '--rolls', '1'], { stdio: ['ignore', 'ignore', 'pipe'] })
  await new Promise<void>((resolve) => { crashed.stderr.on('data', (chunk: Buffer) => { if (chunk.toString().includes('load started')) resolve() }) })
  const pids = namespaces().flatMap((name) => spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number))
  crashed.kill('SIGKILL')
  await once(crashed, 'exit')
  t.ok(namespaces().length > 0 && pids.length > 0, 'a killed run leaves its namespaces, and the processes in them')
  const cleanup = spawnSync(process.execPath, [demo, '--kube', '--cleanup'], { encoding: 'utf8' })
  t.equal(cleanup.status, 0)
  t.match(cleanup.stdout, /^removed zdk-/)
  t.same(namespaces(), [], '--cleanup: all removed, processes included')
  // A killed process may stay a zombie until PID 1 reaps it: dead all the same.
  const running = (pid: number): boolean => { try { return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')) } catch { return false } }
  t.same(pids.filter(running), [], 'no process of the killed run survives')
  const { marked } = await import('../demo/kube/network.mjs') as { marked: () => number[] }
  t.same(marked().filter(running), [], 'nor any pod or driver of any run')
})
