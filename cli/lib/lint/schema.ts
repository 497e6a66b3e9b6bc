// What the linter knows about the schema, read from the migrations in order: each table's columns
// and their types, the NOT NULL checks validated on them, and which tables are new in this release.

export type Node = Record<string, any>

export interface ColumnType { name: string, mods: number[], array: boolean }

interface Table { columns: Map<string, ColumnType>, notNullChecks: Map<string, { column: string, valid: boolean }>, isNew: boolean }

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

  createTable (name: string, columns: Node[], isNew: boolean): void {
    const table: Table = { columns: new Map(), notNullChecks: new Map(), isNew }
    for (const element of columns) {
      const column = element.ColumnDef
      if (column?.typeName !== undefined) table.columns.set(column.colname, columnType(column.typeName))
    }
    this.#tables.set(name, table)
  }

  dropTable (name: string): void { this.#tables.delete(name) }

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

  renameColumn (table: string, from: string, to: string): void {
    const type = this.type(table, from)
    this.setType(table, from, undefined)
    this.setType(table, to, type)
  }

  /** `CHECK (column IS NOT NULL)`, which lets PostgreSQL 12+ SET NOT NULL without a scan once valid. */
  addCheck (table: string, name: string | undefined, expression: Node | undefined, valid: boolean): void {
    const test = expression?.NullTest
    const column = test?.nulltesttype === 'IS_NOT_NULL' ? test.arg?.ColumnRef?.fields?.[0]?.String?.sval : undefined
    if (column === undefined) return
    this.#table(table).notNullChecks.set(name ?? `${table}_${String(column)}_check`, { column, valid })
  }

  validate (table: string, name: string): void {
    const check = this.#tables.get(table)?.notNullChecks.get(name)
    if (check !== undefined) check.valid = true
  }

  dropConstraint (table: string, name: string): void { this.#tables.get(table)?.notNullChecks.delete(name) }

  hasValidNotNullCheck (table: string, column: string): boolean {
    for (const check of this.#tables.get(table)?.notNullChecks.values() ?? []) if (check.column === column && check.valid) return true
    return false
  }

  /** A table the migrations never created (it predates them): known from its first mention on. */
  #table (name: string): Table {
    let table = this.#tables.get(name)
    if (table === undefined) {
      table = { columns: new Map(), notNullChecks: new Map(), isNew: false }
      this.#tables.set(name, table)
    }
    return table
  }

  /** Tables created so far stop being new at a release boundary. */
  release (): void { for (const table of this.#tables.values()) table.isNew = false }
}

/** Type changes that PostgreSQL makes without rewriting the table (binary coercible, wider limits). */
export function rewritesTable (from: ColumnType, to: ColumnType): boolean {
  if (from.array !== to.array) return true
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
  return true
}
