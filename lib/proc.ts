import { $ } from 'zx/core'
import type { ChildProcess, StdioOptions } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { PassThrough } from 'node:stream'
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

/** What every call of `run` gives zx: sh, no echo, no throw on an exit code, a process group of its own. */
const SETTINGS = { ...SH, quiet: true, nothrow: true, detached: true }

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
  const out = await $({ ...SETTINGS, input: opts.input, env, cwd, signal, stdio: stdio(opts.stream) })`${cmd} ${args}`
  signal?.throwIfAborted()
  return { code: out.exitCode ?? 1, stdout: out.stdout, stderr: out.stderr }
}

/**
 * For a startup snapshot's warm-up (lib/warm.ts): one call through zx's `$` with `run`'s
 * settings, answered by a stand-in child (no process starts), so that zx's process machinery is
 * compiled into the snapshot: the first program a run starts then costs ~13 ms instead of ~21
 * (docs/performance.md). `$`'s options form, which `run` uses, enters zx's AsyncLocalStorage,
 * whose promise hooks a snapshot cannot hold (the build aborts: "js_promise_hooks_[0].IsEmpty()"),
 * so the settings go on `$` itself for this one call and come back after it.
 */
export async function warmRunner(): Promise<void> {
  const settings: Record<string, unknown> = { ...SETTINGS, stdio: stdio(undefined), spawn: standInChild }
  const zx = $ as unknown as Record<string, unknown>
  const saved = Object.fromEntries(Object.keys(settings).map((k) => [k, zx[k]]))
  Object.assign(zx, settings)
  try {
    await $`${'true'} ${['warm-up']}`
  } finally {
    Object.assign(zx, saved)
  }
}

/** What warmRunner's `$` spawns: a child that prints a line and exits 0 on the next turn. */
function standInChild(): ChildProcess {
  const child = Object.assign(new EventEmitter(), { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough(), pid: 0, kill: () => true })
  setImmediate(() => {
    child.stdout.end('warm-up\n')
    child.stderr.end()
    child.emit('spawn')
    child.emit('exit', 0, null)
    child.emit('close', 0, null)
  })
  return child as unknown as ChildProcess
}

/** RUNNER with SIGNAL given to every call that does not bring its own. */
export function withSignal(runner: Runner, signal: AbortSignal): Runner {
  return (cmd, args, opts = {}) => runner(cmd, args, { ...opts, signal: opts.signal ?? signal })
}

/** RUNNER with no signal at all: for an undo, which must finish after the run was aborted. */
export function ignoringSignal(runner: Runner): Runner {
  return (cmd, args, opts = {}) => runner(cmd, args, { ...opts, signal: NEVER })
}
