import underPressure from '@fastify/under-pressure'
import type { FastifyInstance } from 'fastify'
import type { LivenessOptions } from './options'
import type { CheckResult } from './run-check'

interface MemoryUsage { eventLoopDelay: number, heapUsed: number, rssBytes: number }

/**
 * The liveness check: is this process itself healthy (event loop, memory), never its dependencies.
 * Measurements come from @fastify/under-pressure, registered here without thresholds so that it
 * sheds nothing, unless the application registered it already.
 */
export async function registerEventLoopCheck (fastify: FastifyInstance, thresholds: Required<LivenessOptions>): Promise<() => CheckResult> {
  if (!fastify.hasDecorator('memoryUsage')) await fastify.register(underPressure)
  return () => {
    const usage = (fastify as unknown as { memoryUsage: () => MemoryUsage }).memoryUsage()
    // under-pressure reports Infinity when its histogram got no sample in the last interval: that
    // is no measurement, not a blocked loop (a blocked loop shows as a large finite delay after it).
    const delay = Number.isFinite(usage.eventLoopDelay) ? Math.round(usage.eventLoopDelay * 10) / 10 : 0
    const breach = (
      (delay > thresholds.maxEventLoopDelay && `event loop delay ${delay} ms above ${thresholds.maxEventLoopDelay} ms`) ||
      (thresholds.maxHeapUsedBytes > 0 && usage.heapUsed > thresholds.maxHeapUsedBytes && `heap used ${usage.heapUsed} bytes above ${thresholds.maxHeapUsedBytes}`) ||
      (thresholds.maxRssBytes > 0 && usage.rssBytes > thresholds.maxRssBytes && `RSS ${usage.rssBytes} bytes above ${thresholds.maxRssBytes}`)
    )
    return breach === false
      ? { status: 'pass', observedValue: delay, observedUnit: 'ms' }
      : { status: 'fail', observedValue: delay, observedUnit: 'ms', output: breach }
  }
}
