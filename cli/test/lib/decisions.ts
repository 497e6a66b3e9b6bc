import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/** One row of docs/migrations.md's decision table. */
export interface Decision { statement: string, example: string, verdict: string, why: string, reports: string }

/** The rows of "Every statement, decided", the examples without their backquotes. */
export function decisions (): Decision[] {
  const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'migrations.md'), 'utf8')
  const start = doc.indexOf('### Every statement, decided')
  const section = doc.slice(start, doc.indexOf('\n## ', start))
  return section.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| statement') && !line.startsWith('| ---'))
    .map((line) => {
      const [statement, example, verdict, why, reports] = line.slice(2, -2).split(' | ')
      return { statement, example: example.replace(/^`|`$/g, ''), verdict, why, reports }
    })
}
