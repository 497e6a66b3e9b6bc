// The shutdown's worst case, in one place: the plugin checks it at registration, the CLI's
// Kubernetes checker (fastify-zero-downtime/budget) against a Deployment.
import { BudgetExceededError } from './errors'
import { OPTION_NAMES, resolveOptions, type ResolvedOptions } from './options'

export { OPTION_NAMES, resolveOptions, type ResolvedOptions }

/** Time kept for what follows the last step: flushing logs and exiting. */
export const EXIT_MARGIN = 1000

/** After its signal aborts, a worker's stop gets this long to cut what is left and say how much it cut. */
export const WORKER_REACT_MS = 250

/** A worker as the budget sees it: its stop timeout, whether it starts when shutdownDelay ends (`http`), its reaction time. */
export interface WorkerBudget { timeout: number, http: boolean, react?: number }

export interface Budget {
  shutdownDelay: number
  drainTimeout: number
  resourceTimeouts: readonly number[]
  /** The workers: `http` ones are stopped when shutdownDelay ends, the others at the signal. */
  workers?: readonly WorkerBudget[]
  gracePeriod: number
}

// A worker's stop may take its timeout and then the time it gets to react.
const longestStop = (workers: readonly WorkerBudget[], http: boolean): number =>
  Math.max(0, ...workers.filter((w) => w.http === http).map((w) => w.timeout + (w.react ?? WORKER_REACT_MS)))

/**
 * The worst case: the delay, then the drain (or an HTTP-borne worker's stop, if longer), or a
 * consumer's stop if it outlasts both (it starts at the signal); then each resource in turn.
 */
export function describeBudget (budget: Budget): { total: number, text: string } {
  const resources = budget.resourceTimeouts.reduce((sum, t) => sum + t, 0)
  const http = longestStop(budget.workers ?? [], true)
  const other = longestStop(budget.workers ?? [], false)
  const drain = Math.max(budget.drainTimeout, http)
  const waiting = Math.max(budget.shutdownDelay + drain, other)
  const total = waiting + resources + EXIT_MARGIN
  let text = http > budget.drainTimeout
    ? `shutdownDelay ${budget.shutdownDelay} + longest HTTP worker stop ${http} (above drainTimeout ${budget.drainTimeout})`
    : `shutdownDelay ${budget.shutdownDelay} + drainTimeout ${budget.drainTimeout}`
  if (other > budget.shutdownDelay + drain) text = `longest consumer worker stop ${other} (above ${text})`
  text += ` + ${budget.resourceTimeouts.length} resource timeout(s) ${resources} + margin ${EXIT_MARGIN} = ${total} ms`
  return { total, text }
}

/** Throws when the worst-case shutdown would not finish before the orchestrator's SIGKILL. */
export function assertBudget (budget: Budget): { total: number, text: string } {
  const { total, text } = describeBudget(budget)
  if (total > budget.gracePeriod) throw new BudgetExceededError(text, budget.gracePeriod)
  return { total, text: `${text} of gracePeriod ${budget.gracePeriod} ms` }
}
