#!/bin/sh
":" //; s=$(realpath "$0") || exit; . "${s%/*}/../tools/launch.sh"
// The line above lets this file run as `./scripts/dev-up-multi.ts` from any directory: sh reads
// tools/launch.sh, which starts Node from the startup snapshot (dist/) while it is newer than every
// source, else runs tools/launch.mjs: the bundle while it is fresh, else this file through tsx.
// NODE_EXTRA_CA_CERTS waits outside Node's start-up (docs/performance.md).
// To TypeScript the line is only a string and a comment.
//
// Creates (or reuses) the k3d cluster of the git identity holding the working directory.
import { runMain } from '../lib/main.ts'
import { run } from '../lib/proc.ts'
import { processIo } from '../lib/program.ts'
import { BOOTSTRAP_USAGE, devUpMulti } from '../lib/bootstrap/index.ts'
import { warmBootstrap } from '../lib/bootstrap/warm.ts'

void runMain((signal) => devUpMulti(processIo(run), signal), BOOTSTRAP_USAGE, warmBootstrap)
