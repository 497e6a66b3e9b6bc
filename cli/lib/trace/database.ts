import { redact } from 'fastify-zero-downtime/messages'
import { catalogQuery, type DatabaseSession } from '../database'
import { NotScratchError } from '../errors'

/** What trace mode needs of a database session. */
export type TraceDatabase = DatabaseSession

// A scratch database says so in its name: one of these words, alone or between _ - . or digits.
const SCRATCH_WORDS = ['scratch', 'test', 'tests', 'testing', 'tmp', 'temp', 'shadow', 'trace', 'ci', 'dev', 'local', 'sandbox']

/** Whether a database name reads as a scratch database's (app_test, scratch, ci-42, shadow_db). */
export function looksScratch (name: string): boolean {
  return name.toLowerCase().split(/[^a-z]+/).some((word) => SCRATCH_WORDS.includes(word))
}

/**
 * Refuses a database that looks like production: a standby, a name that does not read as a
 * scratch database's, or other client sessions connected to it. `allowAny` skips the last two.
 */
export async function assertScratch (db: TraceDatabase, allowAny: boolean): Promise<string> {
  const [row] = await catalogQuery(db, `SELECT current_database() AS name, pg_is_in_recovery() AS standby,
    (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend')::int AS others`)
  const name = String(row.name)
  if (row.standby === true) throw new NotScratchError(`database ${redact(name)} is a standby: trace mode needs a writable scratch database`)
  if (allowAny) return name
  if (!looksScratch(name)) throw new NotScratchError(`database ${redact(name)} does not look like a scratch database: expected a name with one of ${SCRATCH_WORDS.join(', ')} in it, or --allow-any-database`)
  if (Number(row.others) > 0) throw new NotScratchError(`database ${redact(name)} has ${String(row.others)} other client session(s) connected: a scratch database has none; close them, or --allow-any-database`)
  return name
}
