// Coverage counts the CLI's own source; the plugin it imports is covered by the plugin's tests.
import { readdirSync } from 'node:fs'

const sourceFiles = readdirSync(new URL('./lib/', import.meta.url), { recursive: true })
  .filter((file) => file.endsWith('.ts'))
  .map((file) => `lib/${file}`)

export default () => sourceFiles
