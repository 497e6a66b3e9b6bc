import { DuplicateNameError, InvalidArgumentError, InvalidCheckNameError, describe } from './errors'

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/

/** Checks, resources and startup tasks each have a namespace of unique, URL-safe names. */
export function assertNewName (kind: string, name: unknown, taken: { has: (name: string) => boolean }): asserts name is string {
  if (typeof name !== 'string' || !NAME.test(name)) throw new InvalidCheckNameError(kind, describe(name))
  if (taken.has(name)) throw new DuplicateNameError(kind, name)
}

/** An options object holding only known keys; the first other key is named, with `expected`. */
export function assertOptions (where: string, options: unknown, shape: string, known: readonly string[], expected: string): asserts options is Record<string, unknown> {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError(where, describe(options), `an options object ${shape}`)
  const extra = Object.keys(options).find((key) => !known.includes(key))
  if (extra !== undefined) throw new InvalidArgumentError(`${where} option "${extra}"`, 'an unknown option', expected)
}

export function assertFunction (where: string, value: unknown, expected: string): asserts value is (...args: never[]) => unknown {
  if (typeof value !== 'function') throw new InvalidArgumentError(where, describe(value), expected)
}
