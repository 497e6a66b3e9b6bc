import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main } from '../lib/main'
import { lintFiles } from '../lib/lint'
import { SECRETS } from '../../test/lib/secrets'

const examples = join(__dirname, '..', '..', 'examples')

t.test('the CLI redacts what it quotes of its arguments and config', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'zd-redact-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const manifest = join(examples, 'kubernetes', 'deployment.yaml')
  for (const [form, secret, hidden] of SECRETS) {
    const config = join(dir, 'options.json')
    writeFileSync(config, JSON.stringify({ [secret]: 1 }))
    const runs = [[secret], ['check', manifest, '--propagation', secret], ['lint-migrations', 'x.sql', '--format', secret], ['lint-migrations', 'x.sql', '--pg-version', secret], ['check', manifest, '--config', config]]
    for (const args of runs) {
      const lines: string[] = []
      t.equal(await main(args, () => {}, (line) => lines.push(line)), 2)
      t.notMatch(lines.join('\n'), hidden, `${form}: ${args[0]} ${args[2] ?? ''}`)
      t.match(lines.join('\n'), /^error FST_ZD_CLI_[A-Z]+: .*\[REDACTED\]/, `${form}: coded, and says something was withheld`)
    }
  }
})

// The worked example of docs/migrations.md (rolled under load in the plugin's test/expand-contract.test.ts).
t.test('the expand-contract example\'s migrations pass the linter (the contract one raises the floor)', async (t) => {
  t.same(await lintFiles([join(examples, 'expand-contract', 'migrations')]), [])
})
