import createError from '@fastify/error'

// The CLI's errors carry stable `FST_ZD_CLI_*` codes, like the plugin's. Each one is bad input
// (exit 2); anything else the CLI throws is a bug and is reported as one (exit 3).

export const UsageError = createError<'FST_ZD_CLI_USAGE', [string]>('FST_ZD_CLI_USAGE', '%s')
export const UnreadableError = createError<'FST_ZD_CLI_UNREADABLE', [string, string]>('FST_ZD_CLI_UNREADABLE', 'cannot read %s: %s')
export const EncodingError = createError<'FST_ZD_CLI_ENCODING', [string, string]>('FST_ZD_CLI_ENCODING', '%s: %s')
export const SqlSyntaxError = createError<'FST_ZD_CLI_SQL_SYNTAX', [string, string]>('FST_ZD_CLI_SQL_SYNTAX', '%s: cannot parse: %s')
export const NoMigrationsError = createError<'FST_ZD_CLI_NO_MIGRATIONS', [string]>('FST_ZD_CLI_NO_MIGRATIONS', '%s: no migration found: expected files ending in .sql')
export const ManifestError = createError<'FST_ZD_CLI_MANIFEST', [string]>('FST_ZD_CLI_MANIFEST', '%s')
export const DatabaseError = createError<'FST_ZD_CLI_DATABASE', [string]>('FST_ZD_CLI_DATABASE', '%s')
export const NotScratchError = createError<'FST_ZD_CLI_NOT_SCRATCH', [string]>('FST_ZD_CLI_NOT_SCRATCH', '%s')
export const TraceFailedError = createError<'FST_ZD_CLI_TRACE_FAILED', [string, string]>('FST_ZD_CLI_TRACE_FAILED', '%s: the statement failed in trace mode, and everything was rolled back: %s')
export const LockRetriesError = createError<'FST_ZD_CLI_LOCK_RETRIES', [number, number, string]>('FST_ZD_CLI_LOCK_RETRIES', 'the step timed out waiting for its lock %d time(s) (lock_timeout %d ms), and was rolled back each time%s: retry later, or find what holds the lock')
export const LockRetryOptionError = createError<'FST_ZD_CLI_LOCK_RETRY_OPTION', [string, string, string]>('FST_ZD_CLI_LOCK_RETRY_OPTION', '%s is %s: expected %s', 500, TypeError)
export const SchemaDumpError = createError<'FST_ZD_CLI_SCHEMA_DUMP', [string, string]>('FST_ZD_CLI_SCHEMA_DUMP', '%s: not a schema dump: %s')
export const ConfigError = createError<'FST_ZD_CLI_CONFIG', [string]>('FST_ZD_CLI_CONFIG', '%s')

/** Bad input, as opposed to a bug in the CLI. */
export function isInputError (error: unknown): error is Error & { code: string } {
  return typeof (error as { code?: unknown })?.code === 'string' && (error as { code: string }).code.startsWith('FST_ZD_CLI_')
}
