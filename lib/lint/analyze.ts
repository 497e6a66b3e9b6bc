import type { RuleName } from './rules'

type Node = Record<string, any>

export interface StatementFinding { rule: RuleName, offset: number }

/** State carried from one statement to the next within a file. */
export interface FileState { lockTimeout: boolean, inTransaction: boolean, createdTables: Set<string>, raisesFloor: boolean, floorTable: string }

const tableName = (relation: Node | undefined): string => [relation?.schemaname, relation?.relname].filter(Boolean).join('.')
const DDL_IN_DO = /\b(DROP\s+(TABLE|COLUMN|INDEX)|RENAME|ALTER\s+TABLE|TRUNCATE|CREATE\s+(UNIQUE\s+)?INDEX)\b/i

/** Findings for one parsed statement; `offset` is where the statement starts. */
export function analyzeStatement (stmt: Node, offset: number, state: FileState): StatementFinding[] {
  const findings: StatementFinding[] = []
  const flag = (rule: RuleName, at = offset): void => { findings.push({ rule, offset: at }) }
  const [kind] = Object.keys(stmt)
  const node = stmt[kind]

  switch (kind) {
    case 'TransactionStmt':
      if (['TRANS_STMT_BEGIN', 'TRANS_STMT_START'].includes(node.kind)) state.inTransaction = true
      if (['TRANS_STMT_COMMIT', 'TRANS_STMT_ROLLBACK'].includes(node.kind)) state.inTransaction = false
      break
    case 'VariableSetStmt':
      if (node.name === 'lock_timeout') state.lockTimeout = true
      break
    case 'CreateStmt':
      state.createdTables.add(tableName(node.relation))
      break
    case 'AlterTableStmt': {
      const table = tableName(node.relation)
      const isNew = state.createdTables.has(table)
      if (!isNew && !state.lockTimeout) flag('lock-timeout')
      for (const { AlterTableCmd: cmd } of node.cmds) {
        if (cmd.subtype === 'AT_DropColumn') flag('drop-column')
        if (isNew) continue
        if (cmd.subtype === 'AT_SetNotNull') flag('set-not-null')
        if (cmd.subtype === 'AT_AlterColumnType') flag('change-column-type')
        if (cmd.subtype === 'AT_AddColumn') {
          const constraints: Node[] = (cmd.def?.ColumnDef?.constraints ?? []).map((c: Node) => c.Constraint)
          const notNull = constraints.some((c) => c.contype === 'CONSTR_NOTNULL' || c.contype === 'CONSTR_PRIMARY')
          const hasDefault = constraints.some((c) => c.contype === 'CONSTR_DEFAULT' || c.contype === 'CONSTR_IDENTITY' || c.contype === 'CONSTR_GENERATED')
          if (notNull && !hasDefault) flag('not-null-without-default')
        }
        if (cmd.subtype === 'AT_AddConstraint') {
          const constraint = cmd.def.Constraint
          if (['CONSTR_CHECK', 'CONSTR_FOREIGN'].includes(constraint.contype) && constraint.skip_validation !== true) flag('constraint-not-valid')
          if (['CONSTR_UNIQUE', 'CONSTR_PRIMARY'].includes(constraint.contype) && constraint.indexname === undefined) flag('unique-constraint')
        }
      }
      break
    }
    case 'RenameStmt':
      if (node.renameType === 'OBJECT_COLUMN') flag('rename-column')
      if (node.renameType === 'OBJECT_TABLE') flag('rename-table')
      break
    case 'DropStmt':
      if (node.removeType === 'OBJECT_TABLE') flag('drop-table')
      if (node.removeType === 'OBJECT_INDEX') {
        if (node.concurrent !== true) flag('drop-index-not-concurrently')
        else if (state.inTransaction) flag('concurrently-in-transaction')
      }
      break
    case 'TruncateStmt':
      flag('truncate')
      break
    case 'IndexStmt':
      if (node.concurrent === true) {
        if (state.inTransaction) flag('concurrently-in-transaction')
      } else if (!state.createdTables.has(tableName(node.relation))) {
        flag('index-not-concurrently')
      }
      break
    case 'DoStmt': {
      const body = node.args.map((a: Node) => a.DefElem.arg.String.sval).join('\n')
      if (DDL_IN_DO.test(body)) flag('do-block-ddl')
      break
    }
    case 'InsertStmt':
    case 'UpdateStmt':
      if (tableName(node.relation) === state.floorTable || node.relation?.relname === state.floorTable) state.raisesFloor = true
      break
  }
  return findings
}
