import t, { type Test } from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Client } from 'pg'
import { LOCK_RETRY_DEFAULTS, withLockRetries, type LockRetrySession } from '../lib/lock-retries'
import { scratchDatabase } from './lib/postgres'

// The lock-retry helper on the machine's PostgreSQL: a real session holds the lock, the step waits
// on it for real, and what blocks it is read from pg_stat_activity.

async function session (t: Test, url: URL): Promise<Client> {
  const client = new Client({ connectionString: url.href })
  await client.connect()
  t.teardown(async () => await client.end())
  return client
}

/** A session that reads the table in an open transaction: ACCESS SHARE, held until it ends. */
async function reader (t: Test, url: URL): Promise<{ release: () => Promise<void> }> {
  const client = await session(t, url)
  await client.query('BEGIN')
  await client.query('SELECT count(*) FROM orders /* the report */')
  return { release: async () => { await client.query('COMMIT') } }
}

const columns = async (client: Client): Promise<string[]> => (await client.query("SELECT attname FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attnum > 0 ORDER BY attnum")).rows.map((r) => r.attname)

t.test('a step blocked by a long reader times out, is rolled back, and succeeds once the reader is gone; each attempt names the blocker', async (t) => {
  const url = await scratchDatabase(t)
  if (url === undefined) return
  const migrator = await session(t, url)
  await migrator.query('CREATE TABLE orders (id int)')
  const blocker = await reader(t, url)
  const logged: Array<{ message: string, attempt: number }> = []
  const result = await withLockRetries(migrator, async (db) => {
    await db.query('ALTER TABLE orders ADD COLUMN status text')
    return 'added'
  }, {
    lockTimeout: 100,
    attempts: 5,
    delay: 10,
    monitor: await session(t, url),
    log: (message, { attempt }) => {
      logged.push({ message, attempt })
      // The reader ends after the second timeout: the third attempt gets the lock.
      if (attempt === 2) blocker.release().catch(t.threw)
    }
  })
  t.equal(result, 'added', 'the step\'s result')
  t.same(logged.map((l) => l.attempt), [1, 2], 'two timeouts, then the lock')
  t.match(logged[0].message, /^lock timeout \(100 ms\), attempt 1 of 5; retrying in \d+ ms; blocked by pid \d+ \(idle in transaction, \d+ s in its transaction\): SELECT count\(\*\) FROM orders \/\* the report \*\/$/)
  t.same(await columns(migrator), ['id', 'status'], 'committed once')
  t.same((await migrator.query('SHOW lock_timeout')).rows[0].lock_timeout, '0', 'the timeout was SET LOCAL: the session is as it was')
})

t.test('a lock never released: every attempt rolled back, then a coded error naming the blocker; nothing committed', async (t) => {
  const url = await scratchDatabase(t)
  if (url === undefined) return
  const migrator = await session(t, url)
  await migrator.query('CREATE TABLE orders (id int)')
  await reader(t, url)
  const logged: string[] = []
  await t.rejects(withLockRetries(migrator, async (db) => {
    await db.query('ALTER TABLE orders ADD COLUMN priority int')
    await db.query('ALTER TABLE orders ADD COLUMN status text')
  }, { lockTimeout: 50, attempts: 3, delay: 5, monitor: await session(t, url), log: (message) => logged.push(message) }), {
    code: 'FST_ZD_CLI_LOCK_RETRIES',
    message: /^the step timed out waiting for its lock 3 time\(s\) \(lock_timeout 50 ms\), and was rolled back each time; blocked by pid \d+ \(idle in transaction, \d+ s in its transaction\): SELECT count\(\*\) FROM orders .*: retry later, or find what holds the lock$/
  })
  t.equal(logged.length, 2, 'the last attempt is the error, not a log line')
  // Without a log of its own: a line on stderr per timeout.
  await t.rejects(withLockRetries(migrator, async (db) => { await db.query('LOCK TABLE orders') }, { lockTimeout: 20, attempts: 2, delay: 1 }), { code: 'FST_ZD_CLI_LOCK_RETRIES' })
  t.same(await columns(migrator), ['id'], 'nothing committed')
})

