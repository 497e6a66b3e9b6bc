// Coverage counts the plugin's library only: examples and fixtures run in tests but are not library code.
import { readdirSync } from 'node:fs'

const libraryFiles = readdirSync(new URL('../../lib/', import.meta.url), { recursive: true })
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
  .map((file) => `lib/${file}`)

export default () => libraryFiles
