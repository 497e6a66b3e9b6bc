// Error messages from drivers carry secrets: connection strings, passwords, tokens, keys. Whatever
// leaves this plugin as text (a log line, a detail in a response) goes through redact() first.
//
// A list of known shapes always misses the next one, so the rules are about positions, not shapes:
// 1. The text is decoded first (percent-encoding, JSON escapes, several times over), so that an
//    encoded secret is matched as what it is.
// 2. Whatever stands where a credential stands is masked, whatever it looks like: the userinfo of a
//    URL, `user/password@host`, the value after any secret-like word (`password=…`, `"token": …`,
//    `'secret' => …`, `Cookie: …` to the end of the line), a private key block.
// 3. Whatever looks like a key is masked wherever it stands: long tokens of high entropy, and tokens
//    with a vendor's key prefix.
// 4. What cannot be judged (control characters, encodings that do not decode) is withheld.

const MASK = '[REDACTED]'

// Words that say a credential follows; matched inside longer names too (db_password, X-Api-Key).
const SECRET_WORD = String.raw`(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[-_ ]?key|access[-_ ]?key|private[-_ ]?key|client[-_ ]?key|auth(?:orization)?|credentials?|session(?:[-_ ]?id)?|cookie|sig(?:nature)?|bearer)`
const NAME = String.raw`[\w.$-]*${SECRET_WORD}[\w.$-]*`
const QUOTED = String.raw`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\x60[^\x60]*\x60`

const RULES: Array<[RegExp, string | ((match: string) => string)]> = [
  // Private key blocks, and one cut off before its end.
  [/-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----[\s\S]*?(?:-----END [A-Z0-9 ]*-----|$)/g, MASK],
  // Headers whose whole value is a credential: to the end of the line.
  [/\b((?:set-)?cookie|authorization|proxy-authorization|x-[\w-]*(?:key|token|secret|auth)[\w-]*)(\s*:\s*)[^\r\n]*/gi, `$1$2${MASK}`],
  // scheme://userinfo@host: everything between :// and the last @ of the line (a decoded password
  // may hold spaces, slashes and @).
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\r\n]*@/gi, `$1${MASK}@`],
  // Oracle and similar: user/password@host or user/password@//host.
  [/\b([\w.$-]+\/)[^\s/@]+@/g, `$1${MASK}@`],
  // Bearer, Basic, Digest and Token schemes.
  [/\b(bearer|basic|digest|token)(\s+)[\w\-.~+/]+=*/gi, `$1$2${MASK}`],
  // name = value, name: value, name => value, "name": "value", with any quoting of either side;
  // an unquoted value runs to the next delimiter, spaces included.
  [new RegExp(String.raw`(["'\x60]?${NAME}["'\x60]?\s*(?:=>|[:=])\s*)(${QUOTED}|[^\s,;&}\])][^,;&}\])\r\n]*)`, 'gi'), `$1${MASK}`],
  // A secret word followed by a quoted value: wrong password "x", token 'y'.
  [new RegExp(String.raw`(\b${NAME}\s+(?:is\s+|of\s+|was\s+)?)(${QUOTED})`, 'gi'), `$1${MASK}`],
  // Vendor key prefixes: Stripe, GitHub, Slack, Google, AWS, npm, GitLab, OpenAI-style.
  [/\b(?:sk|pk|rk)_(?:live|test)_[\w]{4,}|\bgh[pousr]_[A-Za-z0-9]{8,}|\bxox[abpors]-[\w-]{6,}|\bAIza[\w-]{10,}|\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[A-Z0-9]{12,}|\bnpm_[A-Za-z0-9]{16,}|\bglpat-[\w-]{10,}|\bsk-[A-Za-z0-9_-]{16,}/g, MASK],
  // JSON web tokens.
  [/\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/g, MASK],
  // Long tokens of high entropy, wherever they stand.
  [/[A-Za-z0-9+/_~.=-]{20,}/g, (token) => highEntropy(token) ? MASK : token]
]

/** Mixed letters and digits, or long hex or base64, with many distinct characters: a key, not a word. */
function highEntropy (token: string): boolean {
  const core = token.replace(/^[._~=-]+|[._~=-]+$/g, '')
  if (core.length < 20) return false
  // Paths and host names are made of words: parts in one case (or Capitalised), few digits.
  const parts = core.split(/[./]/)
  if (parts.length > 1 && !/\d{4}/.test(core) && parts.every((part) => /^(?:[A-Z]?[a-z0-9-]*|[A-Z0-9-]+)$/.test(part))) return false
  const classes = [/[a-z]/, /[A-Z]/, /\d/].filter((re) => re.test(core)).length
  if (classes < 2 && !/^[0-9a-f]{32,}$/i.test(core)) return false
  const counts = new Map<string, number>()
  for (const ch of core) counts.set(ch, (counts.get(ch) ?? 0) + 1)
  let bits = 0
  for (const n of counts.values()) bits -= (n / core.length) * Math.log2(n / core.length)
  return bits >= 3.5
}

function decodeJsonEscapes (text: string): string {
  return text.replace(/\\u([0-9a-fA-F]{4})|\\(["\\/bfnrt'])/g, (_m, hex: string | undefined, ch: string) => {
    if (hex !== undefined) return String.fromCharCode(parseInt(hex, 16))
    return ({ b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' } as Record<string, string>)[ch] ?? ch
  })
}

function decodePercent (text: string): string {
  return text.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run)
    } catch {
      return MASK // bytes that are not UTF-8: cannot be judged
    }
  })
}

/** Decoded until it no longer changes (double escaping included), at most a few rounds. */
function decode (text: string): string {
  let out = text
  for (let round = 0; round < 4; round++) {
    const next = decodePercent(decodeJsonEscapes(out))
    if (next === out) break
    out = next
  }
  return out
}

/** The text with credentials, tokens and keys replaced by `[REDACTED]`. */
export function redact (text: string): string {
  // eslint-disable-next-line no-control-regex
  let out = decode(text).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '?')
  for (const [pattern, replacement] of RULES) out = typeof replacement === 'string' ? out.replace(pattern, replacement) : out.replace(pattern, replacement)
  return out
}

// An error's code and name are shown only when they look like what drivers put there
// (ECONNREFUSED, ER_ACCESS_DENIED_ERROR, PostgreSQL's 28P01; TypeError): anything else may be data.
const ERROR_CODE = /^(?:[A-Z][A-Z0-9_]{1,39}|[0-9][0-9A-Z]{4})$/
const ERROR_NAME = /^[A-Z][A-Za-z]{0,39}$/

function messageOf (error: unknown): string {
  if (typeof error === 'string') return error
  if (!(error instanceof Error)) return `a thrown ${error === null ? 'null' : typeof error} (not an Error)`
  const text = typeof error.message === 'string' ? error.message : `an error whose message is ${error.message === null ? 'null' : typeof error.message}`
  const code = (error as { code?: unknown }).code
  const message = typeof code === 'string' && ERROR_CODE.test(code) && !text.includes(code) ? `${code}: ${text}` : text
  if (message !== '') return message
  return typeof error.name === 'string' && ERROR_NAME.test(error.name) ? error.name : 'an error without a message'
}

/** A short, redacted description of whatever a check threw. */
export function describeError (error: unknown): string {
  let message: string
  try {
    message = messageOf(error)
  } catch {
    // A getter that throws, a revoked Proxy: nothing can be read, nothing is shown.
    message = 'an error that cannot be read'
  }
  // Redact before cutting: a cut could split a secret so that no rule sees it.
  const redacted = redact(message)
  return redacted.length > 500 ? redacted.slice(0, 500) + '…' : redacted
}
