import t from 'tap'
import { once } from 'node:events'
import { join } from 'node:path'
import { spawnPlainNode } from './lib/process'

// Heap measured after forced garbage collections, in a process of its own running the built
// package (npm test builds first), without the test runner's loader or coverage.
t.test('memory: 200 checks add less than 2 MB of heap; 40,000 probes and ten minutes\' worth of check runs grow nothing', async (t) => {
  const child = spawnPlainNode(['--expose-gc', join(__dirname, 'fixtures', 'memory.mjs')], {}, ['ignore', 'pipe', 'inherit'])
  let out = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => { out += chunk })
  // 'close', not 'exit': the line may still be in the pipe when the process has exited.
  const [code] = await once(child, 'close')
  t.equal(code, 0)
  const { plugin, growth, runs } = JSON.parse(out)
  t.comment(out.trim())
  t.ok(plugin < 2 * 1024 * 1024, `the plugin with 200 checks: ${(plugin / 1024).toFixed(0)} KiB of heap`)
  // 200 checks every 5 s (the default) for ten minutes.
  t.ok(runs >= 200 * 120, `${runs} check runs`)
  t.ok(growth < 256 * 1024, `heap after another 20,000 probes and more runs: ${(growth / 1024).toFixed(0)} KiB more`)
})
