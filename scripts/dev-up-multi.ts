#!/bin/sh
":" //; s=$(realpath "$0") || exit; MULTI_CLUSTER_ARGV0=$0 MULTI_CLUSTER_SAVED_CA_CERTS=${NODE_EXTRA_CA_CERTS+"=$NODE_EXTRA_CA_CERTS"} NODE_EXTRA_CA_CERTS= exec node "${s%/*}/../tools/launch.mjs" "$s" "$@"
// The line above lets this file run as `./scripts/dev-up-multi.ts` from any directory: sh hands it
// to tools/launch.mjs, which runs the prebuilt bundle (dist/) while it is newer than every source,
// else this file through tsx; NODE_EXTRA_CA_CERTS waits outside Node's start-up (docs/performance.md).
// To TypeScript the line is only a string and a comment.
//
// Creates (or reuses) the k3d cluster of the git identity holding the working directory.
import { runMain } from '../lib/main.ts'
import { run } from '../lib/proc.ts'
import { processIo } from '../lib/program.ts'
import { BOOTSTRAP_USAGE, devUpMulti } from '../lib/bootstrap/index.ts'

await runMain((signal) => devUpMulti(processIo(run), signal), BOOTSTRAP_USAGE)
