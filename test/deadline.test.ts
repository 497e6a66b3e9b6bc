import t from 'tap'
import { withDeadline } from '../lib/deadline'

// Timers of this process still pending: the deadline's must be gone once withDeadline settles.
const timers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length

t.test('the value of a work that settles first, and no timer left behind', async (t) => {
  const before = timers()
  t.same(await withDeadline(60_000, async () => 7), { expired: false, value: 7 })
  t.equal(timers(), before, 'the 60 s timer was cleared')
  await t.rejects(withDeadline(60_000, async () => { throw new Error('boom') }), { message: 'boom' })
  t.equal(timers(), before, 'and cleared when the work throws')
})

t.test('at the deadline the signal aborts with the reason; a work that reacts within the grace still gives its value', async (t) => {
  let reason: unknown
  const result = await withDeadline(20, async (signal) => await new Promise((resolve) => signal.addEventListener('abort', () => { reason = signal.reason; resolve('reacted') })), { reason: () => new Error('late'), grace: 1000 })
  t.same(result, { expired: false, value: 'reacted' })
  t.match(reason, { message: 'late' })
})

t.test('a work that ignores its signal is given up after the grace, and the grace timer is cleared too', async (t) => {
  const before = timers()
  t.same(await withDeadline(20, async () => await new Promise(() => {}), { grace: 10 }), { expired: true })
  t.equal(timers(), before)
  let signal: AbortSignal | undefined
  t.same(await withDeadline(20, async (s) => { signal = s; return await new Promise(() => {}) }), { expired: true }, 'no grace: given up as the signal aborts')
  t.ok(signal?.aborted)
  t.equal((signal?.reason as Error).name, 'AbortError', 'an AbortError when no reason is named')
})

t.test('a linked signal aborts the work\'s, and is let go of after', async (t) => {
  const closing = new AbortController()
  let seen: unknown
  const running = withDeadline(60_000, async (signal) => await new Promise((resolve) => signal.addEventListener('abort', () => { seen = signal.reason; resolve('stopped') })), { linked: closing.signal })
  closing.abort(new Error('closing'))
  t.same(await running, { expired: false, value: 'stopped' })
  t.match(seen, { message: 'closing' })
  const later = new AbortController()
  let aborts = 0
  await withDeadline(60_000, (signal) => { signal.addEventListener('abort', () => { aborts++ }) }, { linked: later.signal })
  later.abort()
  t.equal(aborts, 0, 'a linked abort after the work settled reaches nothing')
})
