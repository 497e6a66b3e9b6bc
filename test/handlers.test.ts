import t from 'tap'
import Fastify from 'fastify'
import zeroDowntime = require('../lib/index')

const EVENTS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'uncaughtException', 'unhandledRejection', 'beforeExit'] as const

function counts (): Record<string, number> {
  return Object.fromEntries(EVENTS.map((e) => [e, process.listenerCount(e)]))
}

async function delta (options: zeroDowntime.ZeroDowntimeOptions): Promise<{ installed: Record<string, number>, afterClose: Record<string, number> }> {
  const before = counts()
  const app = Fastify()
  await app.register(zeroDowntime, options)
  await app.ready()
  const during = counts()
  await app.close()
  const after = counts()
  const diff = (a: Record<string, number>): Record<string, number> => Object.fromEntries(EVENTS.map((e) => [e, a[e] - before[e]]))
  return { installed: diff(during), afterClose: diff(after) }
}

const none = { SIGTERM: 0, SIGINT: 0, SIGHUP: 0, uncaughtException: 0, unhandledRejection: 0, beforeExit: 0 }

t.test('by default: SIGTERM and SIGINT only; no error handlers; removed on close', async (t) => {
  const { installed, afterClose } = await delta({})
  t.same(installed, { ...none, SIGTERM: 1, SIGINT: 1 })
  t.same(afterClose, none)
})

t.test('signals: false installs nothing', async (t) => {
  t.same((await delta({ signals: false })).installed, none)
})

t.test('signals are configurable', async (t) => {
  t.same((await delta({ signals: ['SIGHUP'] })).installed, { ...none, SIGHUP: 1 })
})

t.test('shutdownOnError opts in to the error handlers, with or without signals', async (t) => {
  t.same((await delta({ signals: false, shutdownOnError: true })).installed, { ...none, uncaughtException: 1, unhandledRejection: 1 })
  const both = await delta({ shutdownOnError: true })
  t.same(both.installed, { ...none, SIGTERM: 1, SIGINT: 1, uncaughtException: 1, unhandledRejection: 1 })
  t.same(both.afterClose, none)
})
