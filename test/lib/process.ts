import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

export interface LogLine { msg?: string, [key: string]: unknown }

export interface Fixture {
  child: ChildProcess
  port: number
  lines: LogLine[]
  /** Resolves with the first log line (already seen or to come) that matches. */
  waitFor: (match: RegExp | ((line: LogLine) => boolean)) => Promise<LogLine>
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  stderr: () => string
}

/**
 * Spawns a fixture app under the same TypeScript loader and coverage as the test, and resolves once
 * it listens. Its pino log lines (stdout) are parsed and can be waited on.
 */
export async function spawnFixture (t: { teardown: (fn: () => unknown) => void }, name: string, env: Record<string, string> = {}, started: RegExp = /^Server listening at /): Promise<Fixture> {
  const child = spawn(process.execPath, [...process.execArgv, join(__dirname, '..', 'fixtures', `${name}.ts`)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const lines: LogLine[] = []
  const waiters = new Set<{ test: (line: LogLine) => boolean, resolve: (line: LogLine) => void }>()
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: LogLine
    try { line = JSON.parse(text) } catch { line = { msg: text } }
    lines.push(line)
    for (const waiter of waiters) if (waiter.test(line)) { waiters.delete(waiter); waiter.resolve(line) }
  })
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }))
  })
  const waitFor = async (match: RegExp | ((line: LogLine) => boolean)): Promise<LogLine> => {
    const test = typeof match === 'function' ? match : (line: LogLine) => match.test(String(line.msg))
    const seen = lines.find(test)
    if (seen !== undefined) return seen
    return await Promise.race([
      new Promise<LogLine>((resolve) => waiters.add({ test, resolve })),
      exited.then(({ code }) => { throw new Error(`${name} exited (${code}) before logging ${String(match)}; stderr: ${stderr}`) })
    ])
  }
  const listening = await waitFor(started)
  const port = Number(/:(\d+)$/.exec(String(listening.msg))?.[1] ?? 0)
  return { child, port, lines, waitFor, exited, stderr: () => stderr }
}

/**
 * Node as users run it, without the test runner: no coverage, and, through env(1), without tap's
 * process-info hook, which tap's wrapped spawn would put back into NODE_OPTIONS (and whose own
 * startup work changes what V8 does: test/tick-shape.test.ts).
 */
export function spawnPlainNode (args: string[], env: Record<string, string>, stdio: StdioOptions): ChildProcess {
  const { NODE_V8_COVERAGE, NODE_OPTIONS, ...rest } = process.env
  return spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, ...args], { env: { ...rest, ...env }, stdio })
}
