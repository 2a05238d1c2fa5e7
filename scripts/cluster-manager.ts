#!/bin/sh
":" //; exec node --import "$(dirname "$(realpath "$0")")/../node_modules/tsx/dist/loader.mjs" "$0" "$@"
// The line above lets this file run as `./scripts/cluster-manager.ts` from any directory:
// sh finds tsx next to the script (no global install, no npx start-up cost), and to
// TypeScript it is only a string and a comment.
import { runMain } from '../lib/main.ts'
import { parseArgs } from '../lib/commands/args.ts'
import { makeContext } from '../lib/commands/context.ts'
import { dispatch, machineOutput } from '../lib/commands/index.ts'

await runMain(async (signal) => {
  const op = parseArgs(process.argv.slice(2))
  const ctx = makeContext({ machine: machineOutput(op), signal })
  return dispatch(ctx, op)
})
