import { createWarning } from 'process-warning'

// Warnings go through process-warning, as Fastify's do: each has its FST_ZD_* code, so a user
// silences one with `node --disable-warning=FST_ZD_LAUNCHER_TIMEOUT`. Unlimited: each instance
// and each launcher finding is its own warning, and the functions keep no state between apps.
export const warnings = {
  FST_ZD_LAUNCHER_TIMEOUT: createWarning({ name: 'FastifyZeroDowntimeWarning', code: 'FST_ZD_LAUNCHER_TIMEOUT', message: '%s', unlimited: true })
}
