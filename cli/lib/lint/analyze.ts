// One file's walk through its statements: every statement kind's verdict in one switch, so that a
// reader finds each in one place (hence its length); ALTER TABLE's subcommands in alter-table.ts.
import { alterTable } from './alter-table'
import { keptByView } from './patterns'
import type { RuleName } from './rules'
import { relationName, type Node, type SchemaModel } from './schema'

export interface LintOptions {
  /** The PostgreSQL major the migrations run on: some verdicts changed across versions. */
  pgVersion: number
  /** The role (or database) sets lock_timeout, as strong_migrations recommends: the rule is satisfied. */
  assumeLockTimeout: boolean
  /** The table a contract migration writes to raise the compatibility floor. */
  floorTable: string
  /** Whether the migration tool wraps each file without its own BEGIN in a transaction. */
  transaction: 'per-file' | 'none'
}

/** `table`: the table whose size the finding's cost grows with, where the statement names one. */
export interface StatementFinding { rule: RuleName, offset: number, table?: string }

const DDL_IN_DO = /\b(DROP\s+(TABLE|COLUMN|INDEX|VIEW|TYPE|SCHEMA)|RENAME|ALTER\s+(TABLE|TYPE|DOMAIN)|TRUNCATE|CREATE\s+(UNIQUE\s+)?INDEX|REINDEX|VACUUM\s+FULL|CLUSTER|LOCK\s+TABLE|REFRESH\s+MATERIALIZED)\b/i
// Objects that running code uses by name: dropping or renaming one breaks it.
const USED_BY_NAME = new Set(['OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_SEQUENCE', 'OBJECT_TYPE', 'OBJECT_DOMAIN', 'OBJECT_FUNCTION', 'OBJECT_PROCEDURE', 'OBJECT_ROUTINE', 'OBJECT_AGGREGATE', 'OBJECT_SCHEMA', 'OBJECT_FOREIGN_TABLE', 'OBJECT_EXTENSION', 'OBJECT_DATABASE', 'OBJECT_ATTRIBUTE'])
const RELATIONS = new Set(['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_SEQUENCE', 'OBJECT_FOREIGN_TABLE'])
// LOCK TABLE modes from SHARE (5) up block the running code's writes; ACCESS EXCLUSIVE (8) its reads.
const SHARE_LOCK = 5

export const hasOption = (options: Node[] | undefined, name: string): boolean => (options ?? []).some((o) => o.DefElem?.defname === name)

/**
 * A file that controls its own transactions, or holds a statement that must not run inside one
 * (VACUUM, the CONCURRENTLY forms), is not wrapped in a transaction by migration tools.
 */
function runsOutsideImplicitTransaction (stmt: Node): boolean {
  if (stmt.TransactionStmt !== undefined || stmt.VacuumStmt !== undefined || hasOption(stmt.ReindexStmt?.params, 'concurrently')) return true
  if ((stmt.IndexStmt ?? stmt.DropStmt ?? stmt.RefreshMatViewStmt)?.concurrent === true) return true
  return (stmt.AlterTableStmt?.cmds ?? []).some((cmd: Node) => cmd.AlterTableCmd.def?.PartitionCmd?.concurrent === true)
}

/** The table a statement works on: REINDEX INDEX's is the index's table, VACUUM's its first. */
function subjectOf (kind: string, node: Node, model: SchemaModel): string | undefined {
  if (kind === 'ReindexStmt' && node.kind === 'REINDEX_OBJECT_INDEX') return model.indexTable(relationName(node.relation))
  const relation = kind === 'VacuumStmt' ? node.rels?.[0]?.VacuumRelation?.relation : node.relation ?? node.relations?.[0]?.RangeVar
  return relation?.relname === undefined ? undefined : relationName(relation)
}

/** `SET lock_timeout = 0` (or '0s') turns the timeout off. */
function timeoutValue (stmt: Node, assumed: boolean): boolean {
  if (stmt.kind !== 'VAR_SET_VALUE') return assumed
  // SET takes a constant: { ival: { ival: 2000 } }, { sval: { sval: '2s' } } or { fval: ... }; 0 is { ival: {} }.
  const [constant] = Object.values(stmt.args[0].A_Const).filter((value) => typeof value === 'object') as Node[]
  return Number.parseFloat(String(Object.values(constant)[0] ?? 0)) !== 0
}

/**
 * One file's walk through its statements, top to bottom: the transaction it is in, whether a
 * lock_timeout is set, whether a strong lock is held, and the findings of each statement.
 */
