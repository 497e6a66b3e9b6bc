import { SchemaDumpError } from '../errors'
import type { SchemaModel } from './schema'
import { decodeMigration, readBytes } from './source'

// A schema that predates the migrations folder (or that a file alone cannot know) read from
// `pg_dump --schema-only`: its statements feed the schema model as a release before the first file.

const HEADER = /^--\s*\n-- PostgreSQL database dump\b/
const EXPECTED = 'expected the plain SQL output of pg_dump --schema-only'

/** The dump's SQL, checked to be a schema dump; psql meta-commands (\restrict, \connect) blanked. */
export function readSchemaDump (file: string): string {
  const bytes = readBytes(file)
  if (bytes.subarray(0, 5).toString('latin1') === 'PGDMP') throw new SchemaDumpError(file, `a pg_dump archive in custom format: ${EXPECTED} (--format plain)`)
  const text = decodeMigration(bytes, file)
  if (!HEADER.test(text)) throw new SchemaDumpError(file, `does not start as pg_dump's output does ("-- PostgreSQL database dump"): ${EXPECTED}`)
  const data = /^(COPY \S+ .*FROM stdin;|INSERT INTO \S+)/m.exec(text)
  if (data !== null) throw new SchemaDumpError(file, `holds table data (${data[1].slice(0, 40)}…): ${EXPECTED}`)
  // Blank, not drop, the meta-commands: positions in errors stay the file's.
  return text.replace(/^\\.*$/gm, (line) => ' '.repeat(line.length))
}

/** Whether the model learnt any table from the dump: one without is not a schema of use. */
export function assertTables (model: SchemaModel, file: string): void {
  if (model.tableCount() === 0) throw new SchemaDumpError(file, `defines no table: ${EXPECTED} of the database the migrations run on`)
}
