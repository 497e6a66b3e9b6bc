import { hostname } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { hasMethods, invalidClient } from '../checks/common'
import { InvalidArgumentError, describe } from '../errors'
import { describeError } from '../redact'
import type { Worker, WorkerOutcome } from '../workers'
import { CONSUMER_DEFAULTS, FLOW_OPTIONS, Flow, attempt, type ConsumerOptions } from './flow'
import { aborted } from '../deadline'
import { assertOptions } from '../names'

/** A stream entry: its id and its fields. */
export interface RedisStreamEntry { id: string, fields: Record<string, string> }

/** An ioredis client, or a node-redis (v5 or later) client: used for XACK; a duplicate of it reads. */
export type RedisStreamClient = { duplicate: () => unknown, call: (...args: string[]) => Promise<unknown> } | { duplicate: () => unknown, sendCommand: (args: string[]) => Promise<unknown> }

export interface RedisStreamConsumerOptions extends ConsumerOptions<RedisStreamEntry> {
  stream: string
  group: string
  /** This consumer's name in the group. Default: `<hostname>-<pid>`. */
  consumer?: string
  /** Milliseconds a read blocks waiting for entries; a stop interrupts it (CLIENT UNBLOCK). Default: 5000. */
  block?: number
  /** Entries pending longer than this (ms) at another consumer, which died, are claimed (XAUTOCLAIM); 0: never. Default: 30000. */
  claimIdle?: number
}

// An entry handed on looks idle this long (a day): past any consumer's claimIdle.
const HAND_ON_IDLE = 86_400_000

interface Commands { send: (args: string[]) => Promise<unknown>, quit: () => Promise<unknown> }

function commands (client: unknown): Commands {
  const c = client as { call?: (...args: string[]) => Promise<unknown>, sendCommand?: (args: string[]) => Promise<unknown>, quit?: () => Promise<unknown>, close?: () => Promise<unknown> }
  const send = typeof c.call === 'function' ? async (args: string[]) => await c.call?.(...args) : async (args: string[]) => await c.sendCommand?.(args)
  return { send, quit: async () => await (c.close ?? c.quit)?.call(c) }
}

// XREADGROUP and XAUTOCLAIM answer [id, [field, value, ...]] pairs (XAUTOCLAIM: [id, null] for a deleted entry).
function entries (reply: unknown): RedisStreamEntry[] {
  return (reply as unknown[]).filter((e): e is [string, string[]] => Array.isArray(e) && Array.isArray(e[1])).map(([id, list]) => {
    const fields: Record<string, string> = {}
    for (let i = 0; i + 1 < list.length; i += 2) fields[String(list[i])] = String(list[i + 1])
    return { id: String(id), fields }
  })
}

// XREADGROUP answers [[stream, entries], ...] in RESP2 and a map in RESP3, which ioredis 6 gives as
// a flat [stream, entries, ...] and node-redis as an object { stream: entries }; null when nothing came.
function readReply (reply: unknown): RedisStreamEntry[] {
  if (reply === null || typeof reply !== 'object') return []
  if (!Array.isArray(reply)) return Object.values(reply).flatMap(entries)
  if (typeof reply[0] === 'string') return reply.filter((_, i) => i % 2 === 1).flatMap(entries)
  return reply.flatMap((pair) => entries((pair as unknown[])[1]))
}

/**
 * A Redis streams consumer group member, run as a worker. It reads only as many entries as it can
 * start at once, so none wait in the client, and claims entries abandoned by consumers that died.
 * Its stop interrupts the blocking read, stops claiming, hands on what a last read brought (marked
 * idle, so the next consumer's claim takes it at once), lets the running handlers finish and
 * XACKs them, then removes this consumer from the group once its pending list is empty (a name
 * per process would otherwise pile up). At the timeout those still running stay pending, for
 * another consumer to claim, and are counted as cut.
 */
