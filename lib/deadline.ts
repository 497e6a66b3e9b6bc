/**
 * Runs `work` with an AbortSignal that aborts after `ms`. Resolves with what `work` gives, or with
 * `{ expired: true }` when it is still running `grace` ms after the signal aborted (time for it to
 * react: terminate sockets, give messages back). The timer is cleared as soon as either settles; it
 * is not unref'd, since a shutdown awaiting a stop that hangs must not let the process end with 0.
 */
export async function withDeadline<T> (ms: number, reason: () => Error, work: (signal: AbortSignal) => Promise<T> | T, grace = 0): Promise<{ expired: false, value: T } | { expired: true }> {
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<{ expired: true }>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(reason())
      timer = setTimeout(resolve, grace, { expired: true as const })
    }, ms)
  })
  try {
    const run = (async () => ({ expired: false as const, value: await work(controller.signal) }))()
    return await Promise.race([run, expired])
  } finally {
    clearTimeout(timer)
  }
}

/** Resolves when `signal` aborts, at once if it has. */
export async function aborted (signal: AbortSignal): Promise<void> {
  if (signal.aborted) return
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))
}
