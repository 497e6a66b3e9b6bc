import type { FastifyInstance } from 'fastify'
import { AlreadyRegisteredError } from './errors'
import { createHealth } from './health'
import { detectLaunchers } from './launchers'
import { registerEventLoopCheck } from './liveness'
import { resolveOptions, type ZeroDowntimeOptions } from './options'
import { registerRoutes } from './routes'
import { joinProcess } from './signals'
import { TickShapeHold } from './tick-shape'

export const EVENT_LOOP_CHECK = 'eventloop'

// Set where the plugin is registered; Fastify's hasDecorator() also sees it from inner contexts.
const kRegistered = Symbol.for('fastify-zero-downtime.registered')

export async function plugin (fastify: FastifyInstance, input: ZeroDowntimeOptions): Promise<void> {
  if (fastify.hasDecorator(kRegistered)) throw new AlreadyRegisteredError('fastify-zero-downtime is already registered on this instance or one enclosing it')
  if (fastify.hasDecorator('health')) throw new AlreadyRegisteredError('this instance already has a "health" decorator from another plugin')
  const options = resolveOptions(input)
  // Keeps Node's nextTick on its fast path despite the checks' garbage (lib/tick-shape.ts); the
  // closing callback below, which releases it, is also what keeps it alive until then.
  const tickShape = options.holdTickShape ? new TickShapeHold() : undefined
  const { api: health, probes, attach } = createHealth(fastify, options, detectLaunchers())
  fastify.decorate('health', health)
  fastify.decorate(kRegistered, true)

  if (options.liveness !== false) {
    health.check(EVENT_LOOP_CHECK, await registerEventLoopCheck(fastify, options.liveness), { groups: ['liveness'] })
  }
  registerRoutes(fastify, probes, options)
  const membership = joinProcess({ log: fastify.log, options, shutdown: async () => await health.shutdown() })
  // PM2 may stop the old worker once this one says ready: only when it is ready and listening.
  let listening = false
  fastify.addHook('onListen', async () => { listening = true; if (health.state === 'ready') membership.ready() })
  health.onStateChange((state) => { if (state === 'ready' && listening) membership.ready() })
  attach(() => { membership.leave(); tickShape?.release() })
}
