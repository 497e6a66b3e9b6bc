import { Registry, type CheckGroup, type RegisteredCheck, type Verdict } from './registry'
import type { CheckStatus } from './run-check'

export type LifecycleState = 'starting' | 'ready' | 'draining' | 'closing' | 'closed'
export type Probe = 'live' | 'ready' | 'startup'

/**
 * One line of a probe's verbose answer: a check, or a lifecycle condition such as `shutdown`.
 * `waiting`: not ok because it has not happened yet (a running startup), not because it failed.
 */
export interface ProbeLine { name: string, ok: boolean, reason: string | undefined, waiting?: boolean }
export interface ProbeReport { status: CheckStatus, lines: ProbeLine[] }

/** What the probes read besides the checks. */
export interface LifecycleSnapshot {
  state: LifecycleState
  inRotation: boolean
  broken: string | undefined
  startupFailure: string | undefined
  tasks: ReadonlyArray<{ name: string, status: 'pending' | 'done' | 'failed' }>
  /** The checks startup waits for: critical ones of the readiness or startup group. */
  gating: RegisteredCheck[]
}

const fromVerdict = (v: Verdict): ProbeLine => ({ name: v.check.name, ok: v.status !== 'fail', reason: v.reason })

/** Liveness: the liveness group, and nothing else but markBroken(). */
export function liveReport (registry: Registry, life: LifecycleSnapshot, exclude?: ReadonlySet<string>): ProbeReport {
  const verdicts = registry.verdicts('liveness', exclude)
  const lines = verdicts.map(fromVerdict)
  if (life.broken !== undefined) lines.push({ name: 'broken', ok: false, reason: life.broken })
  return { status: life.broken !== undefined ? 'fail' : Registry.summarize(verdicts), lines }
}

/** Readiness: started, not shutting down, in rotation, and the readiness group passes. */
export function readyReport (registry: Registry, life: LifecycleSnapshot, exclude?: ReadonlySet<string>): ProbeReport {
  const conditions: ProbeLine[] = []
  if (life.state === 'starting') conditions.push(life.startupFailure === undefined ? { name: 'startup', ok: false, reason: 'in progress', waiting: true } : { name: 'startup', ok: false, reason: life.startupFailure })
  if (life.state !== 'starting' && life.state !== 'ready') conditions.push({ name: 'shutdown', ok: false, reason: `shutting down (${life.state})` })
  if (!life.inRotation) conditions.push({ name: 'rotation', ok: false, reason: 'out of rotation (setReady(false))' })
  const verdicts = registry.verdicts('readiness', exclude)
  return {
    status: conditions.some((c) => !c.ok) ? 'fail' : Registry.summarize(verdicts),
    lines: [...conditions, ...verdicts.map(fromVerdict)]
  }
}

/** Startup: the tasks, then one pass of each gating check; complete for good once it was. */
export function startupReport (life: LifecycleSnapshot): ProbeReport {
  if (life.state !== 'starting') return { status: 'pass', lines: [{ name: 'startup', ok: true, reason: undefined }] }
  // Once startup has failed, what it still waited for will never come: that is a failure too.
  const running = life.startupFailure === undefined
  const lines: ProbeLine[] = life.tasks.map((t) => ({ name: `task:${t.name}`, ok: t.status === 'done', reason: t.status === 'failed' ? 'failed' : 'pending', waiting: running && t.status === 'pending' }))
  for (const check of life.gating) lines.push({ name: check.name, ok: check.passedOnce, reason: check.passedOnce ? undefined : 'has not passed yet', waiting: running && !check.passedOnce })
  if (life.startupFailure !== undefined) lines.push({ name: 'startup', ok: false, reason: life.startupFailure })
  return { status: 'fail', lines }
}

/** One check of a group, as `/readyz/<name>` answers for it; undefined if the group has no such check. */
export function oneReport (registry: Registry, group: CheckGroup, name: string): ProbeReport | undefined {
  const check = registry.get(name)
  if (check === undefined || !check.groups.has(group)) return undefined
  const verdict = registry.verdict(check)
  return { status: verdict.status, lines: [fromVerdict(verdict)] }
}
