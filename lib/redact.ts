// Error messages from drivers carry secrets: connection strings, passwords, tokens. Whatever leaves
// this plugin (a log line, a detail in a response) goes through redact() first.

const MASK = '[REDACTED]'
const SECRET_KEY = String.raw`(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|auth|authorization|credentials?|session[-_]?id|sig(?:nature)?)`

const RULES: Array<[RegExp, string]> = [
  // scheme://user:password@host, scheme://token@host; greedy up to the last @, for passwords with an @
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/]*@/gi, `$1${MASK}@`],
  // Authorization: Bearer …, Basic …, Token …
  [/\b(bearer|basic|token|digest)\s+[A-Za-z0-9\-._~+/]+=*/gi, `$1 ${MASK}`],
  // "password": "…" and 'password': '…' in JSON or object dumps
  [new RegExp(String.raw`(["']?[\w-]*${SECRET_KEY}[\w-]*["']?\s*:\s*)("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s,;}&]+)`, 'gi'), `$1${MASK}`],
  // password=…, token=…, apikey=… in query strings, DSNs and key=value lists
  [new RegExp(String.raw`([\w-]*${SECRET_KEY}[\w-]*\s*=\s*)("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s&;,]+)`, 'gi'), `$1${MASK}`],
  // AWS access key ids and 40-character secrets next to them
  [/\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[A-Z0-9]{16}\b/g, MASK],
  [/(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g, MASK],
  // JSON web tokens
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, MASK]
]

/** The text with credentials, tokens and keys replaced by `[REDACTED]`. */
export function redact (text: string): string {
  let out = text
  for (const [pattern, replacement] of RULES) out = out.replace(pattern, replacement)
  return out
}

function messageOf (error: unknown): string {
  if (typeof error === 'string') return error
  if (!(error instanceof Error)) return `a thrown ${error === null ? 'null' : typeof error} (not an Error)`
  const text = typeof error.message === 'string' ? error.message : `an error whose message is ${error.message === null ? 'null' : typeof error.message}`
  const code = (error as { code?: unknown }).code
  const message = typeof code === 'string' && !text.includes(code) ? `${code}: ${text}` : text
  return message === '' ? String(error.name) : message
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
