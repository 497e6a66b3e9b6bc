import t from 'tap'
import { executionAsyncResource } from 'node:async_hooks'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { build, type TestContext } from './lib/helpers'
import type { ZeroDowntimeOptions } from '../lib/options'

// lib/tick-shape.ts: whether the plugin holds a nextTick object while the app is open. Whether
// holding one keeps V8's fast path is measured by `npm run bench:tick-shape` (V8's own feedback).
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/** Registers the plugin watching, weakly, every tick run meanwhile; returns how many outlive a GC. */
async function heldTicks (t: TestContext, options: ZeroDowntimeOptions): Promise<{ alive: () => Promise<number>, close: () => Promise<void> }> {
  const ticks: Array<WeakRef<object>> = []
  const nextTick = process.nextTick
  process.nextTick = ((callback: (...args: unknown[]) => void, ...args: unknown[]) => {
    nextTick(() => { ticks.push(new WeakRef(executionAsyncResource())); callback(...args) })
  }) as typeof process.nextTick
  const app = await build(t, options).finally(() => { process.nextTick = nextTick })
  await app.ready()
  const alive = async (): Promise<number> => {
    // A WeakRef keeps its target until the current job ends: collect from a later one.
    await new Promise((resolve) => setImmediate(resolve))
    gc()
    return ticks.filter((tick) => tick.deref() !== undefined).length
  }
  return { alive, close: async () => { await app.close() } }
}

t.test('the tick object is held while the app is open, and let go once it has closed', async (t) => {
  const { alive, close } = await heldTicks(t, {})
  t.ok(await alive() >= 1, 'a tick object outlives its tick while the app is open')
  await close()
  t.equal(await alive(), 0, 'none once the app has closed')
})

t.test('holdTickShape: false holds none', async (t) => {
  const { alive, close } = await heldTicks(t, { holdTickShape: false })
  t.equal(await alive(), 0)
  await close()
})
