import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Check } from './preflight.ts'
import { LAUNCH_KEY } from '../tools/start.mjs'

/** How this process runs the project's TypeScript: a startup snapshot, a prebuilt bundle, tsx's loader, or Node itself. */
export type Runner = 'snapshot' | 'bundle' | 'tsx' | 'node'

export interface RuntimeInfo {
  /** The project's version (package.json). */
  version: string
  /** Node's version, e.g. v20.20.2. */
  node: string
  runner: Runner
  /** The file Node is running for this code (the snapshot, the bundle, or this module's source). */
  file: string
  /** Why the scripts' launcher chose tsx over the bundle (tools/launch.mjs), when it did. */
  reason?: string
  /** What makes the bundle usable again, when the fallback was not asked for. */
  fix?: string
  /** Why tools/launch.sh did not start from the snapshot; fixable when `npm run build` brings it back. */
  snapshotSkipped?: SnapshotSkipped
}

export interface SnapshotSkipped {
  reason: string
  fixable: boolean
}

/** What tools/start.mjs records about how the script started (its LAUNCH_KEY). */
type Launch = ({ runner: 'snapshot' | 'bundle'; entry: string } | { runner: 'tsx'; reason: string; fix?: string }) & { snapshotSkipped?: SnapshotSkipped }

function launchChoice(): Launch | undefined {
  return (globalThis as Record<symbol, Launch | undefined>)[LAUNCH_KEY]
}

/**
 * Says what runs this code. Inside the bundle, `import.meta.url` still names this source file
 * (tools/build.mjs keeps it so), so package.json is found one level up either way; the launcher's
 * record says which runner it picked. Without one (tests, `tsx scripts/...`), the file and Node's
 * flags tell.
 */
export function runtimeInfo(moduleUrl: string = import.meta.url): RuntimeInfo {
  const file = fileURLToPath(moduleUrl)
  let version = 'unknown'
  try {
    version = (JSON.parse(readFileSync(path.join(path.dirname(file), '..', 'package.json'), 'utf8')) as { version?: string }).version ?? version
  } catch {
    // a copy without its package.json still runs; it just cannot say its version
  }
  const launch = launchChoice()
  if (launch?.runner === 'snapshot' || launch?.runner === 'bundle') {
    return { version, node: process.version, runner: launch.runner, file: launch.entry, ...(launch.snapshotSkipped ? { snapshotSkipped: launch.snapshotSkipped } : {}) }
  }
  if (launch?.runner === 'tsx') return { version, node: process.version, runner: 'tsx', file, reason: launch.reason, ...(launch.fix ? { fix: launch.fix } : {}) }
  const runner: Runner = !file.endsWith('.ts') ? 'bundle' : process.execArgv.some((a) => a.includes('tsx')) ? 'tsx' : 'node'
  return { version, node: process.version, runner, file }
}

/**
 * `doctor`'s line about the start-up path: the snapshot is the fast one, then the bundle; tsx is
 * right but slower. A warning with the fix when the launcher fell back (not when asked to).
 */
export function runtimeCheck(info: RuntimeInfo = runtimeInfo()): Check {
  const what = `${info.runner}${info.runner === 'snapshot' || info.runner === 'bundle' ? ` (${path.basename(info.file)})` : ''}, Node ${info.node}`
  const detail = info.reason ? `${what}; ${info.reason}` : what
  if (info.fix) return { name: 'start-up', ok: false, detail, fix: info.fix, required: false }
  // The bundle runs, but not from the snapshot: said always, a warning when a build brings it back.
  const skipped = info.runner === 'bundle' ? info.snapshotSkipped : undefined
  if (!skipped) return { name: 'start-up', ok: true, detail, required: false }
  const why = `${detail}; not the startup snapshot: ${skipped.reason}`
  return skipped.fixable ? { name: 'start-up', ok: false, detail: why, fix: 'npm run build', required: false } : { name: 'start-up', ok: true, detail: why, required: false }
}
