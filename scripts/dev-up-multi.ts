#!/bin/sh
":" //; s=$(realpath "$0") || exit; MULTI_CLUSTER_ARGV0=$0 MULTI_CLUSTER_SAVED_CA_CERTS=${NODE_EXTRA_CA_CERTS+"=$NODE_EXTRA_CA_CERTS"} NODE_EXTRA_CA_CERTS= exec node "${s%/*}/../tools/launch.mjs" "$s" "$@"
// The line above lets this file run as `./scripts/dev-up-multi.ts` from any directory: sh hands it
// to tools/launch.mjs, which runs the prebuilt bundle (dist/) while it is newer than every source,
// else this file through tsx; NODE_EXTRA_CA_CERTS waits outside Node's start-up (docs/performance.md).
// To TypeScript the line is only a string and a comment.
//
// Creates (or reuses) the k3d cluster of the git identity holding the working directory.
import { runMain } from '../lib/main.ts'
import { Output } from '../lib/output.ts'
import { paths } from '../lib/paths.ts'
import { run } from '../lib/proc.ts'
import { BOOTSTRAP_USAGE, bootstrap, configYaml, parseBootstrapArgs, printPlan, printSummary } from '../lib/bootstrap/index.ts'
import { asksVersion, printVersion } from '../lib/commands/version.ts'

await runMain(async (signal) => {
  if (asksVersion(process.argv.slice(2))) return printVersion('dev-up-multi', process.env)
  const opts = parseBootstrapArgs(process.argv.slice(2), process.env)
  if (opts === 'help') {
    process.stdout.write(`${BOOTSTRAP_USAGE}\n`)
    return
  }
  // --json and -o yaml keep stdout for their result; the progress lines go to stderr
  const out = new Output({ machine: opts.json || opts.output === 'yaml' })
  const { result, headline } = await bootstrap(opts, { cwd: process.cwd(), env: process.env, paths: paths(), out, runner: run, signal })
  if (opts.json) out.json(result)
  else if (opts.output === 'yaml') out.raw(configYaml(result))
  else if (opts.dryRun) printPlan(out, result)
  else printSummary(out, result, headline)
}, BOOTSTRAP_USAGE)
