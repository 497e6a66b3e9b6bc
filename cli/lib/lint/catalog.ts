import { redact } from 'fastify-zero-downtime/messages'
import { RELATION_NAME, USER_RELATION, catalogQuery, connect, type DatabaseSession } from '../database'
import { DatabaseError } from '../errors'

// --database-url: the live schema of the database the migrations will run on, read in one READ ONLY
// transaction (statement_timeout and lock_timeout set, rolled back: nothing is written). It is
// rendered as the SQL a schema dump holds, which the schema model reads as it reads --schema, with
// each table's estimated rows and size beside it.

export interface TableSize {
  rows: number
  /** statistics: the planner's estimate (reltuples scaled to the current size); pages: never analyzed, at most a full page's tuples per page. */
  basis: 'statistics' | 'pages'
  /** The table's size on disk (pg_table_size: with TOAST, without indexes); a partitioned table's, its partitions'. */
  bytes: number
}

export interface LiveSchema {
  database: string
  /** The server's major version: the default of --pg-version. */
  pgVersion: number
  /** CREATE TABLE, ADD CONSTRAINT and CREATE INDEX statements, as pg_dump --schema-only writes them. */
  sql: string
  /** Tables and partitioned tables read (materialized views have sizes, not columns to alter). */
  tables: number
  /** By table name as the linter writes it (`schema.table`, `public.` dropped). */
  sizes: Map<string, TableSize>
}

// Tables, partitioned tables and materialized views, with what their size estimate needs.
// pg_relation_size opens the relation (ACCESS SHARE): lock_timeout keeps it from waiting.
const TABLES = `SELECT c.oid::int8::text AS oid, ${RELATION_NAME} AS name, quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS qualified,
  c.relkind::text AS kind, c.reltuples::float8 AS reltuples, c.relpages::int8 AS relpages,
  pg_relation_size(c.oid)::int8 / current_setting('block_size')::int8 AS pages, pg_table_size(c.oid)::int8 AS bytes,
  current_setting('block_size')::int8 AS block_size
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'm') AND ${USER_RELATION} ORDER BY 2`
const COLUMNS = `SELECT a.attrelid::int8::text AS oid, quote_ident(a.attname) AS name, format_type(a.atttypid, a.atttypmod) AS type,
  a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS default, a.attidentity::text AS identity, a.attgenerated::text AS generated
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE c.relkind IN ('r', 'p') AND ${USER_RELATION} AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attrelid, a.attnum`
// Checks (with their validation state: "NOT VALID"), keys, foreign keys and exclusions.
const CONSTRAINTS = `SELECT k.conrelid::int8::text AS oid, quote_ident(k.conname) AS name, pg_get_constraintdef(k.oid) AS definition
  FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE k.contype IN ('c', 'f', 'p', 'u', 'x') AND ${USER_RELATION} ORDER BY k.conrelid, k.conname`
const INDEXES = `SELECT pg_get_indexdef(i.indexrelid) AS definition
  FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'm') AND ${USER_RELATION} AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x'))
  ORDER BY i.indexrelid`
const PARTITIONS = 'SELECT inhrelid::int8::text AS child, inhparent::int8::text AS parent FROM pg_inherits'
const NEEDS = 'pg_class, pg_attribute, pg_constraint, pg_index and pg_inherits, and open each table for its size'

type Row = Record<string, unknown>

/** Reads the schema of the database at `url`: read only, rolled back, a session of its own. */
export async function readLiveSchema (url: string): Promise<LiveSchema> {
  const db = await connect(url, '--database-url')
  try {
    await catalogQuery(db, "BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL statement_timeout = '10s'; SET LOCAL lock_timeout = '1s'", NEEDS)
    return await readSchema(db)
  } finally {
    await db.query('ROLLBACK').catch(() => {})
    await db.close()
  }
}

