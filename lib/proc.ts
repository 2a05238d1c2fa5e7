import { $ } from 'zx/core'
import type { ProcessPromise } from 'zx/core'

const children = new Set<ProcessPromise>()

/** Interrupts every program still running (Ctrl-C), and waits for them to exit. */
export async function stopChildren(): Promise<void> {
  await Promise.all([...children].map(async (p) => {
    await p.kill('SIGINT').catch(() => undefined)
    await p.catch(() => undefined)
  }))
}

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

export interface RunOptions {
  input?: string
  env?: Record<string, string | undefined>
  cwd?: string
}

/** Runs a program with an argument list (never a command string); never throws on exit codes. */
export type Runner = (cmd: string, args: readonly string[], opts?: RunOptions) => Promise<RunResult>

/** The real runner: zx's `$` quotes every argument. Exit 127 means the program is not on PATH. */
export const run: Runner = async (cmd, args, opts = {}) => {
  const env = opts.env ? { ...process.env, ...opts.env } : process.env
  const child = $({ quiet: true, nothrow: true, input: opts.input, env, cwd: opts.cwd })`${cmd} ${args}`
  children.add(child)
  const out = await child.finally(() => children.delete(child))
  return { code: out.exitCode ?? 1, stdout: out.stdout, stderr: out.stderr }
}
