// A minimal migration runner for the example: SQL files, plus the backfill as code (batches, so
// that no long transaction holds locks while the old and new code serve). Records what it applied
// in schema_migrations, which checks.schema() reads.
import { readFileSync } from 'node:fs'

const dir = new URL('./migrations/', import.meta.url)

async function backfill (pool) {
  let total = 0
  for (;;) {
    const { rowCount } = await pool.query('UPDATE users SET full_name = name WHERE id IN (SELECT id FROM users WHERE full_name IS NULL AND name IS NOT NULL LIMIT 500)')
    total += rowCount
    if (rowCount === 0) return total
  }
}

export async function migrate (pool, name) {
  const { rows } = await pool.query('SELECT 1 FROM schema_migrations WHERE name = $1', [name]).catch(() => ({ rows: [] }))
  if (rows.length > 0) return
  if (name === '002_backfill') await backfill(pool)
  else await pool.query(readFileSync(new URL(`${name}.sql`, dir), 'utf8'))
  await pool.query('INSERT INTO schema_migrations (name) VALUES ($1)', [name])
}
