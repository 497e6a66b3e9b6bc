// docs/benchmarks.md is generated from the raw results beside it (bench/doc.mjs): never by hand,
// and a verdict comes from the saved measurements, so a rule changes without a re-run.
import { test } from 'tap'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'

const docModule = async (): Promise<any> => await import('../bench/doc.mjs')

test('docs/benchmarks.md is what docs/benchmarks/*.json give', async (t) => {
  const { stderr } = await promisify(execFile)(process.execPath, [join(__dirname, '..', 'bench', 'doc.mjs'), '--check'])
  t.equal(stderr, '')
})

const environment = { date: '2026-01-01', machine: 'test machine', pinned: false, versions: { node: 'v0', fastify: '5', plugin: '0', autocannon: '9' } }
const round = (rps: number, cpuPerRequest: number) => ({ rps, cpuPerRequest, queries: 5 })
/** One comparison of `pairs` pairs whose side a serves `ratio` times b's req/s. */
function comparison (id: string, ratio: number, pairs = 3) {
  return {
    id,
    label: `${id} label`,
    pairs: Array.from({ length: pairs }, () => ({ a: [round(1000 * ratio, 10), round(1000 * ratio, 10)], b: [round(1000, 10), round(1000, 10)] }))
  }
}
const raw = (comparisons: unknown[]) => (name: string) => name === 'comparisons'
  ? { ...environment, results: { pairs: 3, rounds: 2, duration: 1, connections: 32, comparisons } }
  : undefined

test('a verdict is computed from the saved rounds against the goal of its comparison', async (t) => {
  const { render } = await docModule()
  const met = render(raw([comparison('noise-floor', 1), comparison('app-route', 1)]))
  t.match(met, /\| app-route label \| 1,000 vs 1,000 \| \*\*1\.000×\*\* .*\| ≥ 0\.98× \| met \|/)
  const missed = render(raw([comparison('noise-floor', 1), comparison('app-route', 0.9)]))
  t.match(missed, /\| app-route label \| 900 vs 1,000 \| \*\*0\.900×\*\* .*\| \*\*not met\*\* \|/)
  // A ratio closer to its goal than the noise floor strays settles nothing.
  const noisy = render(raw([{ ...comparison('noise-floor', 1), pairs: [comparison('x', 0.9).pairs[0], comparison('x', 1.1).pairs[0]] }, comparison('app-route', 0.99)]))
  t.match(noisy, /\| app-route label .*\| met \(within the noise floor of the goal: unsettled\) \|/)
  t.notMatch(met, /unsettled/)
})

test('benchmarks not run yet are named, and their sections left out', async (t) => {
  const { render, BENCHMARKS } = await docModule()
  const doc = render(raw([comparison('noise-floor', 1)]))
  t.match(doc, `Not run yet: ${BENCHMARKS.filter((name: string) => name !== 'comparisons').join(', ')}.`)
  t.notMatch(doc, '## The migration linter')
  t.notMatch(render(() => undefined), '## Throughput')
})
