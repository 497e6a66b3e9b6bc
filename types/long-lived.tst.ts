// Type tests of the long-lived work API against the real drivers' own types (dist/).
import Fastify from 'fastify'
import websocket from '@fastify/websocket'
import { WebSocketServer } from 'ws'
import amqplib from 'amqplib'
import { connect as natsConnect } from 'nats'
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { Worker as BullWorker } from 'bullmq'
import { describe, expect, test } from 'tstyche'
import zeroDowntime, { type EventStream, type WorkerReport, type ShutdownReport } from 'fastify-zero-downtime'

const { consumers } = zeroDowntime
const app = Fastify()

describe('workers', () => {
  test('a stop function or { start, stop }; options timeout and http', () => {
    expect(app.health.worker('a', async ({ signal }) => { signal.throwIfAborted() })).type.not.toRaiseError()
    expect(app.health.worker('b', { start: async () => {}, stop: () => ({ cut: 2 }) }, { timeout: 1000, http: true })).type.not.toRaiseError()
    expect(app.health.worker('c', () => {}, { htpp: true })).type.toRaiseError()
    expect(app.health.worker('d', { start: () => {} })).type.toRaiseError()
  })
  test('the report', async () => {
    const report = await app.health.shutdown()
    expect(report).type.toBe<ShutdownReport>()
    expect(report.workers).type.toBe<WorkerReport[]>()
    expect(report.workers[0].outcome).type.toBe<'stopped' | 'cut' | 'timeout' | 'failed'>()
  })
})

describe('WebSockets and SSE', () => {
  test('@fastify/websocket and a plain ws server', async () => {
    await app.register(websocket)
    const sockets = app.health.websockets(app.websocketServer, { timeout: 2000, code: 1001 })
    app.get('/ws', { websocket: true }, (socket) => {
      socket.on('message', () => { sockets.track(socket, Promise.resolve()).catch(() => {}) })
    })
    expect(app.health.websockets(new WebSocketServer({ noServer: true }))).type.not.toRaiseError()
    expect(app.health.websockets(new WebSocketServer({ noServer: true }), { cdoe: 1001 })).type.toRaiseError()
  })
  test('eventStream', () => {
    app.get('/events', async (request, reply) => {
      const stream = await app.health.eventStream(request, reply, { retry: 500, replay: (s) => { s.send({ id: s.lastEventId ?? '0', data: 'x' }) } })
      expect(stream).type.toBe<EventStream>()
      expect(stream.send({ data: 1 })).type.toRaiseError()
    })
  })
})

describe('consumers take the real drivers\' clients', () => {
  test('amqplib, nats, ioredis, node-redis, bullmq', async () => {
    const channel = await (await amqplib.connect('amqp://x')).createChannel()
    expect(consumers.amqp(channel, { queue: 'q', handler: async (message) => { message.content.toString() } })).type.not.toRaiseError()
    const nc = await natsConnect()
    expect(consumers.jetstream(nc.jetstream(), { stream: 's', consumer: 'c', handler: (message) => { message.data.slice() } })).type.not.toRaiseError()
    expect(consumers.redisStream(new Redis(), { stream: 's', group: 'g', handler: (entry) => { entry.fields.id.toUpperCase() } })).type.not.toRaiseError()
    expect(consumers.redisStream(createClient(), { stream: 's', group: 'g', handler: () => {} })).type.not.toRaiseError()
    expect(consumers.bullmq(new BullWorker('q', async () => {}, { autorun: false, connection: {} }))).type.not.toRaiseError()
    expect(consumers.amqp(nc, { queue: 'q', handler: () => {} })).type.toRaiseError()
    expect(consumers.redisStream('redis://x', { stream: 's', group: 'g', handler: () => {} })).type.toRaiseError()
  })
})
