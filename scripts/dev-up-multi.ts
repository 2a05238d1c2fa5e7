#!/bin/sh
":" //; exec node --import "$(dirname "$(realpath "$0")")/../node_modules/tsx/dist/loader.mjs" "$0" "$@"
// The line above lets this file run as `./scripts/dev-up-multi.ts` from any directory:
// sh finds tsx next to the script (no global install, no npx start-up cost), and to
// TypeScript it is only a string and a comment.
//
// Creates (or reuses) the k3d cluster of the git identity holding the working directory.
import { runMain } from '../lib/main.ts'
import { Output } from '../lib/output.ts'
import { paths } from '../lib/paths.ts'
import { run } from '../lib/proc.ts'
import { BOOTSTRAP_USAGE, bootstrap, parseBootstrapArgs, printPlan, printSummary } from '../lib/bootstrap/index.ts'

await runMain(async (signal) => {
  const opts = parseBootstrapArgs(process.argv.slice(2), process.env)
  if (opts === 'help') {
    process.stdout.write(`${BOOTSTRAP_USAGE}\n`)
    return
  }
  const out = new Output({ machine: opts.json })
  const { result, headline } = await bootstrap(opts, { cwd: process.cwd(), env: process.env, paths: paths(), out, runner: run, signal })
  if (opts.json) out.json(result)
  else if (opts.dryRun) printPlan(out, result)
  else printSummary(out, result, headline)
}, BOOTSTRAP_USAGE)
