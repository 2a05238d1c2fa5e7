#!/bin/sh
":" //; s=$(realpath "$0") || exit; . "${s%/*}/../tools/launch.sh"
// The line above lets this file run as `./scripts/cluster-manager.ts` from any directory: sh reads
// tools/launch.sh, which starts Node from the startup snapshot (dist/) while it is newer than every
// source, else runs tools/launch.mjs: the bundle while it is fresh, else this file through tsx.
// NODE_EXTRA_CA_CERTS waits outside Node's start-up (docs/performance.md).
// To TypeScript the line is only a string and a comment.
import { runMain } from '../lib/main.ts'
import { clusterManager } from '../lib/commands/index.ts'
import { run } from '../lib/proc.ts'
import { processIo } from '../lib/program.ts'
import { warmCommands } from '../lib/warm.ts'

void runMain((signal) => clusterManager(processIo(run), signal), undefined, warmCommands)
