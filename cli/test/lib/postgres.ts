import { spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from 'pg'
import type { Test } from 'tap'

// The PostgreSQL server of the machine (CI's: 15 from Debian, trust auth); a URL from the environment.
const SERVER = process.env.ZD_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** Runs statements as the server's administrator, on `database` (the server's default one otherwise). */
export async function admin (sql: string[], database?: string): Promise<void> {
  const url = new URL(SERVER)
  if (database !== undefined) url.pathname = `/${database}`
  const client = new Client({ connectionString: url.href })
  await client.connect()
  try {
    for (const statement of sql) await client.query(statement)
  } finally {
    await client.end()
  }
}

/**
 * The URL of a new, empty database on the server, dropped after the test; undefined when the
 * server does not answer (the test skipped, naming PostgreSQL; failed where ZD_REQUIRE_SERVICES is set).
 */
export async function scratchDatabase (t: Test, name = `zd_trace_${randomUUID().slice(0, 8)}`, template?: string): Promise<URL | undefined> {
  try {
    await admin([`CREATE DATABASE ${name}${template === undefined ? '' : ` TEMPLATE ${template}`}`])
  } catch (error) {
    const message = `PostgreSQL is not reachable at ${new URL(SERVER).host} (${(error as Error).message}): start it (see .ci/run) or set ZD_POSTGRES_URL`
    if (process.env.ZD_REQUIRE_SERVICES !== undefined) t.fail(message)
    else t.skip(message, () => {})
    return undefined
  }
  t.teardown(async () => { await admin([`DROP DATABASE ${name} WITH (FORCE)`]) })
  const url = new URL(SERVER)
  url.pathname = `/${name}`
  return url
}

export interface PGliteSession { query: (sql: string) => Promise<Array<Record<string, unknown>>>, close: () => Promise<void>, exec: (sql: string) => Promise<void>, dump: () => Promise<Blob> }

/** PGlite 17 as trace mode's session (its only database is named "postgres"), closed after the test; from a dump if given. */
export async function pgliteSession (t: Test, from?: Blob): Promise<PGliteSession> {
  const { PGlite } = await import('pglite-17')
  // The extensions the decision table's examples create, as PostgreSQL's contrib has them.
  const { pgcrypto } = await import('pglite-17/contrib/pgcrypto')
  const { btree_gist: btreeGist } = await import('pglite-17/contrib/btree_gist')
  const db = new PGlite({ extensions: { pgcrypto, btree_gist: btreeGist }, ...(from === undefined ? {} : { loadDataDir: from }) })
  t.teardown(async () => await db.close())
  return {
    query: async (sql) => (await db.query<Record<string, unknown>>(sql)).rows,
    close: async () => {},
    exec: async (sql) => { await db.exec(sql) },
    dump: async () => await db.dumpDataDir('none')
  }
}

/** The server's major version (15 for 15.20). */
export async function serverMajor (url: URL): Promise<number> {
  const client = new Client({ connectionString: url.href })
  await client.connect()
  try {
    return Math.floor(Number((await client.query('SHOW server_version_num')).rows[0].server_version_num) / 10000)
  } finally {
    await client.end()
  }
}

/** A directory of its own, removed after the test. */
export function tempDir (t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'zd-schema-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** pg_dump of the database, in a file; undefined (the test skipped, naming pg_dump) where there is none. */
export function dump (t: Test, url: URL, dir: string, ...args: string[]): string | undefined {
  const file = join(dir, `dump-${args.join('')}.sql`)
  const result = spawnSync('pg_dump', [...args, '-f', file, url.href], { encoding: 'utf8' })
  if (result.error !== undefined || result.status !== 0) {
    const message = `pg_dump could not dump ${url.host} (${result.error?.message ?? result.stderr}): install PostgreSQL's client tools`
    if (process.env.ZD_REQUIRE_SERVICES !== undefined) t.fail(message)
    else t.skip(message, () => {})
    return undefined
  }
  return file
}
