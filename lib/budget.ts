import { BudgetExceededError } from './errors'

/** Time kept for what follows the last step: flushing logs and exiting. */
export const EXIT_MARGIN = 1000

export interface Budget {
  shutdownDelay: number
  drainTimeout: number
  resourceTimeouts: readonly number[]
  /** How long each worker's stop may take (its timeout and the time it gets to react): `http` ones start when shutdownDelay ends, the others at once. */
  workerTimeouts?: { http: readonly number[], other: readonly number[] }
  gracePeriod: number
}

const longest = (timeouts: readonly number[]): number => Math.max(0, ...timeouts)

/**
 * The worst case: the delay, then the drain (or an HTTP-borne worker's stop, if longer), or a
 * consumer's stop if it outlasts both (it starts at the signal); then each resource in turn.
 */
export function describeBudget (budget: Budget): { total: number, text: string } {
  const resources = budget.resourceTimeouts.reduce((sum, t) => sum + t, 0)
  const http = longest(budget.workerTimeouts?.http ?? [])
  const other = longest(budget.workerTimeouts?.other ?? [])
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
