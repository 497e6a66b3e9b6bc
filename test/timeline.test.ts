import t, { type Test } from 'tap'
import { spawnSync } from 'node:child_process'
import { decodePng, type Image } from './lib/png'

// The demo's timeline SVG, rendered by a real SVG renderer (librsvg's rsvg-convert) and read back
// pixel by pixel: the bars, the failures in red and each lane's state must be on the picture.
const rsvg = spawnSync('rsvg-convert', ['--version'], { encoding: 'utf8' })

function render (t: Test, svg: string): Image | undefined {
  const result = spawnSync('rsvg-convert', ['--format', 'png'], { input: svg, maxBuffer: 64 * 1024 * 1024 })
  t.equal(result.status, 0, `rsvg-convert renders it ${String(result.stderr)}`)
  return result.status === 0 ? decodePng(result.stdout) : undefined
}

// Pixels of a colour, above the legend (which shows every colour once).
const count = (image: Image, rgb: [number, number, number]): number => {
  let n = 0
  for (let y = 0; y < image.height - 30; y++) for (let x = 0; x < image.width; x++) if (image.pixel(x, y).every((v, i) => Math.abs(v - rgb[i]) <= 2)) n++
  return n
}
const RED: [number, number, number] = [0xd6, 0x28, 0x28]
const ORANGE: [number, number, number] = [0xf4, 0xa2, 0x61]
const PURPLE: [number, number, number] = [0x9d, 0x4e, 0xdd]
const V1: [number, number, number] = [0x3b, 0x6f, 0xd4]
const V2: [number, number, number] = [0x14, 0xa3, 0xa3]
const IN_ROTATION: [number, number, number] = [0x90, 0xbe, 0x6d]

/** A roll of one instance v1 -> v2 over 4 s, 50 requests per 100 ms; `failures` of them failed during the SIGTERM. */
function syntheticRun (failures: number): Record<string, unknown> {
  const requests: Array<Record<string, unknown>> = []
  for (let at = 0; at < 4000; at += 2) requests.push({ at, status: 200, version: at < 2000 ? 'v1' : 'v2' })
  for (let i = 0; i < failures; i++) requests.push({ at: 2000 + i, error: 'ECONNRESET' })
  const instances = [
    { slot: 0, version: 'v1', events: [{ at: 0, state: 'starting' }, { at: 100, state: 'in rotation' }, { at: 2000, state: 'SIGTERM' }, { at: 2001, state: 'draining' }, { at: 3000, state: 'closing' }, { at: 3200, state: 'closed' }, { at: 3210, state: 'exited' }] },
    { slot: 1, version: 'v2', events: [{ at: 1500, state: 'starting' }, { at: 1600, state: 'ready' }, { at: 1900, state: 'in rotation' }] }
  ]
  return Object.defineProperty({}, 'timeline', { value: { instances, requests } })
}

const missing = 'rsvg-convert is not installed (apt-get install librsvg2-bin)'
t.test('the timeline renders: versions, failures in red, each lane\'s state', { skip: rsvg.status === 0 || process.env.ZD_REQUIRE_SERVICES !== undefined ? false : missing }, async (t) => {
  if (rsvg.status !== 0) return t.fail(missing)
  const { renderTimeline } = await import('../demo/timeline.mjs') as { renderTimeline: (run: unknown, title: string) => string }
  const failing = render(t, renderTimeline(syntheticRun(40), 'plain close()'))
  const clean = render(t, renderTimeline(syntheticRun(0), 'fastify-zero-downtime'))
  if (failing === undefined || clean === undefined) return
  t.equal(failing.width, 960)
  t.ok(count(failing, RED) > 50, 'failures drawn in red')
  t.equal(count(clean, RED), 0, 'no red without failures')
  for (const [name, color] of [['v1', V1], ['v2', V2], ['in rotation', IN_ROTATION], ['draining', ORANGE], ['closing', PURPLE]] as const) t.ok(count(clean, color) > 100, `${name} is on the picture`)
})

t.test('lanes: the balancer\'s rotation, SIGTERM, the plugin\'s draining and closing, exit', async (t) => {
  const { segments } = await import('../demo/timeline.mjs') as { segments: (events: unknown[], end: number) => Array<[string, number, number]> }
  t.same(segments((syntheticRun(0).timeline as { instances: Array<{ events: unknown[] }> }).instances[0].events, 5000), [['starting', 0, 100], ['in rotation', 100, 2000], ['draining', 2000, 3000], ['closing', 3000, 3200]])
  t.same(segments([{ at: 0, state: 'starting' }, { at: 5, state: 'in rotation' }], 9), [['starting', 0, 5], ['in rotation', 5, 9]], 'still running at the end')
  t.same(segments([{ at: 0, state: 'starting' }, { at: 5, state: 'in rotation' }, { at: 6, state: 'SIGTERM' }, { at: 6.5, state: 'closing' }, { at: 8, state: 'exited' }], 9), [['starting', 0, 5], ['in rotation', 5, 6], ['draining', 6, 6.5], ['closing', 6.5, 8]], 'the plain app')
})