export function redisStream (client: RedisStreamClient, options: RedisStreamConsumerOptions): Worker {
  if (!hasMethods(client, 'duplicate') || (!hasMethods(client, 'call') && !hasMethods(client, 'sendCommand'))) {
    invalidClient('redisStream', 'an ioredis or node-redis client', client, 'consumers')
  }
  assertOptions('consumers.redisStream', options, [...FLOW_OPTIONS, 'stream', 'group', 'consumer', 'block', 'claimIdle'])
  for (const name of ['stream', 'group'] as const) {
    if (typeof options?.[name] !== 'string' || options[name] === '') throw new InvalidArgumentError(`consumers.redisStream option "${name}"`, describe(options?.[name]), `the ${name}'s name`)
  }
  const consumer = options.consumer ?? `${hostname()}-${process.pid}`
  const block = options.block ?? CONSUMER_DEFAULTS.redisStream.block
  const claimIdle = options.claimIdle ?? CONSUMER_DEFAULTS.redisStream.claimIdle
  for (const [name, value] of [['block', block], ['claimIdle', claimIdle]] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 2 ** 31 - 1) throw new InvalidArgumentError(`consumers.redisStream option "${name}"`, describe(value), 'a whole number of milliseconds, 0 or more')
  }
  const { stream, group } = options
  const main = commands(client)
  const flow = new Flow<RedisStreamEntry>('consumers.redisStream', options)
  let reader: Commands | undefined
  let readerId: string | undefined
  let failedAcks = 0
  const unstarted: string[] = []
  let loop: Promise<void> = Promise.resolve()

  return {
    start: async ({ log, signal }) => {
      // A shutdown that begins while this start is still under way.
      signal.addEventListener('abort', () => flow.stop(), { once: true })
      await main.send(['XGROUP', 'CREATE', stream, group, '$', 'MKSTREAM']).catch((error: unknown) => {
        if (!String((error as Error)?.message).startsWith('BUSYGROUP')) throw error
      })
      // Its own connection: a blocking read would hold up every other command of the app's client.
      const duplicate = (client as { duplicate: () => unknown }).duplicate() as { connect?: () => Promise<unknown>, status?: string, on?: (event: 'error', listener: (error: unknown) => void) => unknown }
      // The duplicate has none of the app's listeners: without one, a lost connection would crash the process.
      duplicate.on?.('error', (error) => log.debug({ reason: describeError(error) }, 'consumer: reading connection error'))
      if (typeof duplicate.connect === 'function' && duplicate.status === undefined) await duplicate.connect()
      reader = commands(duplicate)
      readerId = String(await reader.send(['CLIENT', 'ID']))
      const run = (entry: RedisStreamEntry): void => flow.run(entry, async (failure) => {
        // A failed entry stays pending: it is claimed again after claimIdle.
        if (failure !== undefined) return log.error({ reason: describeError(failure), id: entry.id }, 'consumer: handler failed; the entry stays pending')
        if (!await attempt(log, 'XACK (the entry stays pending)', async () => await main.send(['XACK', stream, group, entry.id]))) failedAcks++
      })
      let cursor = '0-0'
      loop = flow.pullUntilStopped(log, 'read', async () => {
        if (claimIdle > 0) {
          const claimed = await main.send(['XAUTOCLAIM', stream, group, consumer, String(claimIdle), cursor, 'COUNT', String(flow.room)]) as [string, unknown]
          cursor = String(claimed[0])
          for (const entry of entries(claimed[1])) run(entry)
          if (flow.room === 0 || flow.stopped.aborted) return
        }
        const reply = await reader?.send(['XREADGROUP', 'GROUP', group, consumer, 'COUNT', String(flow.room), 'BLOCK', String(block), 'STREAMS', stream, '>'])
        for (const entry of readReply(reply)) {
          // Read as the stop began: not started, handed on instead (below).
          if (flow.stopped.aborted) unstarted.push(entry.id)
          else run(entry)
        }
      })
    },
    stop: async ({ signal, log }): Promise<WorkerOutcome> => {
      flow.stop()
      // The read may reach the server after the first UNBLOCK (two connections): asked again until the loop ends.
      const ended = loop.then(() => true)
      if (readerId !== undefined) {
        const id = readerId
        do await attempt(log, 'CLIENT UNBLOCK', async () => await main.send(['CLIENT', 'UNBLOCK', id]))
        while (!signal.aborted && !await Promise.race([ended, sleep(100).then(() => false)]))
      }
      await Promise.race([loop, aborted(signal)])
      // Redis streams cannot give an entry back: it is marked idle for long (XCLAIM ... IDLE), so
      // that the next consumer's claim takes it at once.
      if (unstarted.length > 0) await attempt(log, 'handing on unstarted entries (XCLAIM IDLE)', async () => await main.send(['XCLAIM', stream, group, consumer, '0', ...unstarted.splice(0), 'IDLE', String(HAND_ON_IDLE), 'JUSTID']))
      const abandoned = await flow.settle(signal)
      if (abandoned.length === 0 && failedAcks === 0) {
        await attempt(log, 'XGROUP DELCONSUMER', async () => {
          const pending = await main.send(['XPENDING', stream, group, '-', '+', '1', consumer])
          if (Array.isArray(pending) && pending.length === 0) await main.send(['XGROUP', 'DELCONSUMER', stream, group, consumer])
        })
      }
      if (reader !== undefined) await attempt(log, 'closing the reading connection', reader.quit)
      return { cut: abandoned.length + failedAcks }
    }
  }
}
