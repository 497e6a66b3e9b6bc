// Diagnostic of lib/tick-shape.ts: whether Node's process.nextTick keeps its fast path after full
// collections run from a timer, read from V8's own feedback (%DebugPrint), in separate processes
// with the plugin (holding a tick object), with the plugin told not to (holdTickShape: false), and
// without it. Usage: npm run bench:tick-shape [-- processes]. Prints one line per side and exits
// 1 when the hold no longer keeps every process monomorphic, or when no process without the hold
// falls (then V8 has fixed the defect, and lib/tick-shape.ts can go).
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const processes = Number(process.argv[2] ?? 6)
const fixture = new URL('tick-shape-process.mjs', import.meta.url).pathname

/** The states of the tick literal's feedback slots in one fresh process. */
async function feedback (side) {
  const dir = mkdtempSync(join(tmpdir(), 'zd-tick-'))
  // V8 prints with C's stdio: to a file, which takes every byte (a non-blocking pipe may not).
  const fd = openSync(join(dir, 'out.txt'), 'w')
  // Without NODE_OPTIONS: a preloaded hook's own startup work may turn the literal megamorphic.
  const { NODE_OPTIONS, ...env } = process.env
  const child = spawn(process.execPath, ['--allow-natives-syntax', '--expose-gc', fixture], { env: { ...env, SIDE: side }, stdio: ['ignore', fd, 'inherit'] })
  closeSync(fd)
  const [code] = await once(child, 'exit')
  const out = readFileSync(join(dir, 'out.txt'), 'utf8')
  rmSync(dir, { recursive: true })
  if (code !== 0) throw new Error(`${side}: the process exited ${code}`)
  const states = [...out.matchAll(/slot #\d+ DefineKeyedOwnPropertyInLiteral (\w+)/g)].map((match) => match[1])
  if (states.length === 0) throw new Error(`${side}: V8 printed no feedback for the tick literal (has Node's nextTick changed?)`)
  return states
}

const fell = {}
for (const side of ['plugin', 'plugin-without-hold', 'plain']) {
  fell[side] = 0
  for (let i = 0; i < processes; i++) if ((await feedback(side)).includes('MEGAMORPHIC')) fell[side]++
  console.log(`${side}: ${fell[side]} of ${processes} processes megamorphic (Node ${process.version})`)
}
if (fell.plugin > 0) { console.log('the hold no longer keeps the fast path'); process.exitCode = 1 }
if (fell.plain === 0 && fell['plugin-without-hold'] === 0) { console.log('no process fell without the hold: V8 may have fixed the defect'); process.exitCode = 1 }
