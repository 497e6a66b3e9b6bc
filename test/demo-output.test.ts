import t from 'tap'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'

// The demos leave a clone clean: their reports go to demo/out/ (ignored) unless --write-docs.
const root = join(__dirname, '..')

t.test('without --write-docs a demo writes to demo/out/, which git ignores, and says so', async (t) => {
  const { demoOutput } = await import('../demo/output.mjs')
  const output = demoOutput(['node', 'demo/run.mjs'])
  t.teardown(() => rmSync(join(root, 'demo', 'out', 'probe'), { recursive: true, force: true }))
  output.write('probe/report.md', 'measured\n')
  t.equal(readFileSync(join(root, 'demo', 'out', 'probe', 'report.md'), 'utf8'), 'measured\n')
  t.notOk(existsSync(join(root, 'docs', 'probe')), 'nothing under docs/')
  const ignored = spawnSync('git', ['check-ignore', '-q', 'demo/out/probe/report.md'], { cwd: root })
  t.equal(ignored.status, 0, 'git ignores it')
  let said = ''
  output.report({ write: (text: string) => { said += text } })
  t.match(said, /wrote demo\/out\/probe\/report\.md\n\(demo\/out\/ is not tracked; --write-docs refreshes the committed docs\/ instead\)/)
  t.match(output.readDoc('rolling-deploy.md'), /^# Rolling deploys/, 'what another run wrote is read from the committed doc')
})

t.test('with --write-docs it writes the committed docs, and names each file', async (t) => {
  const { demoOutput } = await import('../demo/output.mjs')
  const output = demoOutput(['node', 'demo/run.mjs', '--write-docs'])
  t.teardown(() => rmSync(join(root, 'docs', 'zz-probe.md'), { force: true }))
  output.write('zz-probe.md', 'measured\n')
  t.ok(existsSync(join(root, 'docs', 'zz-probe.md')))
  let said = ''
  output.report({ write: (text: string) => { said += text } })
  t.equal(said, '\nwrote docs/zz-probe.md\n')
  t.equal(output.readDoc('no-such-doc.md'), undefined)
  demoOutput([]).report({ write: () => { t.fail('nothing written, nothing said') } })
})
