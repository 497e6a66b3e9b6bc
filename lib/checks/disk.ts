import { statfs } from 'node:fs/promises'
import { InvalidArgumentError, describe } from '../errors'
import type { BuiltInCheck } from './common'
import { assertOptions } from '../names'

export interface DiskCheckOptions {
  /** A path on the file system to watch. */
  path: string
  /** Free space below which the check fails: bytes, or a size such as `'1GiB'` or `'500MB'`. */
  minFree: number | string
  /** Free space below which the check warns. Default: none. */
  warnFree?: number | string
}

const UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 }

export function parseSize (name: string, value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value
  const match = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value) : null
  const unit = UNITS[(match?.[2] ?? '').toLowerCase() || 'b']
  if (match === null || unit === undefined) throw new InvalidArgumentError(`checks.disk() option ${name}`, describe(value), 'bytes, or a size such as "1GiB" or "500MB"')
  return Number(match[1]) * unit
}

/** Free space available to this process (statfs), no I/O on the data itself. */
export function disk (options: DiskCheckOptions): BuiltInCheck {
  assertOptions('checks.disk()', options, ['path', 'minFree', 'warnFree'])
  if (typeof options?.path !== 'string' || options.path === '') throw new InvalidArgumentError('checks.disk() option path', describe(options?.path), 'a path')
  const minFree = parseSize('minFree', options.minFree)
  const warnFree = options.warnFree === undefined ? 0 : parseSize('warnFree', options.warnFree)
  return async () => {
    const stats = await statfs(options.path)
    const free = stats.bavail * stats.bsize
    const measured = { observedValue: free, observedUnit: 'bytes' }
    if (free < minFree) return { status: 'fail', ...measured, output: `${free} bytes free, below minFree ${minFree}` }
    if (free < warnFree) return { status: 'warn', ...measured, output: `${free} bytes free, below warnFree ${warnFree}` }
    return { status: 'pass', ...measured }
  }
}
