// The start-up path (the scripts' sh prologue, tools/launch.sh, tools/launch.mjs, tools/build.mjs):
// the startup snapshot runs only with the Node that built it, in its checkout, while no source is
// newer; the bundle likewise while it is newer than its sources; tsx takes over silently
// otherwise; all three give the same results, a missing `npm ci` is one line, and
// NODE_EXTRA_CA_CERTS reaches every child unchanged.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cp, mkdir, readdir, readFile, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { BIN_DIR, FROM_SNAPSHOT, REPO_ROOT, sandboxFor } from './helpers/sandbox.ts'
import type { RunResult, Sandbox } from './helpers/sandbox.ts'
import { makeRepo } from './helpers/git.ts'
import { choose, manifestInputs } from '../tools/launch.mjs'
import { restoreCaCerts, SAVED_CA, SNAPSHOT_SKIPPED } from '../tools/start.mjs'
import { sourceLocations } from '../tools/build.mjs'

// ---------------------------------------------------------------- choose(), in a fake tree

/** A tree with a manifest that names ENTRY and INPUTS, built at STARTED (ns). */
async function fakeTree(sb: Sandbox, opts: { tsx?: boolean; started?: bigint; entry?: boolean } = {}) {
  const root = path.join(sb.root, 'tree')
  await mkdir(path.join(root, 'lib'), { recursive: true })
  await mkdir(path.join(root, 'scripts'), { recursive: true })
  await mkdir(path.join(root, 'dist'), { recursive: true })
  const old = new Date(Date.now() - 60_000)
  for (const f of ['lib/a.ts', 'scripts/x.ts', 'package-lock.json']) {
    await writeFile(path.join(root, f), '')
    await utimes(path.join(root, f), old, old)
  }
  if (opts.entry !== false) await writeFile(path.join(root, 'dist', 'x.mjs'), '')
  await writeFile(path.join(root, 'dist', 'chunk-1.mjs'), '')
  if (opts.tsx !== false) {
    await mkdir(path.join(root, 'node_modules', 'tsx'), { recursive: true })
    await writeFile(path.join(root, 'node_modules', 'tsx', 'package.json'), '{}')
  }
  const started = opts.started ?? BigInt(Date.now()) * 1_000_000n
  await writeFile(
    path.join(root, 'dist', 'manifest.json'),
    JSON.stringify({
      startedNs: String(started),
      entries: { 'scripts/x.ts': 'x.mjs' },
      outputs: ['chunk-1.mjs', 'x.mjs'],
      inputs: ['lib/a.ts', 'package-lock.json', 'scripts/x.ts'],
    }),
  )
  return { root, script: path.join(root, 'scripts', 'x.ts') }
}

test('choose: a bundle newer than every input runs; any newer, missing or unknown file means tsx', async (t) => {
  const sb = await sandboxFor(t)
  const { root, script } = await fakeTree(sb)
  assert.deepEqual(choose(root, script, {}), { runner: 'bundle', entry: path.join(root, 'dist', 'x.mjs') })

  assert.deepEqual(choose(root, script, { MULTI_CLUSTER_RUNNER: 'tsx' }), { runner: 'tsx', reason: 'MULTI_CLUSTER_RUNNER=tsx' })
  assert.deepEqual(choose(root, path.join(root, 'scripts', 'y.ts'), {}), { runner: 'tsx', reason: 'the bundle has no entry for scripts/y.ts', fix: 'npm run build' })

  const later = new Date(Date.now() + 2000)
  await utimes(path.join(root, 'lib', 'a.ts'), later, later)
  assert.deepEqual(choose(root, script, {}), { runner: 'tsx', reason: 'lib/a.ts changed after the bundle was built', fix: 'npm run build' })

  await rm(path.join(root, 'lib', 'a.ts'))
  assert.deepEqual(choose(root, script, {}), { runner: 'tsx', reason: 'lib/a.ts is gone since the bundle was built', fix: 'npm run build' })

  await rm(path.join(root, 'dist', 'manifest.json'))
  assert.deepEqual(choose(root, script, {}), { runner: 'tsx', reason: 'no bundle built', fix: 'npm run build' })
})

