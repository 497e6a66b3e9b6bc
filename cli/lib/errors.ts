import createError from '@fastify/error'

// The CLI's errors carry stable `FST_ZD_CLI_*` codes, like the plugin's. Each one is bad input
// (exit 2); anything else the CLI throws is a bug and is reported as one (exit 3).

export const UsageError = createError<'FST_ZD_CLI_USAGE', [string]>('FST_ZD_CLI_USAGE', '%s')
export const UnreadableError = createError<'FST_ZD_CLI_UNREADABLE', [string, string]>('FST_ZD_CLI_UNREADABLE', 'cannot read %s: %s')
export const EncodingError = createError<'FST_ZD_CLI_ENCODING', [string, string]>('FST_ZD_CLI_ENCODING', '%s: %s')
export const SqlSyntaxError = createError<'FST_ZD_CLI_SQL_SYNTAX', [string, string]>('FST_ZD_CLI_SQL_SYNTAX', '%s: cannot parse: %s')
export const NoMigrationsError = createError<'FST_ZD_CLI_NO_MIGRATIONS', [string]>('FST_ZD_CLI_NO_MIGRATIONS', '%s: no migration found: expected files ending in .sql')
export const ManifestError = createError<'FST_ZD_CLI_MANIFEST', [string]>('FST_ZD_CLI_MANIFEST', '%s')
export const ConfigError = createError<'FST_ZD_CLI_CONFIG', [string]>('FST_ZD_CLI_CONFIG', '%s')

/** Bad input, as opposed to a bug in the CLI. */
export function isInputError (error: unknown): error is Error & { code: string } {
  return typeof (error as { code?: unknown })?.code === 'string' && (error as { code: string }).code.startsWith('FST_ZD_CLI_')
}
