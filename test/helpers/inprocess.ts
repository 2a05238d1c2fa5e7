// The scripts and the simulator run in the test's own process: the same program bodies as
// scripts/*.ts (lib/program.ts: clusterManager, devUpMulti) framed as lib/main.ts frames them,
// and the same simulator mains as test/fixtures/bin/* (sim/inprocess.mjs), against the same
// HOME and simulator state. What a run costs is then the work itself, not three to fifteen node
// starts of 60 to 130 ms of CPU each.
//
// What is not the same, and stays with the end-to-end tests (a sandbox without `inProcess`):
// signals and a closed stdout (nothing here sends them), concurrent runs (one runs at a time, a
// second started meanwhile fails: the working directory and argv[1] they read are this
// process's), a terminal, and the start-up path itself (prologue, launcher, bundle). Programs
// other than k3d, kubectl and docker (git, sh, just, a deploy command) are started for real
// with the run's environment; simulated calls are queued, as the state lock queues processes.
import path from 'node:path'
import { Readable, Writable } from 'node:stream'
import type { RunOptions, RunResult, Runner } from '../../lib/proc.ts'
import type { ProgramIo } from '../../lib/program.ts'
import { runFramed } from '../../lib/main.ts'
import { which } from 'zx'
import { simulate, TOOLS } from '../fixtures/sim/inprocess.mjs'
import { spawnRun } from './sandbox.ts'

type Env = Record<string, string | undefined>

/** ENV with OVERRIDES applied as a child's environment is (undefined removes a variable). */
function merged(env: Env, overrides: Env = {}): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries({ ...env, ...overrides })) if (v !== undefined) out[k] = v
  return out
}

/** The first executable CMD on ENV's PATH (zx's which), or null; a path with a slash is itself. */
export function whichIn(cmd: string, env: Env, cwd: string): string | null {
  if (cmd.includes('/')) return path.resolve(cwd, cmd)
  const found = which.sync(cmd, { path: env.PATH ?? '', nothrow: true })
  return found === null ? null : path.resolve(cwd, found)
}

/**
 * A Runner for a program whose environment is ENV: k3d, kubectl and docker found first on its
 * PATH in SIM_BIN are simulated in this process; anything else is spawned (exit 127 when it is
 * not on PATH, as lib/proc.ts's runner answers). `stream` output goes to OUT / ERR.
 */
export function simRunner(env: Env, simBin: string, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Runner {
  return async (cmd: string, args: readonly string[], opts: RunOptions = {}) => {
    opts.signal?.throwIfAborted()
    const callEnv = merged(env, opts.env)
    const cwd = opts.cwd ?? process.cwd()
    const file = whichIn(cmd, callEnv, cwd)
    let r: RunResult
    if (file === null) r = { code: 127, stdout: '', stderr: `${cmd}: command not found\n` }
    else if (TOOLS.includes(path.basename(file)) && path.dirname(file) === simBin) r = await simulate(path.basename(file), args, { env: callEnv, input: opts.input })
    else r = await spawnRun(file, args, callEnv, { cwd, input: opts.input })
    opts.signal?.throwIfAborted()
    if (opts.stream === 'inherit') {
      out.write(r.stdout)
      err.write(r.stderr)
      return { ...r, stdout: '', stderr: '' }
    }
    if (opts.stream === 'stderr') {
      err.write(r.stdout + r.stderr)
      return { ...r, stdout: '', stderr: '' }
    }
    return r
  }
}

/** A stream that keeps what is written to it (not a terminal). */
function sink(): { stream: NodeJS.WriteStream; text: () => string } {
  const chunks: string[] = []
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(String(chunk))
      done()
    },
  }) as unknown as NodeJS.WriteStream
  return { stream, text: () => chunks.join('') }
}

export type Program = (io: ProgramIo, signal: AbortSignal) => Promise<number | void>

let running: string | null = null

/**
 * Runs PROGRAM as the script SCRIPT would run with ARGS in ENV (its whole environment), from
 * CWD, with INPUT on stdin, its programs started by RUNNER (default: simRunner): process.argv[1] and the working directory are the script's for the
 * run. Resolves {code, stdout, stderr}. One run at a time: a second one started while the first
 * runs rejects (a test of concurrent runs needs processes; queueing them would test nothing).
 */
export function runProgram(
  program: Program,
  script: string,
  args: string[],
  opts: { env: Env; cwd?: string; input?: string; usage?: string; simBin: string; runner?: Runner },
): Promise<RunResult> {
  if (running !== null) return Promise.reject(new Error(`in-process run of ${script} ${args.join(' ')} while ${running} runs: concurrent runs need an end-to-end sandbox`))
  running = `${script} ${args.join(' ')}`
  const job = (async () => {
    const stdout = sink()
    const stderr = sink()
    const env = merged(opts.env)
    const stdin = Readable.from([opts.input ?? '']) as unknown as NodeJS.ReadStream
    const runner = opts.runner ?? simRunner(env, opts.simBin, stdout.stream, stderr.stream)
    const io: ProgramIo = { argv: args, env, stdin, stdout: stdout.stream, stderr: stderr.stream, runner }
    const cwd = process.cwd()
    const argv1 = process.argv[1]
    process.chdir(opts.cwd ?? cwd)
    process.argv[1] = script
    try {
      const code = await runFramed((signal) => program(io, signal), new AbortController().signal, { stderr: stderr.stream, env }, opts.usage)
      return { code, stdout: stdout.text(), stderr: stderr.text() }
    } finally {
      process.chdir(cwd)
      if (argv1 === undefined) process.argv.splice(1, 1)
      else process.argv[1] = argv1
      running = null
    }
  })()
  return job
}
