// What the linter knows about the schema, read from the migrations in order: each table's columns,
// their types, whether they are NOT NULL or have a default (and were added in this release), the
// NOT NULL checks validated on them, any validated CHECK, and which tables are new in this release.

export type Node = Record<string, any>

export interface ColumnType { name: string, mods: number[], array: boolean }

/** What the running code's INSERTs depend on: a NOT NULL column they leave out needs its default. */
export interface ColumnWrites { notNull: boolean, defaulted: boolean, /** added in this release: the running code does not write it */ isNew: boolean }

interface Table {
  columns: Map<string, ColumnType>
  writes: Map<string, ColumnWrites>
  notNullChecks: Map<string, { column: string, valid: boolean }>
  /** CHECK constraints by name, and whether each is validated (ATTACH PARTITION can use them). */
  checks: Map<string, boolean>
  isNew: boolean
}

const emptyTable = (isNew: boolean): Table => ({ columns: new Map(), writes: new Map(), notNullChecks: new Map(), checks: new Map(), isNew })

/** Whether a column definition says NOT NULL (or PRIMARY KEY), and whether it has a default. */
export function columnWrites (column: Node, isNew: boolean): ColumnWrites {
  const types: string[] = (column.constraints ?? []).map((c: Node) => c.Constraint.contype)
  return {
    notNull: types.some((type) => type === 'CONSTR_NOTNULL' || type === 'CONSTR_PRIMARY'),
    defaulted: types.some((type) => ['CONSTR_DEFAULT', 'CONSTR_IDENTITY', 'CONSTR_GENERATED'].includes(type)) || /serial/.test(columnType(column.typeName).name),
    isNew
  }
}

/** The parser already names built-in types canonically (pg_catalog.int4, varchar, numeric, bpchar). */
export function columnType (typeName: Node): ColumnType {
  const names: string[] = typeName.names.map((n: Node) => n.String.sval)
  const last = names[names.length - 1].toLowerCase()
  const mods = (typeName.typmods ?? []).map((m: Node) => m.A_Const?.ival?.ival ?? -1)
  return { name: last, mods, array: typeName.arrayBounds !== undefined }
}

/** `schema.table`, with `public.` dropped: the default schema of most migrations. */
export function relationName (relation: Node): string {
  const schema = relation.schemaname
  const name = String(relation.relname)
  return schema === undefined || schema === 'public' ? name : `${String(schema)}.${name}`
}

export class SchemaModel {
  readonly #tables = new Map<string, Table>()
  /** Each index's table, for REINDEX INDEX. */
  readonly #indexes = new Map<string, string>()

