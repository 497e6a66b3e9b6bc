import type { PostgresClient } from './clients'
import { InvalidArgumentError, describe } from '../errors'
import { describeError } from '../redact'
import { withClose, type BuiltInCheck } from './common'
import { postgresRunner } from './postgres'
import { assertOptions } from '../names'

/** Where the migration tool records what it applied. */
export type MigrationHistory = 'node-pg-migrate' | 'umzug' | { table: string, column?: string }

export interface SchemaCheckOptions {
  /** The migration tool's history table: a preset, or a plain table. */
  history: MigrationHistory
  /** The last migration this build needs, as the history table names it. */
  requires: string
  /** This build's compatibility level; a contract migration raises the floor above older builds. */
  compatibility: number
  /** The table holding the floor. Default: `'zero_downtime_compatibility'`. */
  floorTable?: string
}

/** The history table of each migration tool preset. */
const PRESETS: Record<string, { table: string, column: string }> = {
  'node-pg-migrate': { table: 'pgmigrations', column: 'name' },
  // umzug's SequelizeStorage, the usual storage for PostgreSQL.
  umzug: { table: 'SequelizeMeta', column: 'name' }
}

export const SCHEMA_CHECK = Symbol.for('fastify-zero-downtime.readiness-only')
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$/

function quoted (option: string, name: unknown): string {
  if (typeof name !== 'string' || !IDENTIFIER.test(name)) throw new InvalidArgumentError(`checks.schema() option ${option}`, describe(name), 'a table or column name, optionally schema-qualified')
  return name.split('.').map((part) => `"${part}"`).join('.')
}

/** SQL for a migration that creates the floor table (expand). */
export function floorTableSql (table = 'zero_downtime_compatibility'): string {
  return `CREATE TABLE IF NOT EXISTS ${quoted('floorTable', table)} (floor integer NOT NULL, raised_at timestamptz NOT NULL DEFAULT now());`
}

/** SQL for a contract migration: builds below `floor` are no longer ready. */
export function raiseFloorSql (floor: number, table = 'zero_downtime_compatibility'): string {
  if (!Number.isSafeInteger(floor) || floor < 0) throw new InvalidArgumentError('raiseFloorSql()', describe(floor), 'a whole number, 0 or more')
  return `INSERT INTO ${quoted('floorTable', table)} (floor) VALUES (${floor});`
}

/**
 * Ready only if the database is compatible with this build: every migration it needs is applied
 * (not behind), and no contract migration raised the compatibility floor above it (not too new).
 * One query; readiness only, never liveness.
 */
export function schema (client: PostgresClient, options: SchemaCheckOptions): BuiltInCheck {
  const runner = postgresRunner('schema', client)
  assertOptions('checks.schema()', options, ['history', 'requires', 'compatibility', 'floorTable'])
  const history = typeof options?.history === 'string' ? PRESETS[options.history] : options?.history
  if (history === undefined || typeof history !== 'object') throw new InvalidArgumentError('checks.schema() option history', describe(options?.history), '"node-pg-migrate", "umzug", or { table, column }')
  if (typeof options.requires !== 'string' || options.requires === '') throw new InvalidArgumentError('checks.schema() option requires', describe(options.requires), 'the name of the last migration this build needs')
  if (!Number.isSafeInteger(options.compatibility) || options.compatibility < 0) throw new InvalidArgumentError('checks.schema() option compatibility', describe(options.compatibility), 'a whole number, 0 or more')
  const text = `SELECT EXISTS (SELECT 1 FROM ${quoted('history.table', history.table)} WHERE ${quoted('history.column', history.column ?? 'name')} = $1) AS applied, ` +
    `(SELECT max(floor) FROM ${quoted('floorTable', options.floorTable ?? 'zero_downtime_compatibility')}) AS floor`
  const { requires, compatibility } = options
  const check = withClose(async ({ signal }) => {
    let row: Record<string, unknown>
    try {
      [row] = await runner.query(text, [requires], signal)
    } catch (error) {
      // (After a timeout this outcome is ignored: the timeout was recorded at the deadline.)
      return { status: 'fail', output: `schema_check_error: ${describeError(error)}` }
    }
    const floor = row.floor === null ? 0 : Number(row.floor)
    if (row.applied !== true) return { status: 'fail', observedValue: floor, output: `schema_behind: migration "${requires}" is not applied yet` }
    if (floor > compatibility) return { status: 'fail', observedValue: floor, output: `schema_too_new: the compatibility floor is ${floor}, above this build's ${compatibility}` }
    return { status: 'pass', observedValue: floor, observedUnit: 'compatibility floor' }
  }, runner.close)
  return Object.assign(check, { [SCHEMA_CHECK]: true })
}
