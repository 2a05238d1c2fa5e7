import { ArgumentError, CliError, describeError, EXIT } from './errors.ts'
import { chalk } from 'zx/core'
import { Interrupted, stopOf } from './cancel.ts'
import type { StopCause } from './cancel.ts'
import { applyColor } from './output.ts'
import { createRequire } from 'node:module'
import path from 'node:path'
import { startScript } from '../tools/start.mjs'

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/**
 * The one cancellation signal of a run. SIGINT, SIGTERM, SIGHUP and a closed stdout/stderr
 * (EPIPE) abort it; nothing else reacts to them, so whatever runs (a child process, a wait,
 * a step) stops by seeing the signal, and the flow that started the work undoes it. A second
 * signal while that undo runs leaves at once, as a second Ctrl-C does in terraform and docker
 * compose: the undo's own `k3d cluster delete` runs in a process group of its own and
 * finishes, and the next run repairs the rest (see docs/architecture.md).
 */
export function cancellation(onStop: (cause: StopCause) => void = () => undefined): AbortController {
  const stop = new AbortController()
  const fire = (cause: StopCause) => {
    if (!stop.signal.aborted) {
      stop.abort(new Interrupted(cause))
      onStop(cause)
    } else if (cause !== 'EPIPE') {
      process.exit(new Interrupted(cause).exitCode)
    }
  }
  for (const sig of SIGNALS) process.on(sig, () => fire(sig))
  for (const stream of [process.stdout, process.stderr]) {
    // Without a listener a write to a closed pipe crashes Node with a stack trace. EPIPE
    // aborts; other write errors (EIO once the terminal is gone) have nowhere to be reported.
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') fire('EPIPE')
    })
  }
  return stop
}

/** What a program's frame uses of its process: where errors go, and the environment. */
export interface FrameIo {
  stderr: NodeJS.WritableStream & { writable: boolean }
  env: NodeJS.ProcessEnv
}

/**
 * Runs MAIN with SIGNAL, turns any error into one line on IO.stderr (plus the fix) and resolves
 * with the exit code: MAIN's, the error's kind's, or after an abort the signal's (130 INT,
 * 143 TERM, 129 HUP, 141 for a closed output, which prints nothing). No process state is
 * touched: runMain gives it the process, the tests' in-process runs their own streams.
 */
export async function runFramed(main: (signal: AbortSignal) => Promise<number | void>, signal: AbortSignal, io: FrameIo, usage?: string): Promise<number> {
  const report = (line: string) => {
    if (io.stderr.writable) io.stderr.write(`${chalk.red('✗')} ${line}\n`)
  }
  try {
    const code = (await main(signal)) ?? EXIT.OK
    const late = stopOf(signal)
    // The work was done before the signal landed (a complete cluster is kept): say so, exit as signalled.
    if (late && late.stop !== 'EPIPE' && io.stderr.writable) io.stderr.write(`${chalk.yellow('⚠')} ${late.message} after the work was done\n`)
    return late?.exitCode ?? code
  } catch (err) {
    const stopped = stopOf(signal)
    if (stopped) {
      if (stopped.stop !== 'EPIPE') report(err instanceof CliError ? err.message : stopped.message)
      return stopped.exitCode
    }
    const { message, exitCode, hint } = describeError(err)
    report(`${message}${hint ? ` — ${hint}` : ''}`)
    if (usage && err instanceof ArgumentError && io.stderr.writable) io.stderr.write(`\n${usage}\n`)
    if (io.env.DEBUG_MULTI_CLUSTER && err instanceof Error) io.stderr.write(`${err.stack}\n`)
    return exitCode
  }
}

/**
 * The entry points' frame: runFramed in this process, with its signals (cancellation) and exit
 * code. While tools/build.mjs builds a startup snapshot of a script, nothing runs: every module is
 * loaded by then, WARM (pure) runs once so that what it calls is compiled in the snapshot, and
 * the run waits for a start from the snapshot (docs/performance.md).
 */
export async function runMain(main: (signal: AbortSignal) => Promise<number | void>, usage?: string, warm?: () => Promise<void>): Promise<void> {
  const snapshot = buildingSnapshot()
  if (!snapshot) return frame(main, usage)
  // What every run needs, compiled into the snapshot (lib/warm.ts); the snapshot is taken once
  // nothing is left to run.
  await warm?.()
  snapshot.setDeserializeMainFunction(() => {
    // tools/launch.sh started `node --snapshot-blob ROOT/dist/NAME.blob ROOT/scripts/NAME.ts ARGS...`.
    const script = process.argv[1] ?? ''
    const entry = path.join(path.dirname(path.dirname(script)), 'dist', `${path.basename(script, '.ts')}.blob`)
    startScript(process.argv, process.env, { runner: 'snapshot', entry })
    void frame(main, usage)
  })
}

/** node:v8's startupSnapshot while `node --build-snapshot` runs us, else undefined (node:v8 stays unloaded). */
function buildingSnapshot(): typeof import('node:v8').startupSnapshot | undefined {
  if (!process.execArgv.includes('--build-snapshot')) return undefined
  const { startupSnapshot } = createRequire(import.meta.url)('node:v8') as typeof import('node:v8')
  return startupSnapshot.isBuildingSnapshot() ? startupSnapshot : undefined
}

async function frame(main: (signal: AbortSignal) => Promise<number | void>, usage?: string): Promise<void> {
  let finished = false
  const stop = cancellation((cause) => {
    // A signal or EPIPE after MAIN returned (output still draining) only sets the exit code.
    if (finished) process.exitCode = new Interrupted(cause).exitCode
  })
  applyColor(process.env, !!process.stderr.isTTY)
  try {
    process.exitCode = await runFramed(main, stop.signal, { stderr: process.stderr, env: process.env }, usage)
  } finally {
    finished = true
  }
}
