import t from 'tap'
import { request } from 'node:http'
import { spawnFixture } from './lib/process'

/** The pid of the worker that answers, on a fresh connection. */
async function answeringPid (port: number): Promise<number> {
  return await new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/pid', agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (chunk: string) => { body += chunk }).on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`status ${String(res.statusCode)}`))
        else resolve((JSON.parse(body) as { pid: number }).pid)
      })
    }).on('error', reject).end()
  })
}

t.test('in a cluster, a worker that begins draining gets no new connection: the other worker takes them all', async (t) => {
  const cluster = await spawnFixture(t, 'cluster', { SHUTDOWN_DELAY: '5000' }, /^cluster listening at /)
  // The primary deals connections round-robin: both workers answer.
  const pids = new Set<number>()
  for (let i = 0; i < 20 && pids.size < 2; i++) pids.add(await answeringPid(cluster.port))
  t.equal(pids.size, 2, 'both workers answer')
  const [leaving, staying] = [...pids]
  process.kill(leaving, 'SIGTERM')
  await cluster.waitFor((line) => line.pid === leaving && /-> draining/.test(String(line.msg)))
  // Still within its shutdownDelay: the worker is alive and would serve, were a connection sent to it.
  const answers: number[] = []
  for (let i = 0; i < 10; i++) answers.push(await answeringPid(cluster.port))
  t.same(answers, Array(10).fill(staying), 'every new connection goes to the worker that stays')
})
