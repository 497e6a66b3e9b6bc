import { InvalidArgumentError, describe } from '../errors'
import { timed, type BuiltInCheck } from './common'
import { assertOptions } from '../names'

export interface HttpCheckOptions {
  /** Default: `'GET'`. */
  method?: 'GET' | 'HEAD'
  /** The statuses that pass. Default: any 2xx. */
  expectStatus?: number | number[]
  /** Extra request headers, e.g. an authorization the dependency's probe needs. */
  headers?: Record<string, string>
}

/**
 * A GET (or HEAD) to another service's probe with Node's fetch (undici), aborted at the check's
 * timeout; the body is discarded. Redirects are not followed: a 3xx fails unless expected.
 */
export function http (url: string | URL, options: HttpCheckOptions = {}): BuiltInCheck {
  assertOptions('checks.http()', options, ['method', 'expectStatus', 'headers'])
  let target: URL
  try {
    target = new URL(url)
  } catch {
    throw new InvalidArgumentError('checks.http()', describe(url), 'an absolute http:// or https:// URL')
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new InvalidArgumentError('checks.http()', describe(String(url)), 'an http:// or https:// URL')
  const method = options.method ?? 'GET'
  if (method !== 'GET' && method !== 'HEAD') throw new InvalidArgumentError('checks.http() option method', describe(method), '"GET" or "HEAD"')
  const expected = options.expectStatus === undefined ? undefined : [options.expectStatus].flat()
  if (expected !== undefined) {
    const EXPECTED = 'an HTTP status code (100 to 599) or a non-empty array of them'
    if (expected.length === 0) throw new InvalidArgumentError('checks.http() option expectStatus', 'an empty array', EXPECTED)
    const bad = expected.findIndex((s) => !Number.isInteger(s) || s < 100 || s > 599)
    if (bad >= 0) throw new InvalidArgumentError(`checks.http() option ${Array.isArray(options.expectStatus) ? `expectStatus[${bad}]` : 'expectStatus'}`, describe(expected[bad]), EXPECTED)
  }
  const passes = (status: number): boolean => expected === undefined ? status >= 200 && status < 300 : expected.includes(status)
  const headers = { ...options.headers }
  return async ({ signal }) => {
    let status = 0
    const result = await timed(async () => {
      const response = await fetch(target, { method, headers, signal, redirect: 'manual' })
      status = response.status
      await response.body?.cancel()
    })
    return passes(status) ? result : { ...result, status: 'fail', output: `status ${status}, expected ${expected?.join(' or ') ?? '2xx'}` }
  }
}
