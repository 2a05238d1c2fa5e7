import os from 'node:os'
import readline from 'node:readline'
import { InterruptedError } from '../errors.ts'
import { K3d } from '../k3d.ts'
import { Output } from '../output.ts'
import type { Paths } from '../paths.ts'
import { paths } from '../paths.ts'
import type { Runner } from '../proc.ts'
import { run as realRun, withSignal } from '../proc.ts'
import { NEVER } from '../cancel.ts'
import { Registry } from '../registry.ts'

/** Everything a command needs, built once by the entry point (tests build their own). */
export interface Context {
  paths: Paths
  out: Output
  k3d: K3d
  registry: Registry
  env: NodeJS.ProcessEnv
  /** Runs programs; each one is killed when the run's signal fires (Ctrl-C, SIGTERM, SIGHUP, EPIPE). */
  runner: Runner
  /** The run's cancellation signal (lib/main.ts); none: nothing cancels. */
  signal?: AbortSignal
  /** A person can answer a question (stdin is a terminal). */
  isTTY: boolean
  /** Asks QUESTION on stderr and resolves with the line typed ('' on end of input); Ctrl-C rejects with InterruptedError. */
  ask(question: string): Promise<string>
}

export interface ContextOptions {
  machine: boolean
  env?: NodeJS.ProcessEnv
  runner?: Runner
  signal?: AbortSignal
  stdin?: NodeJS.ReadStream
  stdout?: NodeJS.WriteStream
  stderr?: NodeJS.WriteStream
}

function askOn(input: NodeJS.ReadStream, output: NodeJS.WriteStream): (question: string) => Promise<string> {
  return (question) =>
    new Promise((resolve, reject) => {
      const rl = readline.createInterface({ input, output, terminal: !!input.isTTY })
      let answer = ''
      rl.once('line', (line) => {
        answer = line
        rl.close()
      })
      // Without a listener readline closes on Ctrl-C as on Ctrl-D: an answer of ''.
      rl.once('SIGINT', () => {
        output.write('\n')
        rl.removeAllListeners('close')
        rl.close()
        reject(new InterruptedError())
      })
      rl.once('close', () => resolve(answer.trim()))
      rl.setPrompt(question)
      rl.prompt()
    })
}

export function makeContext(opts: ContextOptions): Context {
  const env = opts.env ?? process.env
  const signal = opts.signal ?? NEVER
  const runner = withSignal(opts.runner ?? realRun, signal)
  const stdin = opts.stdin ?? process.stdin
  const stderr = opts.stderr ?? process.stderr
  const p = paths(env.HOME || os.homedir())
  return {
    paths: p,
    out: new Output({ machine: opts.machine, env, stdout: opts.stdout, stderr }),
    k3d: new K3d(runner),
    registry: new Registry(p.metaDir),
    env,
    runner,
    signal,
    isTTY: !!stdin.isTTY,
    ask: askOn(stdin, stderr),
  }
}