test('choose: a manifest without its bundle is incomplete; without tsx either, nothing can run', async (t) => {
  const sb = await sandboxFor(t)
  const { root, script } = await fakeTree(sb, { entry: false, tsx: false })
  assert.deepEqual(choose(root, script, {}), { runner: 'none', reason: 'the bundle is incomplete', fix: 'npm run build' })
  await writeFile(path.join(root, 'dist', 'x.mjs'), '')
  assert.equal(choose(root, script, {}).runner, 'bundle', 'a fresh bundle needs no node_modules')
  await rm(path.join(root, 'dist', 'chunk-1.mjs'))
  assert.deepEqual(choose(root, script, {}), { runner: 'none', reason: 'the bundle is incomplete', fix: 'npm run build' }, 'a chunk is missing')
})

test('manifestInputs: own sources plus what shapes the build, never node_modules', () => {
  assert.deepEqual(manifestInputs(['lib/b.ts', 'node_modules/zx/build/core.cjs', '../../x/node_modules/yaml/dist/index.js', 'lib/a.ts', 'scripts/x.ts']), [
    'lib/a.ts',
    'lib/b.ts',
    'package-lock.json',
    'scripts/x.ts',
    'tools/build.mjs',
    'tsconfig.json',
  ])
})

test('restoreCaCerts gives back exactly what the prologue put aside: a value, an empty value, or nothing', () => {
  const set: NodeJS.ProcessEnv = { [SAVED_CA]: '=/etc/ca.pem', NODE_EXTRA_CA_CERTS: '' }
  restoreCaCerts(set)
  assert.deepEqual(set, { NODE_EXTRA_CA_CERTS: '/etc/ca.pem' })
  const empty: NodeJS.ProcessEnv = { [SAVED_CA]: '=', NODE_EXTRA_CA_CERTS: '' }
  restoreCaCerts(empty)
  assert.deepEqual(empty, { NODE_EXTRA_CA_CERTS: '' })
  const unset: NodeJS.ProcessEnv = { [SAVED_CA]: '', NODE_EXTRA_CA_CERTS: '' }
  restoreCaCerts(unset)
  assert.deepEqual(unset, {})
  const direct: NodeJS.ProcessEnv = { NODE_EXTRA_CA_CERTS: '/etc/ca.pem' } // started without the prologue
  restoreCaCerts(direct)
  assert.deepEqual(direct, { NODE_EXTRA_CA_CERTS: '/etc/ca.pem' })
})

test('inside the bundle and the snapshot, import.meta names the source file, as under tsx', async (t) => {
  const sb = await sandboxFor(t)
  const root = path.join(sb.root, 'my project') // a space: URLs and paths differ
  await mkdir(path.join(root, 'lib', 'sub'), { recursive: true })
  const source = path.join(root, 'lib', 'sub', 'where.ts')
  await writeFile(source, 'const here: string[] = [import.meta.url, import.meta.dirname, import.meta.filename]\nconsole.log(JSON.stringify(here))\n')
  const { build } = await import('esbuild')
  await build({ entryPoints: [source], outdir: path.join(root, 'dist'), bundle: true, format: 'esm', platform: 'node', outExtension: { '.js': '.mjs' }, plugins: [sourceLocations(path.join(root, 'dist'))], logLevel: 'silent' })
  const bundled = await sb.run(process.execPath, [path.join(root, 'dist', 'where.mjs')])
  const tsx = await sb.run(process.execPath, ['--import', 'tsx', source], { cwd: REPO_ROOT })
  assert.equal(bundled.code, 0, bundled.stderr)
  assert.deepEqual(JSON.parse(bundled.stdout), [pathToFileURL(source).href, path.dirname(source), source])
  assert.equal(bundled.stdout, tsx.stdout)
  // The snapshot's CommonJS build, where import.meta does not exist: the same values, as constants.
  await build({ entryPoints: [source], outfile: path.join(root, 'dist', 'where.cjs'), bundle: true, format: 'cjs', platform: 'node', plugins: [sourceLocations(null)], logLevel: 'silent' })
  const cjs = await sb.run(process.execPath, [path.join(root, 'dist', 'where.cjs')])
  assert.equal(cjs.code, 0, cjs.stderr)
  assert.equal(cjs.stdout, tsx.stdout)
})

