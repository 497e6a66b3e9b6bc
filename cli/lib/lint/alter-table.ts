import type { FileAnalysis } from './analyze'
import { columnType, columnWrites, relationName, rewritesTable, type ColumnType, type Node } from './schema'

// The verdict for each ALTER TABLE subcommand on a table in use (PostgreSQL's ALTER TABLE notes and
// its lock table). Subcommands on a table created in this release are safe: no rows, no old code.

/** Subcommands that take at most SHARE UPDATE EXCLUSIVE: reads and writes go on. */
const WEAK = new Set(['AT_SetStatistics', 'AT_ValidateConstraint', 'AT_SetOptions', 'AT_ResetOptions', 'AT_SetRelOptions', 'AT_ResetRelOptions', 'AT_ClusterOn', 'AT_DropCluster', 'AT_AttachPartition', 'AT_DetachPartitionFinalize'])
const REWRITES = new Set(['AT_SetTableSpace', 'AT_SetLogged', 'AT_SetUnLogged', 'AT_SetAccessMethod'])
const SERIAL = new Set(['serial', 'serial2', 'serial4', 'serial8', 'smallserial', 'bigserial'])

// Functions a default may call without rewriting the table: they are evaluated once, at ALTER time.
const NON_VOLATILE = new Set(['now', 'transaction_timestamp', 'statement_timestamp', 'current_setting', 'lower', 'upper', 'trim', 'concat', 'to_timestamp', 'to_date', 'make_interval', 'make_date', 'date_trunc', 'timezone', 'jsonb_build_object', 'json_build_object', 'jsonb_build_array', 'json_build_array', 'array_fill', 'to_jsonb', 'to_json', 'length', 'abs', 'round', 'md5'])

/** Whether a default expression is volatile: any function the linter does not know is taken as one. */
export function isVolatile (expression: Node | undefined): boolean {
  if (expression === undefined || expression === null || typeof expression !== 'object') return false
  if (Array.isArray(expression)) return expression.some(isVolatile)
  const call = expression.FuncCall
  if (call !== undefined) {
    const name = String(call.funcname[call.funcname.length - 1].String.sval).toLowerCase()
    return !NON_VOLATILE.has(name) || isVolatile(call.args)
  }
  return Object.values(expression).some((value) => typeof value === 'object' && isVolatile(value))
}

export function alterTable (stmt: Node, file: FileAnalysis): void {
  const table = relationName(stmt.relation)
  const model = file.model
  const inUse = !model.isNew(table)
  const commands: Node[] = stmt.cmds.map((c: Node) => c.AlterTableCmd)
  if (inUse && commands.some((cmd) => !WEAK.has(cmd.subtype) && !(cmd.subtype === 'AT_DetachPartition' && cmd.def.PartitionCmd.concurrent === true))) file.takesLock()
  if (stmt.objtype !== 'OBJECT_TABLE') {
    // ALTER INDEX / MATERIALIZED VIEW ... SET TABLESPACE moves (rewrites) it under an ACCESS EXCLUSIVE lock.
    if (inUse && commands.some((cmd) => REWRITES.has(cmd.subtype))) file.flag('table-rewrite')
    return
  }
  for (const cmd of commands) {
    const flag = (rule: Parameters<FileAnalysis['flag']>[0]): void => { if (inUse) file.flag(rule) }
    switch (cmd.subtype) {
      case 'AT_AddColumn': {
        const column = cmd.def.ColumnDef
        addColumn(column, flag, file.options.pgVersion)
        model.setType(table, column.colname, columnType(column.typeName))
        model.setWrites(table, column.colname, columnWrites(column, true))
        for (const { Constraint: c } of column.constraints ?? []) if (c.contype === 'CONSTR_CHECK') model.addCheck(table, c.conname, c.raw_expr, true)
        break
      }
      case 'AT_DropColumn':
        flag('drop-column')
        model.setType(table, cmd.name, undefined)
        model.setWrites(table, cmd.name, undefined)
        break
      case 'AT_AlterColumnType': {
        const to = columnType(cmd.def.ColumnDef.typeName)
        const from = model.type(table, cmd.name)
        // A USING clause that computes anything recomputes every value: a rewrite whatever the types.
        if (!plainUsing(cmd.def.ColumnDef.raw_default, cmd.name, to) || from === undefined || rewritesTable(from, to)) flag('change-column-type')
        model.setType(table, cmd.name, to)
        break
      }
      case 'AT_SetNotNull': {
        if (file.options.pgVersion < 12 || !model.hasValidNotNullCheck(table, cmd.name)) flag('set-not-null')
        const writes = model.writes(table, cmd.name)
        if (writes?.isNew === true && !writes.defaulted) flag('set-not-null-new-column')
        model.updateWrites(table, cmd.name, { notNull: true })
        break
      }
      case 'AT_DropNotNull':
        // A column the schema shows nullable already: nothing changes.
        if (model.writes(table, cmd.name)?.notNull !== false) flag('drop-not-null')
        model.updateWrites(table, cmd.name, { notNull: false })
        break
      case 'AT_ColumnDefault': {
        // Dropping a default the column does not have changes nothing.
        const writes = model.writes(table, cmd.name)
        if (cmd.def === undefined && writes?.notNull === true && writes.defaulted) flag('drop-default')
        model.updateWrites(table, cmd.name, { defaulted: cmd.def !== undefined })
        break
      }
      // An identity column is NOT NULL: without the identity, nothing fills it for the old code's INSERTs.
      case 'AT_DropIdentity':
        flag('drop-default')
        break
      case 'AT_AttachPartition': {
        const partition = relationName(cmd.def.PartitionCmd.name)
        // The partition is scanned: its size, not the parent's, is the cost.
        if (inUse && !model.isNew(partition) && !model.hasValidCheck(partition)) file.flag('attach-partition-scan', partition)
        break
      }
      case 'AT_SetExpression':
        flag('generated-column')
        break
      case 'AT_AddConstraint':
        addConstraint(cmd.def.Constraint, table, file, flag)
        break
      case 'AT_ValidateConstraint':
        model.validate(table, cmd.name)
        if (file.lockedInTransaction) flag('validate-in-transaction')
        break
      case 'AT_DropConstraint':
        model.dropConstraint(table, cmd.name)
        break
      case 'AT_DetachPartition':
        if (cmd.def.PartitionCmd.concurrent !== true) flag('detach-partition')
        else if (file.inTransaction) file.flag('concurrently-in-transaction')
        break
      default:
        if (REWRITES.has(cmd.subtype)) flag('table-rewrite')
    }
  }
}

