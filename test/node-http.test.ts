import t from 'tap'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { connect, type Socket } from 'node:net'
import { once } from 'node:events'
import { newestRequest, responseWriting, stopListening } from '../lib/node-http'

// Node's private HTTP state the shutdown reads (lib/node-http.ts), on a real server: run by CI on
// every supported Node major, so that a change in Node fails here, by name, before any deploy.
t.test(`Node ${process.version}: the response a socket writes and the newest request its parser read, with two pipelined`, async (t) => {
  const held: Array<{ req: IncomingMessage, res: ServerResponse }> = []
  let socketSeen: Socket | undefined
  let bothRead: () => void = () => {}
  const read = new Promise<void>((resolve) => { bothRead = resolve })
  // Node emits 'request' for each as it parses them; the second response waits for the socket.
  const server = createServer((req, res) => {
    held.push({ req, res })
    socketSeen = req.socket
    if (held.length === 2) bothRead()
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const client = connect((server.address() as { port: number }).port, '127.0.0.1')
  t.teardown(() => client.destroy())
  client.write('GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n')
  await read
  t.equal(responseWriting(socketSeen!), held[0].res, 'the socket writes the first response')
  t.equal(newestRequest(socketSeen!)?.url, '/2', 'its parser has read the pipelined second request')
  t.not(newestRequest(socketSeen!), held[0].req)
  held[0].res.end('one')
  // Node hands the socket to the queued response as the first finishes.
  await once(held[0].res, 'finish')
  t.equal(responseWriting(socketSeen!), held[1].res, 'then the second')
  t.equal(newestRequest(socketSeen!), held[1].req)
  held[1].res.end('two')
  await once(held[1].res, 'finish')
  t.equal(responseWriting(socketSeen!), undefined, 'none once both are written')
})

t.test(`Node ${process.version}: stopListening closes the listener and leaves keep-alive connections open`, async (t) => {
  const server = createServer((_req, res) => { res.end('ok') })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const { port } = server.address() as { port: number }
  const client = connect(port, '127.0.0.1')
  t.teardown(() => client.destroy())
  await once(client, 'connect')
  let received = ''
  const answered = async (count: number): Promise<void> => {
    while ((received.match(/\r\n\r\nok/g) ?? []).length < count) await once(client, 'data')
  }
  client.setEncoding('utf8').on('data', (chunk: string) => { received += chunk })
  // One request answered: the connection is now an idle keep-alive one, which http's close() would end.
  client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
  await answered(1)
  stopListening(server)
  t.notOk(server.listening, 'no longer listening')
  const refused = connect(port, '127.0.0.1')
  const [error] = await once(refused, 'error') as [NodeJS.ErrnoException]
  t.equal(error.code, 'ECONNREFUSED', 'new connections are refused')
  client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
  await answered(2)
  t.equal(received.match(/HTTP\/1\.1 200 OK/g)?.length, 2, 'the idle keep-alive connection is still served')
})