// ---------------------------------------------------------------- a built copy of the project

/** The project's sources copied into SB, node_modules linked, dist/ built there. */
async function builtCopy(sb: Sandbox): Promise<string> {
  const root = path.join(sb.root, 'project')
  await mkdir(root, { recursive: true })
  for (const f of ['lib', 'scripts', 'tools', 'package.json', 'package-lock.json', 'tsconfig.json']) {
    await cp(path.join(REPO_ROOT, f), path.join(root, f), { recursive: true })
  }
  await symlink(path.join(REPO_ROOT, 'node_modules'), path.join(root, 'node_modules'))
  const built = await sb.run(process.execPath, [path.join(root, 'tools', 'build.mjs')])
  assert.equal(built.code, 0, built.stderr)
  return root
}

const stamp = (text: string) => text.replace(/\[\d\d:\d\d:\d\d\]/g, '[HH:MM:SS]').replace(/done in \d+\.\ds/g, 'done in Ns')
const runs = (r: RunResult) => ({ code: r.code, stdout: stamp(r.stdout), stderr: stamp(r.stderr) })

test('the snapshot, the bundle and tsx give the same output, errors and exit codes', async (t) => {
  const sb = await sandboxFor(t)
  const root = await builtCopy(sb)
  const manager = path.join(root, 'scripts', 'cluster-manager.ts')
  const devUp = path.join(root, 'scripts', 'dev-up-multi.ts')
  assert.equal(choose(root, manager, {}).runner, 'bundle')
  assert.equal(choose(root, devUp, {}).runner, 'bundle')
  for (const name of ['alpha', 'beta']) assert.equal((await sb.run('k3d', ['cluster', 'create', name])).code, 0)
  const repo = await makeRepo(sb)
  const cases: Array<[string, string[], string?]> = [
    [manager, ['help']],
    [manager, ['bogus']],
    [manager, ['list', '--json']],
    [manager, ['info', 'alpha', '--json']],
    [manager, ['info', 'gamma']],
    [devUp, ['--dry-run', '--json'], repo],
    [devUp, ['--name', 'a/b']],
  ]
  const codes = new Set<number>()
  for (const [cmd, args, cwd] of cases) {
    const snapshot = runs(await sb.run(cmd, args, { cwd, env: FROM_SNAPSHOT }))
    const bundle = runs(await sb.run(cmd, args, { cwd, env: { MULTI_CLUSTER_RUNNER: 'bundle' } }))
    const tsx = runs(await sb.run(cmd, args, { cwd, env: { MULTI_CLUSTER_RUNNER: 'tsx' } }))
    assert.deepEqual(snapshot, tsx, `${path.basename(cmd)} ${args.join(' ')}: snapshot`)
    assert.deepEqual(bundle, tsx, `${path.basename(cmd)} ${args.join(' ')}: bundle`)
    codes.add(bundle.code)
  }
  assert.deepEqual([...codes].sort(), [0, 1, 2], 'the cases cover success, failure and usage errors')
})

