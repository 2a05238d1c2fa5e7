#!/bin/sh
":" //; exec node --import "$(dirname "$(realpath "$0")")/../node_modules/tsx/dist/loader.mjs" "$0" "$@"
// The line above lets this file run as `./scripts/cluster-manager.ts` from any directory:
// sh finds tsx next to the script (no global install, no npx start-up cost), and to
// TypeScript it is only a string and a comment.
import { runMain } from '../lib/main.ts'
import { parseArgs } from '../lib/commands/args.ts'
import { makeContext } from '../lib/commands/context.ts'
import { dispatch, machineOutput } from '../lib/commands/index.ts'
import { explainFsError } from '../lib/fsproblem.ts'
import { usageHint } from '../lib/invocation.ts'

await runMain(async () => {
  const op = parseArgs(process.argv.slice(2), (topic) => usageHint(process.env, topic))
  const ctx = makeContext({ machine: machineOutput(op) })
  // A file where our directory should be, or one we may not write: its path and the fix, one line.
  return dispatch(ctx, op).catch((err: unknown) => {
    throw explainFsError(err)
  })
})
