import { main } from '../../lib/main'

/** Runs the CLI in this process; its exit code and what it printed. `env` alone is its environment (DATABASE_URL). */
export async function cli (...args: Array<string | NodeJS.ProcessEnv>): Promise<{ code: number, out: string, err: string }> {
  const out: string[] = []
  const err: string[] = []
  const env = args.find((arg): arg is NodeJS.ProcessEnv => typeof arg === 'object') ?? {}
  const code = await main(args.filter((arg): arg is string => typeof arg === 'string'), (line) => out.push(line), (line) => err.push(line), env)
  return { code, out: out.join('\n'), err: err.join('\n') }
}
