#!/bin/sh
":" //; s=$(realpath "$0") || exit; MULTI_CLUSTER_ARGV0=$0 MULTI_CLUSTER_SAVED_CA_CERTS=${NODE_EXTRA_CA_CERTS+"=$NODE_EXTRA_CA_CERTS"} NODE_EXTRA_CA_CERTS= exec node "${s%/*}/../tools/launch.mjs" "$s" "$@"
// The line above lets this file run as `./scripts/cluster-manager.ts` from any directory: sh hands it
// to tools/launch.mjs, which runs the prebuilt bundle (dist/) while it is newer than every source,
// else this file through tsx; NODE_EXTRA_CA_CERTS waits outside Node's start-up (docs/performance.md).
// To TypeScript the line is only a string and a comment.
import { runMain } from '../lib/main.ts'
import { clusterManager } from '../lib/commands/index.ts'
import { run } from '../lib/proc.ts'
import { processIo } from '../lib/program.ts'

await runMain((signal) => clusterManager(processIo(run), signal))
