import type { FastifyInstance } from 'fastify'
import { Health } from './health'
import { detectLaunchers } from './launchers'
import { registerEventLoopCheck } from './liveness'
import { resolveOptions, type ZeroDowntimeOptions } from './options'
import { registerRoutes } from './routes'
import { joinProcess } from './signals'
import { TickShapeHold } from './tick-shape'

export const EVENT_LOOP_CHECK = 'eventloop'

export async function plugin (fastify: FastifyInstance, input: ZeroDowntimeOptions): Promise<void> {
  const options = resolveOptions(input)
  // Keeps Node's nextTick on its fast path despite the checks' garbage (lib/tick-shape.ts); the
  // closing callback below, which releases it, is also what keeps it alive until then.
  const tickShape = new TickShapeHold()
  const health = new Health(fastify, options, detectLaunchers())
  fastify.decorate('health', health.api())

  if (options.liveness !== false) {
    health.check(EVENT_LOOP_CHECK, await registerEventLoopCheck(fastify, options.liveness), { groups: ['liveness'] })
  }
  registerRoutes(fastify, health, options)
  const membership = joinProcess({ log: fastify.log, options, shutdown: async () => await health.shutdown() })
  // PM2 may stop the old worker once this one says ready: only when it is ready and listening.
  let listening = false
  fastify.addHook('onListen', async () => { listening = true; if (health.state === 'ready') membership.ready() })
  health.onStateChange((state) => { if (state === 'ready' && listening) membership.ready() })
  health.attach(() => { membership.leave(); tickShape.release() })
}
