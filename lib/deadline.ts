// The one race of work against a timer: checks, authorize(), resources, workers and the HTTP drain
// all bound their waits through it, so every such timer is cleared the moment the work settles.
// The timer is never unref'd: each wait bounded here is one the process must stay alive for (a
// shutdown awaiting a hung stop must not end with 0; an `await app.ready()` awaiting a hung check
// must fail the check, not exit as an unsettled top-level await).

export interface DeadlineOptions {
  /** What the work's signal aborts with at the deadline. Default: an AbortError. */
  reason?: () => unknown
  /** Time the work still has, after its signal aborted, to react before it is given up. Default: 0. */
  grace?: number
  /** A signal whose abort aborts the work's too (a shutdown cutting a check short). */
  linked?: AbortSignal
}

export type Deadlined<T> = { expired: false, value: T } | { expired: true }

/**
 * Runs `work` with an AbortSignal that aborts after `ms`. Resolves with what `work` gives, or with
 * `{ expired: true }` when it is still running `grace` ms after the signal aborted; rejects with
 * what `work` throws. `work` is called synchronously, before the first await.
 */
export async function withDeadline<T> (ms: number, work: (signal: AbortSignal) => Promise<T> | T, options: DeadlineOptions = {}): Promise<Deadlined<T>> {
  const { reason, grace = 0, linked } = options
  const controller = new AbortController()
  const onLinkedAbort = (): void => controller.abort(linked?.reason)
  linked?.addEventListener('abort', onLinkedAbort, { once: true })
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<{ expired: true }>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(reason?.())
      // Even with no grace, one turn of the loop: a work that reacts synchronously to its signal
      // (destroys its sockets, counts what it cut) still reports.
      timer = setTimeout(resolve, grace, { expired: true as const })
    }, ms)
  })
  try {
    const run = (async () => ({ expired: false as const, value: await work(controller.signal) }))()
    return await Promise.race([run, expired])
  } finally {
    clearTimeout(timer)
    linked?.removeEventListener('abort', onLinkedAbort)
  }
}

/** Resolves when `signal` aborts, at once if it has. */
export async function aborted (signal: AbortSignal): Promise<void> {
  if (signal.aborted) return
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))
}