/**
 * `USING col` or `USING col::<the new type>` (Knex's .alter() writes the latter): the conversion
 * PostgreSQL makes without USING, so a binary-coercible one does not rewrite either.
 */
function plainUsing (using: Node | undefined, column: string, to: ColumnType): boolean {
  if (using === undefined) return true
  const cast = using.TypeCast
  const fields: Node[] | undefined = (cast?.arg ?? using).ColumnRef?.fields
  if (fields?.[fields.length - 1]?.String?.sval !== column) return false
  if (cast === undefined) return true
  const type = columnType(cast.typeName)
  return type.name === to.name && type.array === to.array && type.mods.join() === to.mods.join()
}

function addColumn (column: Node, flag: (rule: 'volatile-default' | 'generated-column' | 'default-rewrite' | 'not-null-without-default' | 'constraint-not-valid' | 'unique-constraint' | 'json-column') => void, pgVersion: number): void {
  const constraints: Node[] = (column.constraints ?? []).map((c: Node) => c.Constraint)
  const has = (...types: string[]): boolean => constraints.some((c) => types.includes(c.contype))
  const type = columnType(column.typeName)
  const defaultValue = constraints.find((c) => c.contype === 'CONSTR_DEFAULT')?.raw_expr
  if (SERIAL.has(type.name) || isVolatile(defaultValue)) flag('volatile-default')
  else if (defaultValue !== undefined && pgVersion < 11) flag('default-rewrite')
  if (has('CONSTR_GENERATED', 'CONSTR_IDENTITY')) flag('generated-column')
  if (has('CONSTR_NOTNULL', 'CONSTR_PRIMARY') && defaultValue === undefined && !SERIAL.has(type.name) && !has('CONSTR_GENERATED', 'CONSTR_IDENTITY')) flag('not-null-without-default')
  if (has('CONSTR_FOREIGN', 'CONSTR_CHECK')) flag('constraint-not-valid')
  if (has('CONSTR_UNIQUE', 'CONSTR_PRIMARY')) flag('unique-constraint')
  if (type.name === 'json') flag('json-column')
}

function addConstraint (constraint: Node, table: string, file: FileAnalysis, flag: (rule: 'constraint-not-valid' | 'unique-constraint' | 'exclusion-constraint') => void): void {
  const validated = constraint.skip_validation !== true
  switch (constraint.contype) {
    case 'CONSTR_CHECK':
      file.model.addCheck(table, constraint.conname, constraint.raw_expr, validated)
      if (validated) flag('constraint-not-valid')
      break
    case 'CONSTR_FOREIGN':
      if (validated) flag('constraint-not-valid')
      break
    case 'CONSTR_UNIQUE':
    case 'CONSTR_PRIMARY':
      // USING INDEX: the index was built CONCURRENTLY beforehand.
      if (constraint.indexname === undefined) flag('unique-constraint')
      break
    case 'CONSTR_EXCLUSION':
      flag('exclusion-constraint')
      break
  }
}
