#!/usr/bin/env node
// Builds dist/: the entry points of scripts/ and everything they import, bundled by esbuild into
// plain ES modules that Node runs without tsx, and a V8 startup snapshot of each (see
// docs/performance.md). `npm run build`; `npm ci` runs it as `prepare` with --if-possible,
// `npm test` as `pretest`.
//
// The bundle and the snapshots are caches, never a second implementation: they are built from the
// same sources, and tools/launch.sh and tools/launch.mjs use them only while they are newer than
// every one of them (dist/snapshot, dist/manifest.json).
import { execFile } from 'node:child_process'
import { readFile, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { DIST, MANIFEST, ROOT, manifestInputs } from './launch.mjs'

const ifPossible = process.argv.includes('--if-possible')
const quiet = process.argv.includes('--quiet')

/**
 * Inside the bundle every module sits in dist/, so `import.meta.url` (and `dirname`, `filename`)
 * would name the bundle instead of the source. Each project source gets them rewritten to the
 * path it has in the tree, computed from the bundle's own location so that a moved checkout still
 * works: code that finds files next to itself behaves the same under both runners. Lines keep
 * their numbers (the helper's import goes last; imports are hoisted), so source maps and coverage
 * still point at the right lines.
 *
 * With OUTDIR null (a startup snapshot's CommonJS build, where `import.meta` does not exist) they
 * become the source's path as a constant: a snapshot keeps whatever its modules computed while it
 * was built anyway, and tools/launch.sh uses one only in the checkout that built it.
 * @param {string | null} outdir
 * @returns {import('esbuild').Plugin}
 */
export function sourceLocations(outdir) {
  return {
    name: 'source-locations',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (args.path.split(path.sep).includes('node_modules')) return undefined
        const text = await readFile(args.path, 'utf8')
        if (!/\bimport\.meta\.(url|dirname|filename)\b/.test(text)) return undefined
        /** @type {Record<string, string>} */
        let replacement
        let helper = ''
        if (outdir === null) {
          replacement = Object.fromEntries(
            Object.entries({ url: pathToFileURL(args.path).href, filename: args.path, dirname: path.dirname(args.path) }).map(([k, v]) => [k, JSON.stringify(v)]),
          )
        } else {
          const rel = path.relative(outdir, args.path).split(path.sep).join('/')
          const at = (/** @type {string} */ target) => `new URL(${JSON.stringify(target)}, import.meta.url)`
          replacement = { url: `${at(rel)}.href`, filename: `__sourcePath(${at(rel)})`, dirname: `__sourcePath(${at(path.posix.dirname(rel))})` }
          helper = "\nimport { fileURLToPath as __sourcePath } from 'node:url'\n"
        }
        const contents = text.replace(/\bimport\.meta\.(url|dirname|filename)\b/g, (_, key) => replacement[key] ?? _) + helper
        return { contents, loader: 'ts' }
      })
    },
  }
}

/**
 * Startup snapshots (docs/performance.md, "The snapshot"): per entry point, a CommonJS bundle of
 * the same sources (dist/NAME.snapshot.cjs), run once by `node --build-snapshot` to load every
 * module, then saved as V8's heap (dist/NAME.blob). lib/main.ts's runMain defers the run itself
 * to the start from the snapshot. dist/snapshot names the Node that built them, the checkout, and
 * that Node's inode and size (one line each), and its modification time is the build's start:
 * tools/launch.sh uses a snapshot only with that Node, in that checkout, while no source is newer.
 * @param {string} staging
 * @param {Record<string, string>} entries
 * @param {bigint} startedNs
 */
async function buildSnapshots(staging, entries, startedNs) {
  const { build: esbuild } = await import('esbuild')
  // One CommonJS bundle per entry (dist/NAME.snapshot.cjs), in one esbuild run.
  await esbuild({
    absWorkingDir: ROOT,
    entryPoints: Object.keys(entries),
    outdir: staging,
    entryNames: '[name].snapshot',
    outExtension: { '.js': '.cjs' },
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'error',
    plugins: [sourceLocations(null)],
  })
  // Then the snapshots side by side (each is a Node process). Only PATH: what modules read from
  // the environment while they load is kept in the snapshot, so it must not depend on who ran
  // the build. Node's notes about built-in modules it has not verified in snapshots are shown
  // only when the build fails.
  await Promise.all(Object.values(entries).map((bundle) => {
    const name = bundle.replace(/\.mjs$/, '')
    return promisify(execFile)(process.execPath, ['--snapshot-blob', path.join(staging, `${name}.blob`), '--build-snapshot', path.join(staging, `${name}.snapshot.cjs`)], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '' },
      maxBuffer: 16 << 20,
    })
  }))
  const stamp = path.join(staging, 'snapshot')
  const node = await stat(process.execPath)
  await writeFile(stamp, `${process.execPath}\n${ROOT}\n${node.ino}\n${node.size}\n`)
  const started = Number(startedNs / 1000n) / 1e6
  await utimes(stamp, started, started)
}

