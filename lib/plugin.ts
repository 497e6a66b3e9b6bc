import type { FastifyInstance } from 'fastify'
import { Health } from './health'
import { registerEventLoopCheck } from './liveness'
import { resolveOptions, type ZeroDowntimeOptions } from './options'
import { registerRoutes } from './routes'
import { installSignalHandlers } from './signals'

export const EVENT_LOOP_CHECK = 'eventloop'

export async function plugin (fastify: FastifyInstance, input: ZeroDowntimeOptions): Promise<void> {
  const options = resolveOptions(input)
  const health = new Health(fastify, options)
  fastify.decorate('health', health)

  if (options.liveness !== false) {
    health.check(EVENT_LOOP_CHECK, await registerEventLoopCheck(fastify, options.liveness), { groups: ['liveness'] })
  }
  registerRoutes(fastify, health, options)
  const uninstall = installSignalHandlers(health, fastify.log, options)

  fastify.addHook('onReady', async () => { await health.start() })
  fastify.addHook('preClose', async () => { health.beginClosing() })
  fastify.addHook('onClose', async () => {
    uninstall()
    await health.finish()
  })
}
