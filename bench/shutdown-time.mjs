// SIGTERM to exit, `shutdownDelay: 0`, nothing in flight, with 0 and with 1,000 idle keep-alive
// connections: measured by the parent from kill() to the child's exit event, so the process's own
// exit is included.
import { once } from 'node:events'
import { Agent, request } from 'node:http'
import { startServer } from './common.mjs'

export const description = 'SIGTERM to exit'
const RUNS = 9

async function sample (idle, context) {
  const server = await startServer({ BENCH_MODE: 'shutdown' }, context)
  const agent = new Agent({ keepAlive: true, maxSockets: idle })
  const { port } = new URL(server.url)
  // `idle` keep-alive connections: one request each, then they sit idle.
  await Promise.all(Array.from({ length: idle }, () => new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/', agent }, (res) => { res.resume(); res.on('end', resolve) }).on('error', reject).end()
  })))
  const exited = once(server.child, 'exit')
  const started = process.hrtime.bigint()
  server.child.kill('SIGTERM')
  const [code] = await exited
  agent.destroy()
  if (code !== 0) throw new Error(`shutdown exited ${code}`)
  return Number(process.hrtime.bigint() - started) / 1e6
}

export async function run (context) {
  const milliseconds = {}
  for (const idle of [0, 1000]) {
    milliseconds[idle] = []
    for (let i = 0; i < RUNS; i++) milliseconds[idle].push(await sample(idle, context))
  }
  return { milliseconds }
}