export class FileAnalysis {
  readonly model: SchemaModel
  readonly options: LintOptions
  inTransaction = false
  /** A strong lock taken inside BEGIN ... COMMIT, held until the COMMIT. */
  lockedInTransaction = false
  raisesFloor = false
  /** Migration tools run a file without BEGIN in a transaction of their own (unless it cannot be). */
  readonly #implicitTransaction: boolean
  #lockedInFile = false
  #sessionTimeout: boolean
  #localTimeout: boolean | undefined
  #timeoutBeforeBegin = false
  #beganAt = 0
  #offset = 0
  #findings: StatementFinding[] = []
  readonly #statements: Node[]
  #index = -1
  /** The table the current statement works on (subjectOf). */
  #subject: string | undefined

  constructor (model: SchemaModel, options: LintOptions, statements: Node[]) {
    this.model = model
    this.options = options
    this.#sessionTimeout = options.assumeLockTimeout
    this.#implicitTransaction = options.transaction === 'per-file' && !statements.some(runsOutsideImplicitTransaction)
    this.#statements = statements
  }

  flag (rule: RuleName, table = this.#subject): void { this.#findings.push({ rule, offset: this.#offset, table }) }

  /** The statement takes a lock that blocks the running code: it must not wait without a timeout. */
  takesLock (): void {
    if (!(this.#localTimeout ?? this.#sessionTimeout)) this.flag('lock-timeout')
    if (this.inTransaction) this.lockedInTransaction = true
    else if (this.#implicitTransaction) this.#lockedInFile = true
  }

  analyze (stmt: Node, offset: number): StatementFinding[] {
    this.#offset = offset
    this.#findings = []
    this.#index++
    const [kind] = Object.keys(stmt)
    this.#subject = subjectOf(kind, stmt[kind], this.model)
    this.#statement(kind, stmt[kind])
    return this.#findings
  }

  /** Findings that only the end of the file reveals. */
  finish (): StatementFinding[] {
    return this.inTransaction ? [{ rule: 'uncommitted-transaction', offset: this.#beganAt }] : []
  }

  #inUse (relation: Node): boolean { return !this.model.isNew(relationName(relation)) }

  #statement (kind: string, node: Node): void {
    const model = this.model
    switch (kind) {
      case 'TransactionStmt': return this.#transaction(node)
      case 'VariableSetStmt':
        if (String(node.name).toLowerCase() !== 'lock_timeout') return
        if (node.is_local === true && this.inTransaction) this.#localTimeout = timeoutValue(node, this.options.assumeLockTimeout)
        else this.#sessionTimeout = timeoutValue(node, this.options.assumeLockTimeout)
        return
      case 'CreateStmt': return model.createTable(relationName(node.relation), node.tableElts ?? [], true)
      case 'CreateTableAsStmt': return model.createTable(relationName(node.into.rel), [], true)
      case 'ViewStmt': return model.createTable(relationName(node.view), [], true)
      case 'CreateSeqStmt': return model.createTable(relationName(node.sequence), [], true)
      case 'AlterTableStmt': return alterTable(node, this)
      case 'AlterTableMoveAllStmt':
        this.takesLock()
        return this.flag('table-rewrite')
      case 'RenameStmt': return this.#rename(node)
      case 'AlterObjectSchemaStmt':
        if (node.relation !== undefined && !this.#inUse(node.relation)) return
        this.takesLock()
        return this.flag('rename-object')
      case 'AlterEnumStmt':
        if (node.oldVal !== undefined) this.flag('rename-object')
        return
      case 'DropStmt': return this.#drop(node)
      case 'DropdbStmt': return this.flag('drop-object')
      case 'TruncateStmt':
        if (!node.relations.some((r: Node) => this.#inUse(r.RangeVar))) return
        this.takesLock()
        return this.flag('truncate')
      case 'IndexStmt':
        if (node.idxname !== undefined) model.addIndex(relationName({ ...node.relation, relname: node.idxname }), relationName(node.relation))
        if (node.concurrent === true) return this.inTransaction ? this.flag('concurrently-in-transaction') : undefined
        // ON ONLY a partitioned table: an invalid index on the parent alone, made at once.
        if (!this.#inUse(node.relation) || node.relation.inh !== true) return
        this.takesLock()
        return this.flag('index-not-concurrently')
      case 'ReindexStmt':
        if (hasOption(node.params, 'concurrently')) return this.inTransaction ? this.flag('concurrently-in-transaction') : undefined
        if (node.relation !== undefined && !this.#inUse(node.relation)) return
        this.takesLock()
        return this.flag('reindex-not-concurrently')
      case 'RefreshMatViewStmt':
        if (node.concurrent === true || !this.#inUse(node.relation)) return
        this.takesLock()
        return this.flag('refresh-not-concurrently')
      case 'VacuumStmt':
        if (!hasOption(node.options, 'full')) return
        this.takesLock()
        return this.flag('exclusive-maintenance')
      case 'ClusterStmt':
        if (node.relation !== undefined && !this.#inUse(node.relation)) return
        this.takesLock()
        return this.flag('exclusive-maintenance')
      case 'LockStmt':
        if (node.mode < SHARE_LOCK || !node.relations.some((r: Node) => this.#inUse(r.RangeVar))) return
        this.takesLock()
        return this.flag('lock-table')
      case 'AlterDomainStmt':
        if (node.subtype === 'N') return this.flag('drop-not-null')
        // C: ADD CONSTRAINT, O: SET NOT NULL; both check every column of the domain.
        if (!((node.subtype === 'C' && node.def.Constraint.skip_validation !== true) || node.subtype === 'O')) return
        this.takesLock()
        return this.flag('domain-constraint')
      case 'CreateTrigStmt':
        if (this.#inUse(node.relation)) this.takesLock()
        return
      case 'DoStmt': {
        const body = node.args.map((a: Node) => a.DefElem.arg.String.sval).join('\n')
        return DDL_IN_DO.test(body) ? this.flag('do-block-ddl') : undefined
      }
      case 'InsertStmt':
      case 'UpdateStmt':
      case 'DeleteStmt':
      case 'MergeStmt':
        return this.#write(kind, node)
    }
  }

  #transaction (node: Node): void {
    if (['TRANS_STMT_BEGIN', 'TRANS_STMT_START'].includes(node.kind)) {
      if (this.inTransaction) this.flag('transaction-nesting')
      this.inTransaction = true
      this.#beganAt = this.#offset
      this.#timeoutBeforeBegin = this.#sessionTimeout
    } else if (['TRANS_STMT_COMMIT', 'TRANS_STMT_ROLLBACK'].includes(node.kind)) {
      // A ROLLBACK also undoes a plain SET made inside the transaction.
      if (node.kind === 'TRANS_STMT_ROLLBACK' && this.inTransaction) this.#sessionTimeout = this.#timeoutBeforeBegin
      this.inTransaction = false
      this.lockedInTransaction = false
      this.#localTimeout = undefined
    }
  }

  #rename (node: Node): void {
    const type = node.renameType
    if (RELATIONS.has(type) || type === 'OBJECT_COLUMN') {
      const table = relationName(node.relation)
      if (!this.#inUse(node.relation)) {
        if (type === 'OBJECT_COLUMN') this.model.renameColumn(table, node.subname, node.newname)
        else this.model.renameTable(table, relationName({ ...node.relation, relname: node.newname }))
        return
      }
      this.takesLock()
      if (type === 'OBJECT_COLUMN') {
        this.model.renameColumn(table, node.subname, node.newname)
        return this.flag('rename-column')
      }
      const renamed = relationName({ ...node.relation, relname: node.newname })
      this.model.renameTable(table, renamed)
      if (type === 'OBJECT_TABLE' && (this.inTransaction || this.#implicitTransaction) && keptByView(this.#statements.slice(this.#index + 1), table, renamed)) return
      return this.flag(type === 'OBJECT_TABLE' ? 'rename-table' : 'rename-object')
    }
    if (USED_BY_NAME.has(type)) return this.flag('rename-object')
    // Constraints, triggers and policies: the code does not name them, but the table is locked.
    if (node.relation !== undefined && this.#inUse(node.relation) && type !== 'OBJECT_INDEX') this.takesLock()
  }

  #drop (node: Node): void {
    const type = node.removeType
    if (type === 'OBJECT_INDEX') {
      if (node.concurrent === true) return this.inTransaction ? this.flag('concurrently-in-transaction') : undefined
      this.takesLock()
      return this.flag('drop-index-not-concurrently')
    }
    if (type !== 'OBJECT_TABLE' && !USED_BY_NAME.has(type)) return
    const names: string[] = node.objects.map((o: Node) => (o.List?.items ?? []).map((i: Node) => i.String.sval).filter((n: string) => n !== 'public').join('.'))
    const inUse = !RELATIONS.has(type) || names.some((name) => !this.model.isNew(name))
    for (const name of names) this.model.dropTable(name)
    if (!inUse) return
    if (RELATIONS.has(type)) this.takesLock()
    this.flag(type === 'OBJECT_TABLE' ? 'drop-table' : 'drop-object')
  }

  #write (kind: string, node: Node): void {
    const target = relationName(node.relation)
    const floor = this.options.floorTable.replace(/^public\./, '')
    if (target === floor || node.relation?.relname === floor) {
      if (kind === 'InsertStmt' || kind === 'UpdateStmt') this.raisesFloor = true
      return
    }
    // INSERT ... VALUES adds a few rows; INSERT ... SELECT copies a table.
    const copies = kind !== 'InsertStmt' || node.selectStmt?.SelectStmt?.fromClause !== undefined
    if (copies && (this.lockedInTransaction || this.#lockedInFile)) return this.flag('backfill-in-transaction')
    if ((kind === 'UpdateStmt' || kind === 'DeleteStmt') && node.whereClause === undefined && this.#inUse(node.relation)) this.flag('unbatched-write')
  }
}
