#!/bin/sh
":" //; s=$(realpath "$0") || exit; MULTI_CLUSTER_ARGV0=$0 MULTI_CLUSTER_SAVED_CA_CERTS=${NODE_EXTRA_CA_CERTS+"=$NODE_EXTRA_CA_CERTS"} NODE_EXTRA_CA_CERTS= exec node "${s%/*}/../tools/launch.mjs" "$s" "$@"
// The line above lets this file run as `./scripts/cluster-manager.ts` from any directory: sh hands it
// to tools/launch.mjs, which runs the prebuilt bundle (dist/) while it is newer than every source,
// else this file through tsx; NODE_EXTRA_CA_CERTS waits outside Node's start-up (docs/performance.md).
// To TypeScript the line is only a string and a comment.
import { runMain } from '../lib/main.ts'
import { parseArgs } from '../lib/commands/args.ts'
import { makeContext } from '../lib/commands/context.ts'
import { dispatch, machineOutput } from '../lib/commands/index.ts'
import { explainFsError } from '../lib/fsproblem.ts'
import { usageHint } from '../lib/invocation.ts'

await runMain(async (signal) => {
  const op = parseArgs(process.argv.slice(2), (topic) => usageHint(process.env, topic))
  const ctx = makeContext({ machine: machineOutput(op), signal })
  // A file where our directory should be, or one we may not write: its path and the fix, one line.
  return dispatch(ctx, op).catch((err: unknown) => {
    throw explainFsError(err)
  })
})
