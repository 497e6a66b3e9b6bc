import { readFileSync } from 'node:fs'
import { EncodingError, UnreadableError } from '../errors'

const LEADING = /^(?:\s+|--[^\n]*\n?|\/\*[\s\S]*?\*\/)*/
/** The length of the blanks and comments a text starts with (the pattern also matches ''). */
export const leading = (text: string): number => (LEADING.exec(text) as RegExpExecArray)[0].length

/** A file's bytes; a file that cannot be read is bad input, named. */
export function readBytes (file: string): Buffer {
  try {
    return readFileSync(file)
  } catch (error) {
    throw new UnreadableError(file, (error as Error).message)
  }
}

export interface ParsedStatement<T> { stmt: T, stmt_location?: number, stmt_len?: number }
export interface StatementText<T> { stmt: T, text: string, start: number }

/**
 * Each statement the parser found, with its text (comments before it included) and the UTF-16
 * index where its first token starts.
 */
export function statementTexts<T> (source: SourceText, statements: Array<ParsedStatement<T>>): Array<StatementText<T>> {
  return statements.map(({ stmt, stmt_location: location = 0, stmt_len: length }) => {
    const begin = source.char(location)
    const text = source.text.slice(begin, length === undefined ? undefined : source.char(location + length))
    return { stmt, text, start: begin + leading(text) }
  })
}

/**
 * A migration's text, and the maps from the parser's offsets (bytes) and the error cursor
 * (characters) to line:column. Built once per file, so that positions cost O(log n), not O(n).
 */
export class SourceText {
  readonly text: string
  readonly #lineStarts: number[] = [0]
  readonly #charAtByte: Uint32Array | undefined
  readonly #astral: boolean

  constructor (text: string) {
    this.text = text
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.#lineStarts.push(i + 1)
    this.#astral = /[\ud800-\udfff]/.test(text)
    const bytes = Buffer.byteLength(text)
    this.#charAtByte = bytes === text.length ? undefined : charIndexByByte(text, bytes)
  }

  /** Line and column (1-based; the column in characters, as PostgreSQL counts) of a UTF-16 index. */
  at (index: number): { line: number, column: number } {
    let low = 0
    let high = this.#lineStarts.length - 1
    while (low < high) {
      const mid = (low + high + 1) >> 1
      if (this.#lineStarts[mid] <= index) low = mid
      else high = mid - 1
    }
    const lineStart = this.#lineStarts[low]
    // A character beyond U+FFFF is two UTF-16 units: count it once.
    const column = this.#astral ? [...this.text.slice(lineStart, index)].length : index - lineStart
    return { line: low + 1, column: column + 1 }
  }

  /** The UTF-16 index of a character index (PostgreSQL's error cursor counts characters). */
  fromCharacter (characterIndex: number): number {
    return this.#astral ? [...this.text].slice(0, characterIndex).join('').length : characterIndex
  }

  /** The character index of a byte offset (the parser's locations are bytes). */
  char (byteOffset: number): number {
    return this.#charAtByte === undefined ? byteOffset : this.#charAtByte[Math.min(byteOffset, this.#charAtByte.length - 1)]
  }
}

function charIndexByByte (text: string, bytes: number): Uint32Array {
  const map = new Uint32Array(bytes + 1)
  let byte = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    // A surrogate pair is one 4-byte character: its two halves share the byte range.
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : code >= 0xd800 && code <= 0xdbff ? 4 : code >= 0xdc00 && code <= 0xdfff ? 0 : 3
    for (let k = 0; k < size; k++) map[byte + k] = i
    byte += size
  }
  map[bytes] = text.length
  return map
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf])

/**
 * The text of a migration file: UTF-8, a byte-order mark dropped. Invalid UTF-8 and NUL bytes are
 * refused with where they are: PostgreSQL refuses both, and a parser that stops at a NUL would hide
 * every statement after it.
 */
export function decodeMigration (bytes: Buffer, file: string): string {
  const body = bytes.subarray(0, 3).equals(BOM) ? bytes.subarray(3) : bytes
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body)
  } catch {
    const at = firstInvalidByte(body)
    const before = body.subarray(0, at).toString('utf8')
    const where = new SourceText(before).at(before.length)
    throw new EncodingError(`${file}:${where.line}:${where.column}`, `invalid UTF-8 (byte 0x${body[at].toString(16).padStart(2, '0')} at offset ${at}): save the file as UTF-8`)
  }
  const nul = text.indexOf('\0')
  if (nul !== -1) {
    const { line, column } = new SourceText(text).at(nul)
    throw new EncodingError(`${file}:${line}:${column}`, 'a NUL byte: PostgreSQL rejects it, and the statements after it would not be checked; remove it')
  }
  return text
}

/** Where UTF-8 decoding fails: the first byte that does not start a valid sequence (RFC 3629). */
export function firstInvalidByte (bytes: Uint8Array): number {
  let i = 0
  while (i < bytes.length) {
    const lead = bytes[i]
    const length = lead < 0x80 ? 1 : lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0
    if (length === 0) return i
    // The second byte's range is narrower after E0, ED, F0 and F4 (no overlongs, surrogates, or beyond U+10FFFF).
    const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80
    const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf
    for (let k = 1; k < length; k++) {
      const next = bytes[i + k]
      if (next === undefined || next < (k === 1 ? low : 0x80) || next > (k === 1 ? high : 0xbf)) return i
    }
    i += length
  }
  return -1
}
