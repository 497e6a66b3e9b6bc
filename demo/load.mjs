// The clients a service really has, running until stopped: keep-alive clients at a high rate,
// clients that open a connection per request, slow requests, POSTs whose echoed body is checked,
// and quiet keep-alive clients that sit idle between requests. Every outcome is recorded.
import { Agent, request } from 'node:http'
import { randomUUID } from 'node:crypto'

export function startLoad (port, { host = '127.0.0.1', keepAlive = 6, perRequest = 2, slow = 2, posts = 2, quiet = 4 } = {}) {
  const results = []
  const posted = []
  const state = { running: true }
  const agents = []
  const agent = (options) => { const a = new Agent({ keepAlive: true, ...options }); agents.push(a); return a }

  const pending = new Set()

  function send (kind, { method = 'GET', path = '/', body, agent: via = false }) {
    const started = performance.now()
    return new Promise((resolve) => {
      const record = (entry) => {
        if (!pending.delete(record)) return
        results.push({ kind, ms: performance.now() - started, at: performance.now(), ...entry })
        resolve(entry)
      }
      pending.add(record)
      const payload = body === undefined ? undefined : JSON.stringify(body)
      const req = request({ host, port, method, path, agent: via, headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
        let text = ''
        res.setEncoding('utf8').on('data', (chunk) => { text += chunk })
        res.on('end', () => record({ status: res.statusCode, version: res.headers['x-version'], text }))
        res.on('error', (err) => record({ error: err.code ?? err.message }))
      })
      req.on('error', (err) => record({ error: err.code ?? err.message }))
      req.end(payload)
    })
  }

  const loop = async (fn) => { while (state.running) await fn() }
  const loops = []
  for (let i = 0; i < keepAlive; i++) { const a = agent({ maxSockets: 1 }); loops.push(loop(() => send('keep-alive', { agent: a }))) }
  for (let i = 0; i < perRequest; i++) loops.push(loop(() => send('new-connection', {})))
  for (let i = 0; i < slow; i++) { const a = agent({ maxSockets: 1 }); loops.push(loop(() => send('slow', { path: '/slow?ms=400', agent: a }))) }
  for (let i = 0; i < posts; i++) {
    const a = agent({ maxSockets: 1 })
    loops.push(loop(async () => {
      const body = { id: randomUUID(), payload: randomUUID().repeat(8) }
      const entry = await send('post', { method: 'POST', path: '/echo', body, agent: a })
      const echoed = entry.status === 200 && entry.text === JSON.stringify(body)
      posted.push({ id: body.id, ok: entry.status === 200, echoed })
    }))
  }
  for (let i = 0; i < quiet; i++) {
    const a = agent({ maxSockets: 1 })
    loops.push(loop(async () => {
      await send('quiet', { agent: a })
      await new Promise((resolve) => setTimeout(resolve, 700 + 200 * i)) // idle between requests, as such clients are
    }))
  }

  return {
    results,
    posted,
    /** Stops sending; a request still unanswered after `patience` ms counts as failed. */
    stop: async ({ patience = 10000 } = {}) => {
      state.running = false
      let timer
      await Promise.race([Promise.all(loops), new Promise((resolve) => { timer = setTimeout(resolve, patience) })])
      clearTimeout(timer)
      for (const record of [...pending]) record({ error: `no answer within ${patience} ms of the end` })
      for (const a of agents) a.destroy()
    }
  }
}