/** The schema as SQL and the tables' sizes, from a session already in its read-only transaction. */
export async function readSchema (db: DatabaseSession): Promise<LiveSchema> {
  const query = async (sql: string): Promise<Row[]> => await catalogQuery(db, sql, NEEDS)
  const [server] = await query("SELECT current_database() AS database, current_setting('server_version_num')::int AS version")
  const tables = await query(TABLES)
  const byOid = new Map(tables.map((table) => [String(table.oid), table]))
  const columns = groupBy(await query(COLUMNS))
  const constraints = await query(CONSTRAINTS)
  const statements: string[] = []
  for (const table of tables) {
    if (table.kind === 'm') continue
    const definitions = (columns.get(String(table.oid)) ?? []).map(columnDefinition)
    statements.push(`CREATE TABLE ${String(table.qualified)} (\n    ${definitions.join(',\n    ')}\n);`)
  }
  for (const constraint of constraints) {
    const table = byOid.get(String(constraint.oid))
    if (table !== undefined) statements.push(`ALTER TABLE ONLY ${String(table.qualified)} ADD CONSTRAINT ${String(constraint.name)} ${String(constraint.definition)};`)
  }
  for (const index of await query(INDEXES)) statements.push(`${String(index.definition)};`)
  if (tables.length === 0) throw new DatabaseError(`database ${redact(String(server.database))} has no table: expected the database the migrations run on (its schema before them)`)
  return {
    database: String(server.database),
    pgVersion: Math.floor(Number(server.version) / 10000),
    sql: `${statements.join('\n\n')}\n`,
    tables: tables.filter((table) => table.kind !== 'm').length,
    sizes: sizes(tables, byOid, await query(PARTITIONS))
  }
}

function groupBy (rows: Row[]): Map<string, Row[]> {
  const groups = new Map<string, Row[]>()
  for (const row of rows) {
    const key = String(row.oid)
    groups.set(key, [...groups.get(key) ?? [], row])
  }
  return groups
}

/** A column as pg_dump writes it: type, identity or generated expression, default, NOT NULL. */
function columnDefinition (column: Row): string {
  const parts = [String(column.name), String(column.type)]
  if (column.identity === 'a' || column.identity === 'd') parts.push(`GENERATED ${column.identity === 'a' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY`)
  else if (column.generated === 's') parts.push(`GENERATED ALWAYS AS (${String(column.default)}) STORED`)
  else if (column.default !== null) parts.push(`DEFAULT ${String(column.default)}`)
  if (column.not_null === true) parts.push('NOT NULL')
  return parts.join(' ')
}

/**
 * Rows as the planner estimates them: the density of the last VACUUM or ANALYZE (reltuples per
 * relpages) times the pages there are now. A table never analyzed (autovacuum skips one with few
 * changes) holds at most MaxHeapTuplesPerPage tuples a page: (block size - page header) / (tuple
 * header + line pointer). A partitioned table holds its partitions' rows.
 */
function sizes (tables: Row[], byOid: Map<string, Row>, partitions: Row[]): Map<string, TableSize> {
  const children = groupBy(partitions.map((p) => ({ oid: p.parent, child: p.child })))
  const sizeOf = (oid: string): TableSize => {
    const table = byOid.get(oid)!
    if (table.kind === 'p') {
      const parts = (children.get(oid) ?? []).filter((p) => byOid.has(String(p.child))).map((p) => sizeOf(String(p.child)))
      const sum = (key: 'rows' | 'bytes'): number => parts.reduce((total, p) => total + p[key], 0)
      return { rows: sum('rows'), basis: parts.some((p) => p.basis === 'pages') ? 'pages' : 'statistics', bytes: sum('bytes') }
    }
    const [reltuples, relpages, pages, bytes] = [Number(table.reltuples), Number(table.relpages), Number(table.pages), Number(table.bytes)]
    if (relpages > 0 && reltuples >= 0) return { rows: Math.round(reltuples / relpages * pages), basis: 'statistics', bytes }
    return { rows: pages * Math.floor((Number(table.block_size) - 24) / 28), basis: 'pages', bytes }
  }
  return new Map(tables.map((table) => [String(table.name), sizeOf(String(table.oid))]))
}
