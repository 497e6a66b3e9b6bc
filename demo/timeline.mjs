// The picture of a run: requests per 100 ms by the version that served them (failures in red, on
// top), and under it one lane per instance with its state: starting, in rotation, draining, closing.
// Plain SVG, no browser needed to make it.

const BUCKET = 100
const WIDTH = 960
const CHART = { top: 48, height: 180 }
const LANE = 18
const LEFT = 110
const VERSION_COLORS = ['#3b6fd4', '#14a3a3', '#6a4c93', '#8d99ae']
const FAILED = '#d62828'
const STATE_COLORS = { starting: '#b0b7c3', 'in rotation': '#90be6d', draining: '#f4a261', closing: '#9d4edd' }

const escape = (text) => String(text).replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c])

/** Each lane's segments: [state, from, to], from the instance's events. */
export function segments (events, end) {
  const out = []
  let current
  for (const { at, state } of events) {
    // Plugin transitions map onto the lanes; "ready" is the balancer's "in rotation", "closed" ends.
    const lane = state === 'SIGTERM' ? (current?.state === 'in rotation' ? 'draining' : current?.state) : state === 'ready' ? undefined : state === 'closed' || state === 'exited' ? 'gone' : state
    if (lane === undefined || lane === current?.state) continue
    if (current !== undefined) out.push([current.state, current.at, at])
    current = lane === 'gone' ? undefined : { state: lane, at }
    if (lane === 'gone') break
  }
  if (current !== undefined) out.push([current.state, current.at, end])
  return out
}

export function renderTimeline (run, title) {
  const { instances, requests } = run.timeline
  const start = Math.min(...instances.flatMap((i) => i.events.map((e) => e.at)), ...requests.map((r) => r.at))
  const end = Math.max(...instances.flatMap((i) => i.events.map((e) => e.at)), ...requests.map((r) => r.at))
  const buckets = Math.max(1, Math.ceil((end - start) / BUCKET))
  const versions = [...new Set(requests.map((r) => r.version).filter((v) => v !== undefined))].sort()
  const counts = Array.from({ length: buckets }, () => ({ failed: 0, ...Object.fromEntries(versions.map((v) => [v, 0])) }))
  for (const r of requests) {
    const bucket = counts[Math.min(buckets - 1, Math.floor((r.at - start) / BUCKET))]
    const failed = r.error !== undefined || r.status < 200 || r.status > 299
    if (failed) bucket.failed++
    else if (r.version !== undefined) bucket[r.version]++
  }
  const peak = Math.max(1, ...counts.map((c) => Object.values(c).reduce((a, b) => a + b, 0)))
  const plotWidth = WIDTH - LEFT - 20
  const x = (at) => LEFT + ((at - start) / (end - start || 1)) * plotWidth
  const barWidth = plotWidth / buckets
  const y = (n) => CHART.top + CHART.height - (n / peak) * CHART.height
  const parts = []
  counts.forEach((bucket, i) => {
    let stacked = 0
    for (const [key, color] of [...versions.map((v, k) => [v, VERSION_COLORS[k % VERSION_COLORS.length]]), ['failed', FAILED]]) {
      const n = bucket[key]
      if (n === 0) continue
      parts.push(`<rect class="${key === 'failed' ? 'failed' : 'served'}" x="${(LEFT + i * barWidth).toFixed(1)}" y="${y(stacked + n).toFixed(1)}" width="${Math.max(barWidth - 0.5, 0.5).toFixed(1)}" height="${(y(stacked) - y(stacked + n)).toFixed(1)}" fill="${color}"/>`)
      stacked += n
    }
  })
  const lanesTop = CHART.top + CHART.height + 36
  instances.forEach((instance, i) => {
    const top = lanesTop + i * (LANE + 4)
    parts.push(`<text x="${LEFT - 8}" y="${top + 13}" text-anchor="end" font-size="11">slot ${instance.slot} ${escape(instance.version)}</text>`)
    for (const [state, from, to] of segments(instance.events, end)) {
      parts.push(`<rect class="lane ${state.replace(' ', '-')}" x="${x(from).toFixed(1)}" y="${top}" width="${Math.max(x(to) - x(from), 1).toFixed(1)}" height="${LANE}" fill="${STATE_COLORS[state]}"><title>${escape(state)}</title></rect>`)
    }
  })
  const height = lanesTop + instances.length * (LANE + 4) + 40
  const failed = counts.reduce((sum, c) => sum + c.failed, 0)
  const legend = [...versions.map((v, k) => [`served by ${v}`, VERSION_COLORS[k % VERSION_COLORS.length]]), ['failed', FAILED], ...Object.entries(STATE_COLORS)]
  const ticks = Array.from({ length: Math.floor((end - start) / 1000) + 1 }, (_, s) => `<line x1="${x(start + s * 1000).toFixed(1)}" y1="${CHART.top + CHART.height}" x2="${x(start + s * 1000).toFixed(1)}" y2="${CHART.top + CHART.height + 4}" stroke="#555"/>${s % (end - start > 20000 ? 5 : 1) === 0 ? `<text x="${x(start + s * 1000).toFixed(1)}" y="${CHART.top + CHART.height + 16}" text-anchor="middle" font-size="10">${s} s</text>` : ''}`)
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="${LEFT}" y="20" font-size="14" font-weight="bold">${escape(title)}</text>
<text x="${LEFT}" y="38" font-size="11">${requests.length} requests, ${failed} failed; requests per ${BUCKET} ms (peak ${peak}), by the version that answered</text>
<line x1="${LEFT}" y1="${CHART.top + CHART.height}" x2="${LEFT + plotWidth}" y2="${CHART.top + CHART.height}" stroke="#555"/>
${ticks.join('\n')}
${parts.join('\n')}
${legend.map(([label, color], i) => `<rect x="${LEFT + i * 118}" y="${height - 22}" width="10" height="10" fill="${color}"/><text x="${LEFT + i * 118 + 14}" y="${height - 13}" font-size="10">${escape(label)}</text>`).join('\n')}
</svg>
`
}