  addIndex (index: string, table: string): void { this.#indexes.set(index, table) }

  indexTable (index: string): string | undefined { return this.#indexes.get(index) }

  createTable (name: string, columns: Node[], isNew: boolean): void {
    const table = emptyTable(isNew)
    for (const element of columns) {
      const column = element.ColumnDef
      if (column?.typeName === undefined) continue
      table.columns.set(column.colname, columnType(column.typeName))
      table.writes.set(column.colname, columnWrites(column, false))
    }
    this.#tables.set(name, table)
    for (const { Constraint: constraint } of columns) {
      if (constraint?.contype === 'CONSTR_CHECK') this.addCheck(name, constraint.conname, constraint.raw_expr, constraint.skip_validation !== true)
    }
  }

  dropTable (name: string): void { this.#tables.delete(name) }

  tableCount (): number { return this.#tables.size }

  renameTable (from: string, to: string): void {
    const table = this.#tables.get(from)
    if (table === undefined) return
    this.#tables.delete(from)
    this.#tables.set(to, table)
  }

  /** A table created in this release: old code does not use it, and it has no rows to lock or rewrite. */
  isNew (name: string): boolean { return this.#tables.get(name)?.isNew === true }

  type (table: string, column: string): ColumnType | undefined { return this.#tables.get(table)?.columns.get(column) }

  setType (table: string, column: string, type: ColumnType | undefined): void {
    if (type === undefined) this.#tables.get(table)?.columns.delete(column)
    else this.#table(table).columns.set(column, type)
  }

  /** What is known of a column's NOT NULL and default; undefined for a column the migrations never defined. */
  writes (table: string, column: string): ColumnWrites | undefined { return this.#tables.get(table)?.writes.get(column) }

  setWrites (table: string, column: string, writes: ColumnWrites | undefined): void {
    if (writes === undefined) this.#tables.get(table)?.writes.delete(column)
    else this.#table(table).writes.set(column, writes)
  }

  /** Records SET/DROP NOT NULL and SET/DROP DEFAULT on a column whose definition is known. */
  updateWrites (table: string, column: string, change: Partial<ColumnWrites>): void {
    const known = this.writes(table, column)
    if (known !== undefined) Object.assign(known, change)
  }

  renameColumn (table: string, from: string, to: string): void {
    const type = this.type(table, from)
    const writes = this.writes(table, from)
    this.setType(table, from, undefined)
    this.setType(table, to, type)
    this.setWrites(table, from, undefined)
    this.setWrites(table, to, writes)
  }

  /** `CHECK (column IS NOT NULL)`, which lets PostgreSQL 12+ SET NOT NULL without a scan once valid. */
  addCheck (table: string, name: string | undefined, expression: Node | undefined, valid: boolean): void {
    this.#table(table).checks.set(name ?? `${table}_check_${this.#table(table).checks.size}`, valid)
    const test = expression?.NullTest
    const column = test?.nulltesttype === 'IS_NOT_NULL' ? test.arg?.ColumnRef?.fields?.[0]?.String?.sval : undefined
    if (column === undefined) return
    this.#table(table).notNullChecks.set(name ?? `${table}_${String(column)}_check`, { column, valid })
  }

  validate (table: string, name: string): void {
    const check = this.#tables.get(table)?.notNullChecks.get(name)
    if (check !== undefined) check.valid = true
    const checks = this.#tables.get(table)?.checks
    if (checks?.has(name) === true) checks.set(name, true)
  }

  dropConstraint (table: string, name: string): void {
    this.#tables.get(table)?.notNullChecks.delete(name)
    this.#tables.get(table)?.checks.delete(name)
  }

  /** A validated CHECK on the table: ATTACH PARTITION skips its scan when one implies the bounds. */
  hasValidCheck (table: string): boolean { return [...this.#tables.get(table)?.checks.values() ?? []].includes(true) }

  hasValidNotNullCheck (table: string, column: string): boolean {
    for (const check of this.#tables.get(table)?.notNullChecks.values() ?? []) if (check.column === column && check.valid) return true
    return false
  }

  /** A table the migrations never created (it predates them): known from its first mention on. */
  #table (name: string): Table {
    let table = this.#tables.get(name)
    if (table === undefined) {
      table = emptyTable(false)
      this.#tables.set(name, table)
    }
    return table
  }

  /** Tables created so far stop being new at a release boundary. */
  release (): void {
    for (const table of this.#tables.values()) {
      table.isNew = false
      for (const writes of table.writes.values()) writes.isNew = false
    }
  }
}

/** Type changes that PostgreSQL makes without rewriting the table (binary coercible, wider limits). */
export function rewritesTable (from: ColumnType, to: ColumnType): boolean {
  // An array's elements are coerced one by one (ArrayCoerceExpr): a rewrite unless the element's
  // type stays and its limit does too, or goes.
  if (from.array || to.array) return from.array !== to.array || from.name !== to.name || !(to.mods.length === 0 || from.mods.join() === to.mods.join())
  const wider = (a: number | undefined, b: number | undefined): boolean => b === undefined || (a !== undefined && b >= a)
  const [fromLimit, toLimit] = [from.mods[0], to.mods[0]]
  if (from.name === to.name) {
    if (from.name === 'numeric') return !(to.mods.length === 0 || (wider(fromLimit, toLimit) && from.mods[1] === to.mods[1]))
    if (['varchar', 'varbit', 'timestamp', 'timestamptz', 'time', 'timetz', 'interval'].includes(from.name)) return !wider(fromLimit, toLimit)
    return from.mods.join() !== to.mods.join()
  }
  if (from.name === 'varchar' && to.name === 'text') return false
  if (from.name === 'text' && to.name === 'varchar') return to.mods.length > 0
  if (from.name === 'cidr' && to.name === 'inet') return false
  if (from.name === 'bit' && to.name === 'varbit') return to.mods.length > 0
  return true
}
