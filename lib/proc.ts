import { $ } from 'zx/core'
import type { StdioOptions } from 'node:child_process'
import { NEVER } from './cancel.ts'
import { shellWord } from './invocation.ts'

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

export interface RunOptions {
  input?: string
  env?: Record<string, string | undefined>
  cwd?: string
  /** Kills the program (its whole process group) when it fires; the call then throws its reason. */
  signal?: AbortSignal
  /**
   * The program's output goes straight to ours instead of being captured: 'inherit' keeps
   * stdout and stderr, 'stderr' sends both to our stderr (stdout holds a machine result).
   */
  stream?: 'inherit' | 'stderr'
}

/** Runs a program with an argument list (never a command string); never throws on exit codes. */
export type Runner = (cmd: string, args: readonly string[], opts?: RunOptions) => Promise<RunResult>

function stdio(stream: RunOptions['stream']): StdioOptions {
  if (stream === 'inherit') return ['pipe', 'inherit', 'inherit']
  if (stream === 'stderr') return ['pipe', 2, 'inherit']
  return ['pipe', 'pipe', 'pipe']
}

/**
 * zx's `$` as we run programs: through /bin/sh instead of zx's default bash with its
 * `set -euo pipefail` prefix (we run one program, never a pipeline); dash starts in ~1 ms where
 * bash takes ~3, on each of a bootstrap's dozen calls (docs/performance.md). zx's own quote()
 * writes bash's $'...', which dash does not read: the words are quoted as our hints are.
 */
const SH = { shell: '/bin/sh', prefix: '', postfix: '', quote: shellWord }

/**
 * The real runner: zx's `$` quotes every argument. Exit 127 means the program is not on PATH.
 * Each program runs in a process group of its own (`detached`), so an abort kills it together
 * with whatever it started, and a terminal's Ctrl-C reaches only us: the entry point decides
 * what stops and when, and an undo's `k3d cluster delete` is not killed by a second Ctrl-C.
 */
export const run: Runner = async (cmd, args, opts = {}) => {
  const { signal } = opts
  signal?.throwIfAborted()
  const env = opts.env ? { ...process.env, ...opts.env } : process.env
  // The working directory of this call, never zx's: zx keeps the one it saw when it was loaded,
  // which in a startup snapshot is the build's (docs/performance.md).
  const cwd = opts.cwd ?? process.cwd()
  const out = await $({ ...SH, quiet: true, nothrow: true, input: opts.input, env, cwd, signal, detached: true, stdio: stdio(opts.stream) })`${cmd} ${args}`
  signal?.throwIfAborted()
  return { code: out.exitCode ?? 1, stdout: out.stdout, stderr: out.stderr }
}

/** RUNNER with SIGNAL given to every call that does not bring its own. */
export function withSignal(runner: Runner, signal: AbortSignal): Runner {
  return (cmd, args, opts = {}) => runner(cmd, args, { ...opts, signal: opts.signal ?? signal })
}

/** RUNNER with no signal at all: for an undo, which must finish after the run was aborted. */
export function ignoringSignal(runner: Runner): Runner {
  return (cmd, args, opts = {}) => runner(cmd, args, { ...opts, signal: NEVER })
}
