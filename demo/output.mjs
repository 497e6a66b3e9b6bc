// Where a demo writes what it measured: demo/out/ (ignored by git) unless it was asked to refresh
// the committed docs with --write-docs. Either way it says what it wrote.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

export function demoOutput (argv = process.argv) {
  const writeDocs = argv.includes('--write-docs')
  const base = new URL(writeDocs ? '../docs/' : './out/', import.meta.url)
  const written = []
  return {
    writeDocs,
    /** The committed version of a doc, to keep the sections another run wrote. */
    readDoc (name) {
      const own = new URL(name, base)
      const committed = new URL(name, new URL('../docs/', import.meta.url))
      const from = existsSync(own) ? own : committed
      return existsSync(from) ? readFileSync(from, 'utf8') : undefined
    },
    write (name, text) {
      const target = new URL(name, base)
      mkdirSync(dirname(fileURLToPath(target)), { recursive: true })
      writeFileSync(target, text)
      written.push(relative(root, fileURLToPath(target)))
    },
    report (stream = process.stderr) {
      if (written.length === 0) return
      stream.write(`\nwrote ${written.join(', ')}${writeDocs ? '' : '\n(demo/out/ is not tracked; --write-docs refreshes the committed docs/ instead)'}\n`)
    }
  }
}
