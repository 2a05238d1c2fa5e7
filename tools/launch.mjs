// The start-up path of every script in scripts/ when tools/launch.sh (read by their sh prologue,
// line 2) does not start it from its startup snapshot. launch.sh then runs
//   node tools/launch.mjs /real/path/of/scripts/NAME.ts ARGS...
// and this module picks how the TypeScript runs:
//   - the bundle dist/NAME.mjs (tools/build.mjs), while it is newer than every file it was built
//     from: plain Node, no loader, ~4x faster to start;
//   - else the script itself through tsx's loader (the fallback: always right, slower);
//   - neither (no `npm ci` yet): one line saying so, exit 1.
// Plain JavaScript on purpose: it decides whether TypeScript can run at all. See docs/performance.md.
import { existsSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { startScript } from './start.mjs'

/** The project root: this file is tools/launch.mjs. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const DIST = path.join(ROOT, 'dist')
export const MANIFEST = path.join(DIST, 'manifest.json')

/** Files outside the bundle's import graph that still shape it: dependencies, compiler settings, the build. */
const BUILD_INPUTS = ['package-lock.json', 'tsconfig.json', 'tools/build.mjs']

/**
 * The files of a build's metafile that make its bundle stale when they change: the project's
 * own sources (dependencies are pinned by package-lock.json), plus BUILD_INPUTS.
 * @param {string[]} metafileInputs paths relative to ROOT, as esbuild reports them
 * @returns {string[]}
 */
export function manifestInputs(metafileInputs) {
  const own = metafileInputs.filter((f) => !f.split('/').includes('node_modules') && !f.includes(':'))
  return [...new Set([...own, ...BUILD_INPUTS])].sort()
}

/**
 * @typedef {{ startedNs: string, entries: Record<string, string>, outputs: string[], inputs: string[] }} Manifest
 * @typedef {{ runner: 'bundle', entry: string } | { runner: 'tsx' | 'none', reason: string, fix?: string }} Choice
 */

/**
 * Which runner may run SCRIPT (a path under ROOT). Pure apart from reading the manifest and
 * stat-ing the files it names.
 * @param {string} root
 * @param {string} script
 * @param {NodeJS.ProcessEnv} env
 * @returns {Choice}
 */
export function choose(root, script, env) {
  const tsx = () => existsSync(path.join(root, 'node_modules', 'tsx', 'package.json'))
  /** @type {(reason: string, fix?: string) => Choice} */
  const fallback = (reason, fix = 'npm run build') => ({ runner: tsx() ? 'tsx' : 'none', reason, ...(fix ? { fix } : {}) })
  if (env.MULTI_CLUSTER_RUNNER === 'tsx') return fallback('MULTI_CLUSTER_RUNNER=tsx', '')
  /** @type {Manifest} */
  let manifest
  try {
    manifest = JSON.parse(readFileSync(path.join(root, 'dist', 'manifest.json'), 'utf8'))
  } catch {
    return fallback('no bundle built')
  }
  const rel = path.relative(root, script).split(path.sep).join('/')
  const name = manifest.entries?.[rel]
  if (!name) return fallback(`the bundle has no entry for ${rel}`)
  const entry = path.join(root, 'dist', name)
  let started
  try {
    started = BigInt(manifest.startedNs)
    for (const file of [name, ...manifest.outputs]) statSync(path.join(root, 'dist', file))
  } catch {
    return fallback('the bundle is incomplete')
  }
  for (const input of manifest.inputs ?? []) {
    let mtime
    try {
      mtime = statSync(path.join(root, input), { bigint: true }).mtimeNs
    } catch {
      return fallback(`${input} is gone since the bundle was built`)
    }
    if (mtime >= started) return fallback(`${input} changed after the bundle was built`)
  }
  return { runner: 'bundle', entry }
}

/** @param {string} script */
async function main(script) {
  const name = path.basename(script)
  /** @param {string} text */
  const fail = (text) => {
    process.stderr.write(`${name}: ${text}\n`)
    process.exitCode = 1
  }
  const choice = choose(ROOT, script, process.env)
  if (choice.runner === 'none') return fail(`dependencies are not installed; run \`npm ci\` in ${ROOT}`)
  startScript(process.argv, process.env, choice)
  try {
    if (choice.runner === 'bundle') {
      // Stack traces name lib/*.ts, as under tsx.
      if (process.env.DEBUG_MULTI_CLUSTER) process.setSourceMapsEnabled(true)
      await import(pathToFileURL(choice.entry).href)
      return
    }
    const { register } = await import('tsx/esm/api')
    // The project's own tsconfig, wherever the script is run from (tsx looks in the working directory).
    register({ tsconfig: path.join(ROOT, 'tsconfig.json') })
    await import(pathToFileURL(script).href)
  } catch (err) {
    // The program reports its own errors (lib/main.ts); what reaches here failed before it ran.
    const e = /** @type {NodeJS.ErrnoException} */ (err)
    if (e?.code === 'ERR_MODULE_NOT_FOUND' && /Cannot find package/.test(e.message)) {
      return fail(`dependencies are not installed; run \`npm ci\` in ${ROOT}`)
    }
    if (process.env.DEBUG_MULTI_CLUSTER && e?.stack) process.stderr.write(`${e.stack}\n`)
    fail(`cannot start: ${String(e?.message ?? err).split('\n')[0]}`)
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const script = process.argv[2]
  if (!script) {
    process.stderr.write('usage: node tools/launch.mjs SCRIPT [ARGS...]\n')
    process.exitCode = 2
  } else {
    // [node, launch.mjs, SCRIPT, ARGS...] becomes [node, SCRIPT, ARGS...] (startScript does the rest).
    process.argv.splice(1, 1)
    await main(path.resolve(script))
  }
}