test('doctor says which path runs; a stale or missing snapshot or bundle silently falls back', async (t) => {
  const sb = await sandboxFor(t)
  const root = await builtCopy(sb)
  const manager = path.join(root, 'scripts', 'cluster-manager.ts')
  const startUp = async (env: Record<string, string> = {}) => {
    const r = await sb.run(manager, ['doctor'], { env: { ...FROM_SNAPSHOT, ...env } })
    return r.stdout.split('\n').find((l) => l.includes('start-up:'))
  }
  assert.match((await startUp())!, /^✓ start-up: snapshot \(cluster-manager\.blob\), Node v\d+\.\d+\.\d+$/)
  // Asked for by the environment: the bundle, said, no warning.
  const asked = (why: string) => new RegExp(`^✓ start-up: bundle \\(cluster-manager\\.mjs\\), Node v\\d+\\.\\d+\\.\\d+; not the startup snapshot: ${why}$`)
  assert.match((await startUp({ MULTI_CLUSTER_RUNNER: 'bundle' }))!, asked('MULTI_CLUSTER_RUNNER=bundle'))
  assert.match((await startUp({ NODE_V8_COVERAGE: path.join(sb.root, 'coverage') }))!, asked('coverage is being collected \\(NODE_V8_COVERAGE\\)'), 'coverage is collected from the bundle')
  // Node refuses a snapshot built under other V8 flags (exit 14 before our code runs): any NODE_OPTIONS means the bundle.
  assert.match((await startUp({ NODE_OPTIONS: '--max-old-space-size=4096' }))!, asked('NODE_OPTIONS is set'))
  // What a build brings back: a warning naming it.
  const stale = (why: string) => new RegExp(`^⚠ start-up: bundle \\(cluster-manager\\.mjs\\), Node v[\\d.]+; not the startup snapshot: ${why} — npm run build$`)

  // Built by another Node (dist/snapshot's inode line): Node would refuse the blob, so the bundle runs.
  const stampFile = path.join(root, 'dist', 'snapshot')
  const stamp = await readFile(stampFile, 'utf8')
  const built = (await stat(stampFile)).mtime
  const [node, checkout, , size] = stamp.split('\n')
  await writeFile(stampFile, `${node}\n${checkout}\n1\n${size}\n`)
  await utimes(stampFile, built, built)
  assert.match((await startUp())!, stale('the startup snapshot was built by another node than \\S+'))
  await writeFile(stampFile, stamp)
  await utimes(stampFile, built, built)
  assert.match((await startUp())!, /^✓ start-up: snapshot /)

  // A file that is not a source of either build, changed after it: the snapshot (which checks
  // whole directories) gives way, the bundle (which knows its inputs) still runs.
  const later = new Date(Date.now() + 2000)
  await writeFile(path.join(root, 'lib', 'notes.txt'), '')
  await utimes(path.join(root, 'lib', 'notes.txt'), later, later)
  assert.match((await startUp())!, stale('lib/notes\\.txt changed after the startup snapshot was built'), 'the new file is named, not its directory')
  await rm(path.join(root, 'lib', 'notes.txt'))
  await utimes(path.join(root, 'lib'), later, later)
  assert.match((await startUp())!, stale('a file was added to or removed from lib/ after the startup snapshot was built'))
  await utimes(path.join(root, 'lib'), built, built)
  assert.match((await startUp())!, /^✓ start-up: snapshot /)

  await utimes(path.join(root, 'lib', 'names.ts'), later, later)
  assert.match((await startUp())!, /^⚠ start-up: tsx, Node v[\d.]+; lib\/names\.ts changed after the bundle was built — npm run build$/)
  const help = await sb.run(manager, ['help'])
  assert.equal(help.code, 0)
  assert.equal(help.stderr, '', 'the fallback is silent')

  await rm(path.join(root, 'dist'), { recursive: true })
  assert.match((await startUp())!, /^⚠ start-up: tsx, Node v[\d.]+; no bundle built — npm run build$/)
})

test('a moved checkout does not run the snapshot it built elsewhere; its bundle still runs', async (t) => {
  const sb = await sandboxFor(t)
  const root = await builtCopy(sb)
  const moved = path.join(sb.root, 'moved')
  await rename(root, moved)
  const r = await sb.run(path.join(moved, 'scripts', 'cluster-manager.ts'), ['--version'], { env: FROM_SNAPSHOT })
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stdout.split('\n')[2], `run by the prebuilt bundle from ${moved}`)
  const doctor = await sb.run(path.join(moved, 'scripts', 'cluster-manager.ts'), ['doctor'], { env: FROM_SNAPSHOT })
  const line = doctor.stdout.split('\n').find((l) => l.includes('start-up:'))
  assert.equal(line?.replace(/Node v[\d.]+/, 'Node vX'), `⚠ start-up: bundle (cluster-manager.mjs), Node vX; not the startup snapshot: the startup snapshot was built in ${root} — npm run build`)
})

