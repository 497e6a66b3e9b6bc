// Coverage counts the library only: examples and fixtures run in tests but are not library code,
// and the CLI's build output (lib/cli/dist) is not source.
import { readdirSync } from 'node:fs'

const libraryFiles = readdirSync(new URL('../../lib/', import.meta.url), { recursive: true })
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && !/(^|\/)(dist|node_modules)\//.test(file))
  .map((file) => `lib/${file}`)

export default () => libraryFiles