t.test('without a monitor session: retried all the same, the blocker unnamed; other errors are thrown at once, rolled back', async (t) => {
  const url = await scratchDatabase(t)
  if (url === undefined) return
  const migrator = await session(t, url)
  await migrator.query('CREATE TABLE orders (id int)')
  const blocker = await reader(t, url)
  const logged: string[] = []
  await withLockRetries(migrator, async (db) => { await db.query('ALTER TABLE orders ADD COLUMN note text') }, {
    lockTimeout: 50, delay: 5, log: (message) => { logged.push(message); blocker.release().catch(t.threw) }
  })
  t.match(logged, [/^lock timeout \(50 ms\), attempt 1 of 5; retrying in \d+ ms$/])
  let calls = 0
  await t.rejects(withLockRetries(migrator, async (db) => { calls++; await db.query('ALTER TABLE orders ADD COLUMN id int') }), { code: '42701' })
  t.equal(calls, 1, 'not retried')
  t.equal((await migrator.query('SELECT 1 AS ok')).rows[0].ok, 1, 'the session is usable: the failed transaction was rolled back')
  // A session that resolves the rows themselves (as PGlite's adapter or Knex's raw may).
  const rowsOnly: LockRetrySession = { query: async (sql) => (await migrator.query(sql)).rows }
  t.equal(await withLockRetries(rowsOnly, async () => 'done', { monitor: rowsOnly }), 'done', 'rows given as an array')
  const aborted = new AbortController()
  aborted.abort()
  await t.rejects(withLockRetries(migrator, async () => {}, { signal: aborted.signal }), { name: 'AbortError' })
})

t.test('bad options are coded errors naming the option and what is expected', async (t) => {
  const unused: LockRetrySession = { query: async () => { throw new Error('not reached') } }
  for (const [options, pattern] of [
    [{ lockTimeout: 0 }, /^withLockRetries option "lockTimeout" is 0: expected a number of milliseconds, more than 0$/],
    [{ attempts: 1.5 }, /^withLockRetries option "attempts" is 1.5: expected an integer, 1 or more$/],
    [{ delay: '1s' }, /^withLockRetries option "delay" is 1s: expected a number of milliseconds/],
    [{ maxDelay: Number.POSITIVE_INFINITY }, /^withLockRetries option "maxDelay" is Infinity/]
  ] as const) {
    await t.rejects(withLockRetries(unused, async () => {}, options as never), { code: 'FST_ZD_CLI_LOCK_RETRY_OPTION', message: pattern })
  }
  await t.rejects(withLockRetries(unused, async () => {}, { lockTimout: 100 } as never), { code: 'FST_ZD_CLI_LOCK_RETRY_OPTION', message: 'withLockRetries option "lockTimout" is unknown: expected one of the known options: lockTimeout, attempts, delay, maxDelay, monitor, log, signal (did you mean "lockTimeout"?)' })
  await t.rejects(withLockRetries({} as never, async () => {}), { message: /^withLockRetries session is .*: expected a session with query\(sql\)/ })
  await t.rejects(withLockRetries(unused, async () => {}, { monitor: 'postgres://x' as never }), { message: /^withLockRetries options\.monitor is .*: expected a session with query\(sql\)/ })
  await t.rejects(withLockRetries(unused, 'ALTER TABLE x' as never), { message: /^withLockRetries step is .*: expected a function \(session\) => Promise$/ })
  await t.rejects(withLockRetries(unused, async () => {}, { log: console as never }), { message: /^withLockRetries option "log" is .*: expected a function \(message, details\) => void$/ })
  t.same(LOCK_RETRY_DEFAULTS, { lockTimeout: 2000, attempts: 5, delay: 1000, maxDelay: 30000 })
})

t.test('docs/migrations.md: every option in the table, with the defaults of the code', async (t) => {
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'migrations.md'), 'utf8')
  const section = doc.slice(doc.indexOf('### Lock retries'), doc.indexOf('### Every statement, decided'))
  const rows = new Map([...section.matchAll(/^\| `(\w+)` \| [^|]+ \| .*Default: ([^|]+) \|$/gm)].map((m) => [m[1], m[2].trim()]))
  t.same([...rows.keys()], ['lockTimeout', 'attempts', 'delay', 'maxDelay', 'monitor', 'log', 'signal'])
  for (const [name, value] of Object.entries(LOCK_RETRY_DEFAULTS)) t.equal(rows.get(name), `\`${value}\``, name)
})