/** Every entry point: scripts/NAME.ts becomes dist/NAME.mjs. */
async function entries() {
  const names = (await readdir(path.join(ROOT, 'scripts'))).filter((f) => f.endsWith('.ts')).sort()
  return Object.fromEntries(names.map((f) => [`scripts/${f}`, f.replace(/\.ts$/, '.mjs')]))
}

/** @param {string} from @param {string} to */
async function renameIfExists(from, to) {
  try {
    await rename(from, to)
  } catch (err) {
    if (/** @type {NodeJS.ErrnoException} */ (err).code !== 'ENOENT') throw err
  }
}

async function build() {
  const { build: esbuild } = await import('esbuild')
  const outdir = DIST
  const ENTRIES = await entries()
  // Written next to dist/ and swapped in whole, so a command started meanwhile sees the old
  // bundle or none (and then runs through tsx), never half of a new one.
  const staging = path.join(ROOT, `.dist-${process.pid}`)
  // Any source changed after this instant makes the new bundle stale (µs, rounded down).
  const startedNs = BigInt(Math.floor((performance.timeOrigin + performance.now()) * 1000)) * 1000n
  await rm(staging, { recursive: true, force: true })
  try {
    const result = await esbuild({
      absWorkingDir: ROOT,
      entryPoints: Object.keys(ENTRIES),
      outdir: staging,
      entryNames: '[name]',
      outExtension: { '.js': '.mjs' },
      bundle: true,
      // Dynamic imports (cluster-manager's commands, zx's spinner) stay separate files, loaded
      // only by the commands that use them.
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      // For stack traces (DEBUG_MULTI_CLUSTER) and coverage: c8 maps the bundle back to lib/.
      // Node reads the map only when one of those asks, so it costs nothing on a normal start.
      sourcemap: 'linked',
      sourcesContent: false,
      metafile: true,
      logLevel: 'warning',
      // zx and minimist are CommonJS; their require() of Node's modules needs a real require.
      banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
      plugins: [sourceLocations(outdir)],
    })
    const inputs = manifestInputs(Object.keys(result.metafile.inputs))
    // Every module of the bundle (entries and chunks): a dist/ missing one cannot be trusted.
    const outputs = Object.keys(result.metafile.outputs)
      .filter((f) => f.endsWith('.mjs'))
      .map((f) => path.basename(f))
      .sort()
    const manifest = { startedNs: String(startedNs), entries: ENTRIES, outputs, inputs }
    await writeFile(path.join(staging, path.basename(MANIFEST)), `${JSON.stringify(manifest, null, 2)}\n`)
    let snapshots = ''
    try {
      await buildSnapshots(staging, ENTRIES, startedNs)
    } catch (err) {
      // The bundle alone still starts the scripts fast; say why the snapshots are missing.
      const e = /** @type {Error & { stderr?: string }} */ (err)
      const why = (e.stderr?.trim().split('\n').filter((l) => !/verified|may still work|issue tracker|trace-warnings/.test(l)).pop() ?? e.message).trim()
      snapshots = `; no startup snapshots (${why})`
      await rm(path.join(staging, 'snapshot'), { force: true })
    }
    const old = path.join(ROOT, `.dist-old-${process.pid}`)
    await renameIfExists(outdir, old)
    await rename(staging, outdir).catch(async (err) => {
      // Another build swapped its dist/ in meanwhile: it is as new as ours.
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err
      await rm(staging, { recursive: true, force: true })
    })
    await rm(old, { recursive: true, force: true })
    if (!quiet || snapshots) process.stderr.write(`built dist/ from ${inputs.length} files${snapshots}\n`)
  } catch (err) {
    await rm(staging, { recursive: true, force: true })
    throw err
  }
}

// Run as a program (npm run build), not when a test imports sourceLocations().
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await build()
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err)
    if (ifPossible) {
      // An install without esbuild's binary still works: the scripts run through tsx.
      process.stderr.write(`build: dist/ not built (${message}); the scripts will run through tsx\n`)
    } else {
      process.stderr.write(`build: ${message}\n`)
      process.exitCode = 1
    }
  }
}
