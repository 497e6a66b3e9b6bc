import { BudgetExceededError } from './errors'

/** Time kept for what follows the last step: flushing logs and exiting. */
export const EXIT_MARGIN = 1000

export interface Budget { shutdownDelay: number, drainTimeout: number, resourceTimeouts: readonly number[], gracePeriod: number }

export function describeBudget (budget: Budget): { total: number, text: string } {
  const resources = budget.resourceTimeouts.reduce((sum, t) => sum + t, 0)
  const total = budget.shutdownDelay + budget.drainTimeout + resources + EXIT_MARGIN
  const text = `shutdownDelay ${budget.shutdownDelay} + drainTimeout ${budget.drainTimeout} + ` +
    `${budget.resourceTimeouts.length} resource timeout(s) ${resources} + margin ${EXIT_MARGIN} = ${total} ms`
  return { total, text }
}

/** Throws when the worst-case shutdown would not finish before the orchestrator's SIGKILL. */
export function assertBudget (budget: Budget): { total: number, text: string } {
  const { total, text } = describeBudget(budget)
  if (total > budget.gracePeriod) throw new BudgetExceededError(text, budget.gracePeriod)
  return { total, text: `${text} of gracePeriod ${budget.gracePeriod} ms` }
}
