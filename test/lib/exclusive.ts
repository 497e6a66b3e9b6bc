import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

// The rolling-deploy tests (HAProxy rolls, the Kubernetes dataplane, long-lived work) each load two
// cores with a fleet of processes and assert what a roll costs in time: run beside one another,
// each measures the other's load. Each holds this lock for its whole file, so tap runs them one at
// a time whatever its --jobs; the other test files still run beside them.
const lock = join(tmpdir(), 'fastify-zero-downtime-rolls.lock')

function holderAlive (): boolean {
  try {
    process.kill(Number(readFileSync(join(lock, 'pid'), 'utf8')), 0)
    return true
  } catch {
    return false
  }
}

/** Waits until no other rolling-deploy test runs, then holds the lock until this file's tests end. */
export async function exclusively (t: { teardown: (fn: () => void) => void }): Promise<void> {
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch {
      // A holder killed before its teardown leaves the lock behind: taken over.
      if (!holderAlive()) { rmSync(lock, { recursive: true, force: true }); continue }
      await sleep(250)
    }
  }
  writeFileSync(join(lock, 'pid'), String(process.pid))
  t.teardown(() => rmSync(lock, { recursive: true, force: true }))
}