test('without `npm ci`: one line naming the fix, exit 1; a fresh snapshot or bundle needs no node_modules', async (t) => {
  const sb = await sandboxFor(t)
  const root = await builtCopy(sb)
  const manager = path.join(root, 'scripts', 'cluster-manager.ts')
  await rm(path.join(root, 'node_modules'))
  // Neither the snapshot nor the bundle loads anything from node_modules.
  for (const runner of ['', 'bundle']) {
    const r = await sb.run(manager, ['--version'], { env: { ...FROM_SNAPSHOT, MULTI_CLUSTER_RUNNER: runner } })
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout.split('\n')[2], `run by the ${runner ? 'prebuilt bundle' : 'startup snapshot'} from ${root}`)
  }

  await rm(path.join(root, 'dist'), { recursive: true })
  for (const script of ['cluster-manager.ts', 'dev-up-multi.ts']) {
    const r = await sb.run(path.join(root, 'scripts', script), ['help'])
    assert.deepEqual(r, { code: 1, stdout: '', stderr: `${script}: dependencies are not installed; run \`npm ci\` in ${root}\n` })
  }

  // Half an install (tsx there, zx not): the same line instead of ERR_MODULE_NOT_FOUND's trace.
  await mkdir(path.join(root, 'node_modules'))
  for (const dep of await readdir(path.join(REPO_ROOT, 'node_modules'))) {
    if (dep !== 'zx') await symlink(path.join(REPO_ROOT, 'node_modules', dep), path.join(root, 'node_modules', dep))
  }
  const half = await sb.run(manager, ['list'])
  assert.deepEqual(half, { code: 1, stdout: '', stderr: `cluster-manager.ts: dependencies are not installed; run \`npm ci\` in ${root}\n` })
})

test('the prologue stops when it cannot find its own path (never runs the rest of the file as sh)', async (t) => {
  const sb = await sandboxFor(t)
  // A PATH with node and nothing else: no realpath.
  const onlyNode = path.join(sb.root, 'only-node')
  await mkdir(onlyNode)
  await symlink(process.execPath, path.join(onlyNode, 'node'))
  for (const script of ['cluster-manager.ts', 'dev-up-multi.ts']) {
    // Each script's own first two lines, then a line that tells if sh went on (the real third
    // line would run the script again through its backquotes, over and over).
    const [shebang, prologue] = (await readFile(path.join(REPO_ROOT, 'scripts', script), 'utf8')).split('\n')
    const probe = path.join(sb.root, script)
    await writeFile(probe, `${shebang}\n${prologue}\necho "sh went on past the prologue" >&2\n`, { mode: 0o755 })
    const r = await sb.run(probe, ['help'], { env: { PATH: onlyNode } })
    assert.equal(r.code, 127, r.stderr)
    assert.equal(r.stdout, '')
    assert.match(r.stderr, /^[^\n]*realpath[^\n]*not found\n$/, 'one line from sh, nothing after the prologue')
  }
})

