import closeWithGrace from 'close-with-grace'
import type { FastifyBaseLogger } from 'fastify'
import { UncleanShutdownError } from './errors'
import type { Health } from './health'
import type { ResolvedOptions } from './options'
import { describeError } from './redact'

// Every event close-with-grace can listen for; what the options do not ask for is skipped.
const ALL_EVENTS = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGSEGV', 'SIGUSR2', 'SIGTERM', 'uncaughtException', 'unhandledRejection', 'beforeExit']

/**
 * Runs the shutdown on a termination signal (and, opted in, on an uncaught error), then exits:
 * 0 when it was clean, 1 otherwise. A second signal exits at once with 1 (close-with-grace).
 * Returns the function that removes the handlers.
 */
export function installSignalHandlers (health: Health, log: FastifyBaseLogger, options: ResolvedOptions): () => void {
  if (options.signals === false && !options.shutdownOnError) return () => {}
  const wanted = new Set<string>(options.signals === false ? [] : options.signals)
  if (options.shutdownOnError) wanted.add('uncaughtException').add('unhandledRejection')
  const { uninstall } = closeWithGrace({
    delay: options.gracePeriod,
    logger: { error: (err: unknown) => log.error({ reason: describeError(err) }, 'shutdown failed (exit code 1)') },
    skip: ALL_EVENTS.filter((event) => !wanted.has(event)) as closeWithGrace.AllEvents[],
    onSecondSignal: (signal) => log.error({ signal }, `second ${signal} during shutdown: exiting at once (exit code 1)`),
    onSecondError: (err) => log.error({ reason: describeError(err) }, 'second uncaught error during shutdown: exiting at once (exit code 1)'),
    onTimeout: (delay) => log.error(`shutdown did not finish within gracePeriod (${delay} ms): exiting (exit code 1)`)
  }, async ({ signal, err }) => {
    if (err !== undefined) log.error({ reason: describeError(err) }, 'uncaught error: shutting down (exit code 1)')
    else log.info({ signal }, `${String(signal)} received: shutting down`)
    const report = await health.shutdown()
    ;(log as { flush?: () => void }).flush?.()
    if (!report.clean) throw new UncleanShutdownError(report.problems.join('; '))
  })
  return uninstall
}
