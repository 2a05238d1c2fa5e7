import os from 'node:os'
import { asksVersion, printVersion } from '../commands/version.ts'
import { Output } from '../output.ts'
import { paths } from '../paths.ts'
import type { ProgramIo } from '../program.ts'
import { BOOTSTRAP_USAGE, parseBootstrapArgs } from './args.ts'
import { bootstrap } from './flow.ts'
import { configYaml, printPlan, printSummary } from './summary.ts'

/**
 * The bootstrap (dev-up-multi): its command line (args), the pure plan, the steps with their
 * undos, the runner that carries them out, and the summary. See docs/architecture.md.
 */
export { BOOTSTRAP_USAGE, parseBootstrapArgs } from './args.ts'
export type { BootstrapOptions } from './args.ts'
export { bootstrap } from './flow.ts'
export type { BootstrapDeps, Bootstrapped } from './flow.ts'
export { configYaml, printDetails, printPlan, printSummary } from './summary.ts'
export type { Action, BootstrapResult } from './summary.ts'

/** dev-up-multi: IO's arguments parsed, the bootstrap run with IO's streams, environment and runner. */
export async function devUpMulti(io: ProgramIo, signal: AbortSignal): Promise<void> {
  const write = (s: string): boolean => io.stdout.write(s)
  if (asksVersion(io.argv)) return printVersion('dev-up-multi', io.env, false, write)
  const opts = parseBootstrapArgs(io.argv, io.env)
  if (opts === 'help') {
    write(`${BOOTSTRAP_USAGE}\n`)
    return
  }
  // --json and -o yaml keep stdout for their result; the progress lines go to stderr
  const out = new Output({ machine: opts.json || opts.output === 'yaml', env: io.env, stdout: io.stdout, stderr: io.stderr })
  const deps = { cwd: process.cwd(), env: io.env, paths: paths(io.env.HOME || os.homedir()), out, runner: io.runner, signal }
  const { result, headline } = await bootstrap(opts, deps)
  if (opts.json) out.json(result)
  else if (opts.output === 'yaml') out.raw(configYaml(result))
  else if (opts.dryRun) printPlan(out, result)
  else printSummary(out, result, headline)
}
