import { DuplicateNameError, InvalidArgumentError, InvalidCheckNameError, describe } from './errors'
import { redact } from './redact'

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/

/** Checks, resources and startup tasks each have a namespace of unique, URL-safe names. */
export function assertNewName (kind: string, name: unknown, taken: { has: (name: string) => boolean }): asserts name is string {
  if (typeof name !== 'string' || !NAME.test(name)) throw new InvalidCheckNameError(kind, describe(name))
  if (taken.has(name)) throw new DuplicateNameError(kind, name)
}

/** An options object holding only known keys: the first other key is named, with every known one. */
export function assertOptions<T> (where: string, options: T, known: readonly string[]): asserts options is T & Record<string, unknown> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(where, describe(options), `an options object { ${known.join(', ')} }`)
  }
  const extra = Object.keys(options).find((key) => !known.includes(key))
  if (extra !== undefined) throw new InvalidArgumentError(where, `an unknown option "${shownKey(extra, known)}"`, knownOptions(extra, known))
}

/**
 * An unknown key as a message shows it: verbatim when it is a typo of a known one (what it was
 * meant to be is then plain), else redacted like any value of the caller's (it might be a token).
 */
export function shownKey (key: string, known: readonly string[]): string {
  return closest(key, known) === undefined ? redact(key) : key
}

/** What to say about an unknown option: the one meant, when a typo is likely, then all of them. */
export function knownOptions (key: string, known: Iterable<string>, noun = 'options'): string {
  const names = [...known]
  const meant = closest(key, names)
  return `one of the known ${noun}: ${names.join(', ')}${meant === undefined ? '' : ` (did you mean "${meant}"?)`}`
}

// A name one or two edits away, equal but for case, or begun by the key is the likely intent.
function closest (key: string, names: readonly string[]): string | undefined {
  const begun = key.length >= 3 ? names.filter((name) => name.startsWith(key)) : []
  if (begun.length === 1) return begun[0]
  let best: string | undefined
  let bestDistance = Math.min(2, Math.floor(key.length / 3))
  for (const name of names) {
    const distance = name.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, name)
    if (distance <= bestDistance) { best = name; bestDistance = distance }
  }
  return best
}

// Optimal string alignment: insertions, deletions, substitutions and swaps of neighbours cost 1.
function editDistance (a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) d[0][j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1)
    }
  }
  return d[a.length][b.length]
}

export function assertFunction (where: string, value: unknown, expected: string): asserts value is (...args: never[]) => unknown {
  if (typeof value !== 'function') throw new InvalidArgumentError(where, describe(value), expected)
}
