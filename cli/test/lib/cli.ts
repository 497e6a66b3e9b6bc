import { main } from '../../lib/main'

/** Runs the CLI in this process; its exit code and what it printed. */
export async function cli (...args: string[]): Promise<{ code: number, out: string, err: string }> {
  const out: string[] = []
  const err: string[] = []
  const code = await main(args, (line) => out.push(line), (line) => err.push(line))
  return { code, out: out.join('\n'), err: err.join('\n') }
}
