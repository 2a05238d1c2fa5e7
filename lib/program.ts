import type { Runner } from './proc.ts'

/**
 * What an entry point takes from its process: its arguments, environment, standard streams and
 * the runner that starts programs. The scripts pass their process's own; the tests' in-process
 * runs (test/helpers/inprocess.ts) pass theirs, so both run the same program body. The working
 * directory and the script's name are still read from the process (process.cwd(), argv[1]).
 */
export interface ProgramIo {
  argv: string[]
  env: NodeJS.ProcessEnv
  stdin: NodeJS.ReadStream
  stdout: NodeJS.WriteStream
  stderr: NodeJS.WriteStream
  runner: Runner
}

/** This process's ProgramIo, programs started by RUNNER. */
export function processIo(runner: Runner): ProgramIo {
  return { argv: process.argv.slice(2), env: process.env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, runner }
}
