// Secret forms the redaction tests pass where a value is expected (also used by the CLI's tests):
// [what it is, the value, the part that must never be shown].
export const SECRETS = [
  ['a URL with a password', 'postgres://user:hunter2secret@db.internal/app', 'hunter2secret'],
  ['a password setting', 'password=hunter2secret', 'hunter2secret'],
  ['a bearer token', 'Bearer hunter2secretToken', 'hunter2secretToken'],
  ['a vendor key', 'sk_live_Hunter2Secret0000000000', 'Hunter2Secret0000000000']
] as const
