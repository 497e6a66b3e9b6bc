import { createServer, connect, type Server, type Socket } from 'node:net'
import { once } from 'node:events'

export type ProxyMode = 'pass' | 'blackhole' | 'reset'

/**
 * A TCP proxy between a client and a real server, for fault injection. `blackhole` accepts and
 * holds bytes without delivering them (a hung server or a partition: delivered later on `pass`);
 * `reset` resets every connection, open or new; `pass` forwards and delivers what was held.
 */
export class FaultProxy {
  readonly #server: Server
  readonly #pairs = new Set<{ client: Socket, upstream: Socket, dropped: boolean }>()
  #mode: ProxyMode = 'pass'
  port = 0

  constructor (readonly targetPort: number, readonly targetHost = '127.0.0.1') {
    this.#server = createServer((client) => this.#accept(client))
  }

  get connections (): number {
    return this.#pairs.size
  }

  async listen (port = 0): Promise<number> {
    this.#server.listen(port, '127.0.0.1')
    await once(this.#server, 'listening')
    this.port = (this.#server.address() as { port: number }).port
    return this.port
  }

  /** Stops accepting (the port is then closed) and resets every open connection. */
  async stop (): Promise<void> {
    this.setMode('reset')
    await new Promise((resolve) => this.#server.close(resolve))
  }

  setMode (mode: ProxyMode): void {
    this.#mode = mode
    for (const pair of this.#pairs) this.#apply(pair)
  }

  /** What clients send on the connections open now is lost for good (a server that died mid-query); new connections pass. */
  dropOpen (): void {
    for (const pair of this.#pairs) pair.dropped = true
  }

  #accept (client: Socket): void {
    const upstream = connect(this.targetPort, this.targetHost)
    const pair = { client, upstream, dropped: false }
    this.#pairs.add(pair)
    const drop = (): void => {
      this.#pairs.delete(pair)
      client.destroy()
      upstream.destroy()
    }
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
    client.on('data', (data) => { if (!pair.dropped) upstream.write(data) })
    upstream.on('data', (data) => client.write(data))
    this.#apply(pair)
  }

  #apply ({ client, upstream }: { client: Socket, upstream: Socket }): void {
    if (this.#mode === 'reset') {
      client.resetAndDestroy()
      upstream.destroy()
    } else if (this.#mode === 'blackhole') {
      client.pause()
      upstream.pause()
    } else {
      client.resume()
      upstream.resume()
    }
  }
}
