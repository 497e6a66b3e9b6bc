import t from 'tap'
import { once } from 'node:events'
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { executionAsyncResource } from 'node:async_hooks'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { spawnPlainNode } from './lib/process'
import { build } from './lib/helpers'

// V8's feedback for the object literal that process.nextTick builds, after full collections run
// from a timer (lib/tick-shape.ts tells why it matters). In a process of its own, running the
// built package, without the test runner's loader or coverage.
async function tickLiteralFeedback (withPlugin: boolean): Promise<string[]> {
  // V8 prints with C's stdio: to a file, which takes every byte (a pipe set non-blocking by Node
  // may not).
  const output = join(mkdtempSync(join(tmpdir(), 'zd-tick-')), 'feedback.txt')
  const fd = openSync(output, 'w')
  // Without tap's process-info hook, whose own startup work already turns the literal megamorphic.
  const child = spawnPlainNode(['--allow-natives-syntax', '--expose-gc', join(__dirname, 'fixtures', 'tick-shape.mjs')], { WITH_PLUGIN: withPlugin ? '1' : '0' }, ['ignore', fd, 'inherit'])
  closeSync(fd)
  const [code] = await once(child, 'exit')
  if (code !== 0) throw new Error(`tick-shape fixture exited ${String(code)}`)
  const out = readFileSync(output, 'utf8')
  rmSync(dirname(output), { recursive: true })
  return [...out.matchAll(/slot #\d+ DefineKeyedOwnPropertyInLiteral (\w+)/g)].map((match) => match[1] as string)
}

t.test('nextTick keeps its fast path in an app with the plugin, after full collections from a timer', async (t) => {
  const states = await tickLiteralFeedback(true)
  t.ok(states.length >= 4, `V8 shows the tick literal's feedback slots (${states.join(', ')})`)
  t.same(states.filter((state) => state !== 'MONOMORPHIC'), [], 'every slot monomorphic')
})

// The control: the same app without the plugin falls off the fast path; if it did not, the test
// above would prove nothing. On Node 20 and 22 every process falls; on Node 24 most do (5 of 6 in
// one trial, with these ten rounds of collections), so up to five processes are tried.
t.test('without the plugin, the same collections turn the literal megamorphic', async (t) => {
  const tried: string[][] = []
  while (tried.length < 5 && !(tried.at(-1)?.includes('MEGAMORPHIC') ?? false)) tried.push(await tickLiteralFeedback(false))
  t.ok(tried.at(-1)?.includes('MEGAMORPHIC'), `slots in the last of ${tried.length} processes: ${tried.at(-1)?.join(', ')}`)
})

t.test('the tick object is held while the app is open, and let go once it has closed', async (t) => {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  // Every tick run while the plugin registers, watched weakly: the plugin holds one of them.
  const ticks: Array<WeakRef<object>> = []
  const nextTick = process.nextTick
  process.nextTick = ((callback: (...args: unknown[]) => void, ...args: unknown[]) => {
    nextTick(() => { ticks.push(new WeakRef(executionAsyncResource())); callback(...args) })
  }) as typeof process.nextTick
  const app = await build(t).finally(() => { process.nextTick = nextTick })
  await app.ready()
  const alive = async (): Promise<number> => {
    // A WeakRef keeps its target until the current job ends: collect from a later one.
    await new Promise((resolve) => setImmediate(resolve))
    gc()
    return ticks.filter((tick) => tick.deref() !== undefined).length
  }
  t.ok(await alive() >= 1, 'a tick object outlives its tick while the app is open')
  await app.close()
  t.equal(await alive(), 0, 'none once the app has closed')
})
