import t from 'tap'
import { get } from './lib/helpers'
import { spawnFixture, type Fixture } from './lib/process'

/** The pid of the worker that answers, on a fresh connection. */
async function answeringPid (cluster: Fixture): Promise<number> {
  const { status, body } = await get(cluster, '/pid')
  if (status !== 200) throw new Error(`status ${status}`)
  return (JSON.parse(body) as { pid: number }).pid
}

t.test('in a cluster, a worker that begins draining gets no new connection: the other worker takes them all', async (t) => {
  const cluster = await spawnFixture(t, 'cluster', { SHUTDOWN_DELAY: '5000' }, /^cluster listening at /)
  // The primary deals connections round-robin: both workers answer.
  const pids = new Set<number>()
  for (let i = 0; i < 20 && pids.size < 2; i++) pids.add(await answeringPid(cluster))
  t.equal(pids.size, 2, 'both workers answer')
  const [leaving, staying] = [...pids]
  process.kill(leaving, 'SIGTERM')
  await cluster.waitFor((line) => line.pid === leaving && /-> draining/.test(String(line.msg)))
  // Still within its shutdownDelay: the worker is alive and would serve, were a connection sent to it.
  const answers: number[] = []
  for (let i = 0; i < 10; i++) answers.push(await answeringPid(cluster))
  t.same(answers, Array(10).fill(staying), 'every new connection goes to the worker that stays')
})
