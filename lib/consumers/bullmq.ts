import { hasMethods, invalidClient } from '../checks/common'
import { describeError } from '../redact'
import type { Worker, WorkerOutcome } from '../workers'
import { aborted } from '../deadline'

/** A BullMQ `Worker`; create it with `autorun: false`, so that it takes no job before the instance is ready. */
export interface BullmqWorker {
  // Methods, not function properties: TypeScript then accepts BullMQ's generic listener types.
  run (): Promise<unknown>
  close (force?: boolean): Promise<unknown>
  isRunning (): boolean
  on (event: 'active' | 'completed' | 'failed', listener: () => void): unknown
}

/**
 * A BullMQ worker, run as a worker of the shutdown. Its own close() stops fetching and waits for
 * the active jobs: the stop awaits it within the worker's timeout. Jobs still active then are
 * counted as cut; BullMQ's stalled-job check hands them to another worker (after its
 * `stalledInterval`).
 */
export function bullmq (worker: BullmqWorker): Worker {
  if (!hasMethods(worker, 'run', 'close', 'isRunning', 'on')) invalidClient('bullmq', 'a BullMQ Worker (new Worker(queue, processor, { autorun: false }))', worker, 'consumers')
  let active = 0
  worker.on('active', () => { active++ })
  worker.on('completed', () => { active-- })
  worker.on('failed', () => { active-- })
  return {
    start: ({ log }) => {
      // run() settles only when the worker closes.
      if (!worker.isRunning()) worker.run().catch((error: unknown) => log.error({ reason: describeError(error) }, 'consumer: BullMQ worker stopped with an error'))
    },
    stop: async ({ signal }): Promise<WorkerOutcome> => {
      const closed = worker.close().then(() => true)
      return { cut: await Promise.race([closed, aborted(signal).then(() => false)]) ? 0 : Math.max(active, 1) }
    }
  }
}
