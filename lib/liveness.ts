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
    // under-pressure reports Infinity when its histogram took no sample in its last interval: the
    // loop did not turn twice in that time, so it was blocked nearly throughout (a loop that spins
    // with short breaks shows only this, never a finite delay). That is a breach, not a missing value.
    const delay = Math.round(usage.eventLoopDelay * 10) / 10
    const measured = Number.isFinite(delay)
    const breach = (
      (delay > thresholds.maxEventLoopDelay && (measured
        ? `event loop delay ${delay} ms above ${thresholds.maxEventLoopDelay} ms`
        : `event loop blocked throughout the last sample interval (no delay sample), above ${thresholds.maxEventLoopDelay} ms`)) ||
      (thresholds.maxHeapUsedBytes > 0 && usage.heapUsed > thresholds.maxHeapUsedBytes && `heap used ${usage.heapUsed} bytes above ${thresholds.maxHeapUsedBytes}`) ||
      (thresholds.maxRssBytes > 0 && usage.rssBytes > thresholds.maxRssBytes && `RSS ${usage.rssBytes} bytes above ${thresholds.maxRssBytes}`)
    )
    const observed = measured ? { observedValue: delay, observedUnit: 'ms' } : {}
    return breach === false ? { status: 'pass', ...observed } : { status: 'fail', ...observed, output: breach }
  }
}