test('NODE_EXTRA_CA_CERTS: not loaded by our process, handed unchanged to every child it starts', async (t) => {
  const sb = await sandboxFor(t)
  const repo = await makeRepo(sb)
  const seen = path.join(sb.root, 'seen')
  // Every simulated tool call records what it got, then runs the simulator without the variable
  // (the simulator is a Node program and would warn about the missing file itself).
  const shims = path.join(sb.root, 'shims')
  await mkdir(shims)
  for (const tool of ['k3d', 'kubectl', 'docker']) {
    await writeFile(
      path.join(shims, tool),
      // The launcher's own variables never reach a child: one that did would add its name.
      `#!/bin/sh\necho "${tool} \${NODE_EXTRA_CA_CERTS-<unset>} \${${SAVED_CA}-<unset>}\${${SNAPSHOT_SKIPPED}+ ${SNAPSHOT_SKIPPED}}\${MULTI_CLUSTER_ARGV0+ MULTI_CLUSTER_ARGV0}" >> '${seen}'\nunset NODE_EXTRA_CA_CERTS\nexec '${path.join(BIN_DIR, tool)}' "$@"\n`,
      { mode: 0o755 },
    )
  }
  await writeFile(path.join(repo, 'multi-cluster.config.json'), JSON.stringify({ deploy: `echo "deploy \${NODE_EXTRA_CA_CERTS-<unset>} \${${SAVED_CA}-<unset>}" >> '${seen}'` }))
  const env = { PATH: `${shims}:${sb.env.PATH}` }
  const manager = path.join(REPO_ROOT, 'scripts', 'cluster-manager.ts')

  // A file that does not exist: Node warns at start-up when it loads it, so our stderr shows whether we did.
  const missing = path.join(sb.root, 'no such ca.pem')
  const started = await sb.run(manager, ['dev-start'], { cwd: repo, env: { ...env, ...FROM_SNAPSHOT, NODE_EXTRA_CA_CERTS: missing } })
  assert.equal(started.code, 0, started.stderr)
  assert.doesNotMatch(started.stderr, /extra certs/i, 'our own process never loaded the file')
  const lines = (await readFile(seen, 'utf8')).trim().split('\n')
  for (const child of ['k3d', 'kubectl', 'docker', 'deploy']) assert.ok(lines.some((l) => l.startsWith(`${child} `)), `${child} ran: ${lines.join('\n')}`)
  for (const line of lines) assert.equal(line.replace(/^\w+ /, ''), `${missing} <unset>`, line)

  // The same from the startup snapshot (the default here) and from the bundle.
  for (const runner of ['', 'bundle']) {
    for (const [value, expected] of [[undefined, '<unset>'], ['', ''], [missing, missing]] as const) {
      await rm(seen)
      const r = await sb.run(manager, ['list'], { env: { ...env, ...FROM_SNAPSHOT, NODE_EXTRA_CA_CERTS: value, MULTI_CLUSTER_RUNNER: runner } })
      assert.equal(r.code, 0, r.stderr)
      assert.doesNotMatch(r.stderr, /extra certs/i, `${runner || 'snapshot'}: our own process never loaded the file`)
      assert.equal((await readFile(seen, 'utf8')).trim(), `k3d ${expected} <unset>`, runner || 'snapshot')
    }
  }
})

test('the snapshot warm-ups (lib/warm.ts) run on their fixed inputs and touch nothing', async (t) => {
  const sb = await sandboxFor(t)
  const { warmCommands } = await import('../lib/warm.ts')
  const { warmBootstrap } = await import('../lib/bootstrap/warm.ts')
  const { $ } = await import('zx/core')
  const zx = $ as unknown as Record<string, unknown>
  const settings = () => Object.fromEntries(['shell', 'prefix', 'postfix', 'quote', 'quiet', 'nothrow', 'detached', 'stdio', 'spawn'].map((k) => [k, zx[k]]))
  const before = settings()
  const env = { ...process.env }
  const cwd = process.cwd()
  // A throw here would only make the build say "no startup snapshots": it must not happen.
  await warmCommands()
  await warmBootstrap()
  assert.deepEqual({ ...process.env }, env)
  assert.equal(process.cwd(), cwd)
  // zx's `$` ran with a stand-in child and its settings put on `$` for that call: all back.
  assert.deepEqual(settings(), before)
  assert.equal(zx.spawn, (await import('node:child_process')).spawn, 'programs start for real again')
  // pretest built this checkout's snapshots, running them: both scripts start from their snapshots.
  for (const script of ['cluster-manager.ts', 'dev-up-multi.ts']) {
    const r = await sb.run(path.join(REPO_ROOT, 'scripts', script), ['--version'], { env: FROM_SNAPSHOT })
    assert.equal(r.stdout.split('\n')[2], `run by the startup snapshot from ${REPO_ROOT}`, script)
  }
})
