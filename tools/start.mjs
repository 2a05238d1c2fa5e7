// What every start of a script does before the program runs, whichever way it was started: from
// tools/launch.mjs (the bundle or tsx) or from a startup snapshot (lib/main.ts, at deserialization).
// Plain JavaScript with no top-level await and no import.meta: the snapshot's CommonJS build
// bundles it. See docs/performance.md.

/** Where the launcher records its choice for `runtimeInfo()` (lib/runtime.ts) and `doctor`. */
export const LAUNCH_KEY = Symbol.for('threads-agent.launch')

/**
 * The sh prologue moves NODE_EXTRA_CA_CERTS here (`=VALUE` when it was set, empty when it was
 * not) and empties it for this process: Node 20 parses that file at every start, ~80 ms, and
 * this program opens no TLS connection itself. The children it starts get it back unchanged.
 */
export const SAVED_CA = 'MULTI_CLUSTER_SAVED_CA_CERTS'

/** The path the user typed to run the script (the prologue's $0), before symlinks were resolved. */
export const TYPED_ARGV0 = 'MULTI_CLUSTER_ARGV0'

/**
 * Why tools/launch.sh did not start the script from its snapshot: `asked:REASON` (the environment
 * said so) or `fix:REASON` (`npm run build` brings it back).
 */
export const SNAPSHOT_SKIPPED = 'MULTI_CLUSTER_SNAPSHOT_SKIPPED'

/**
 * Gives NODE_EXTRA_CA_CERTS back to the environment the prologue took it from.
 * @param {NodeJS.ProcessEnv} env
 */
export function restoreCaCerts(env) {
  const saved = env[SAVED_CA]
  if (saved === undefined) return
  delete env[SAVED_CA]
  if (saved.startsWith('=')) env.NODE_EXTRA_CA_CERTS = saved.slice(1)
  else delete env.NODE_EXTRA_CA_CERTS
}

/**
 * Puts this process in the state a script expects, and says how it was started: the environment
 * as the user had it, and argv as under tsx, [node, SCRIPT, ARGS...] with SCRIPT as typed (the
 * prologue resolved symlinks to find the project; `npm link`'s command names stay).
 * @param {string[]} argv process.argv, with argv[1] the script's resolved path
 * @param {NodeJS.ProcessEnv} env
 * @param {object} choice what runs the script, kept for `runtimeInfo()` together with why the
 *   snapshot did not (SNAPSHOT_SKIPPED)
 */
export function startScript(argv, env, choice) {
  restoreCaCerts(env)
  const typed = env[TYPED_ARGV0]
  delete env[TYPED_ARGV0]
  if (typed) argv[1] = typed
  const skipped = /^(asked|fix):(.+)$/s.exec(env[SNAPSHOT_SKIPPED] ?? '')
  delete env[SNAPSHOT_SKIPPED]
  const snapshot = skipped ? { snapshotSkipped: { reason: skipped[2], fixable: skipped[1] === 'fix' } } : {}
  Object.defineProperty(globalThis, LAUNCH_KEY, { value: Object.freeze({ ...choice, ...snapshot }), configurable: true })
}
