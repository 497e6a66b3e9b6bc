// The built-in fallback where HAProxy is not installed: an L4 balancer with the same semantics as
// HAProxy in TCP mode (and kube-proxy): active GET /readyz checks every `inter` ms, down after
// `fall` failures, up after one pass; new connections go round robin to servers that are up,
// existing connections stay where they are; no retries.
import { createServer, connect } from 'node:net'
import { request } from 'node:http'
import { once } from 'node:events'

export async function startBuiltinBalancer ({ frontPort, slots, inter, fall }) {
  const servers = slots.map((port) => ({ port, up: false, failures: 0 }))
  let next = 0
  const sockets = new Set()
  const front = createServer((client) => {
    const ups = servers.filter((s) => s.up)
    if (ups.length === 0) { client.destroy(); return }
    const server = ups[next++ % ups.length]
    const upstream = connect(server.port, '127.0.0.1')
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
    }
    client.pipe(upstream).pipe(client)
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
  })
  front.listen(frontPort, '127.0.0.1')
  await once(front, 'listening')

  const probe = (server) => new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port: server.port, path: '/readyz', agent: false, timeout: inter }, (res) => {
      res.resume()
      resolve(res.statusCode === 200)
    })
    req.on('timeout', () => req.destroy()).on('error', () => resolve(false)).end()
  })
  const timer = setInterval(async () => {
    await Promise.all(servers.map(async (server) => {
      if (await probe(server)) { server.up = true; server.failures = 0 } else if (++server.failures >= fall) server.up = false
    }))
  }, inter)

  return {
    label: 'built-in L4 balancer (HAProxy not installed)',
    status: async () => servers.map((s) => s.up ? 'UP' : 'DOWN'),
    stop: async () => {
      clearInterval(timer)
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => front.close(resolve))
    }
  }
}
