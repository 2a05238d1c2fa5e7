// Interruptions: signals, a closed stdout, a concurrent delete, SIGKILL and the next run, runs
// of one identity at once. Each case is one that left false state before the bootstrap became
// a pipeline of undoable steps with one cancellation signal.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { fs } from 'zx'
import { sandboxFor, startFrom } from './helpers/sandbox.ts'
import type { Sandbox } from './helpers/sandbox.ts'
import { makeRepo } from './helpers/git.ts'
import { DEV_UP, MANAGER, called, configDir, entries, heldLocks, kubeconfigFile, metaFile, simClusters, simKube, start, until } from './helpers/runs.ts'
import { PassThrough } from 'node:stream'
import { newOwner, processAlive as alive } from '../lib/owner.ts'
import { Interrupted } from '../lib/cancel.ts'
import { bootstrap, parseBootstrapArgs } from '../lib/bootstrap/index.ts'
import type { BootstrapOptions } from '../lib/bootstrap/index.ts'
import { Output } from '../lib/output.ts'
import { paths } from '../lib/paths.ts'
import { run } from '../lib/proc.ts'
import type { Runner } from '../lib/proc.ts'

const PERSONAL = 'threads-agent-vitalii-se-c18b4c'
const IMAGE = 'bitnami/postgresql:16'

/** Nothing of PERSONAL anywhere: no cluster, metadata, kubeconfig, reservation or held lock. */
async function assertNothingLeft(sb: Sandbox, why: string): Promise<void> {
  assert.deepEqual((await simClusters(sb)).map((c) => c.name), [], `${why}: no cluster`)
  assert.equal(await fs.pathExists(metaFile(sb, PERSONAL)), false, `${why}: no metadata`)
  assert.equal(await fs.pathExists(kubeconfigFile(sb, PERSONAL)), false, `${why}: no kubeconfig`)
  assert.deepEqual(await entries(path.join(configDir(sb), 'reservations')), [], `${why}: no reservation`)
  assert.deepEqual(await heldLocks(path.join(configDir(sb), 'ports.lock')), [], `${why}: no lock`)
}

/** Exactly one error line on stderr and no stack trace. */
function oneErrorLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.startsWith('✗'))
  assert.equal(lines.length, 1, stderr)
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace')
  return lines[0] ?? ''
}

// Under c8 the scripts start from the bundle (NODE_V8_COVERAGE); the last case starts from the
// startup snapshot, as users' runs do, whose signal handlers and child processes are set up after
// the snapshot is read (docs/performance.md, "The snapshot").
for (const [signal, code, from] of [['SIGINT', 130, 'bundle'], ['SIGTERM', 143, 'bundle'], ['SIGINT', 130, 'snapshot']] as const) {
  test(`${signal} while images import: exit ${code}, the cluster and every file of it undone (started from the ${from})`, async (t) => {
    const sb = await sandboxFor(t, { inProcess: true })
    const repo = await makeRepo(sb)
    const run = start(sb, DEV_UP, [], repo, { K3D_SIM_IMPORT_DELAY_MS: '3000', K3D_SIM_IMAGES: IMAGE, ...startFrom(from) })
    assert.ok(await until(() => called(sb, 'k3d', 'image', 'import')), 'import started')
    process.kill(run.pid, signal)
    const r = await run.done
    assert.equal(r.code, code, r.stderr)
    assert.match(oneErrorLine(r.stderr), new RegExp(`interrupted \\(${signal}\\) during image import; the half-made cluster '${PERSONAL}' was deleted again`))
    await assertNothingLeft(sb, signal)
  })
}

test('Ctrl-C to the whole process group while images import: exit 130, nothing left', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  const run = start(sb, DEV_UP, [], repo, { K3D_SIM_IMPORT_DELAY_MS: '3000', K3D_SIM_IMAGES: IMAGE })
  assert.ok(await until(() => called(sb, 'k3d', 'image', 'import')))
  process.kill(-run.pid, 'SIGINT')
  const r = await run.done
  assert.equal(r.code, 130, r.stderr)
  await assertNothingLeft(sb, 'group SIGINT')
})

test('SIGHUP (terminal closed) during create: exit 129, no cluster, no reservation', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  const run = start(sb, DEV_UP, [], repo, { K3D_SIM_CREATE_DELAY_MS: '3000' })
  assert.ok(await until(() => called(sb, 'k3d', 'cluster', 'create')))
  process.kill(run.pid, 'SIGHUP')
  const r = await run.done
  assert.equal(r.code, 129, r.stderr)
  await assertNothingLeft(sb, 'SIGHUP')
  // The create was stopped, and deleted once: not twice at the same time.
  assert.equal(sb.calls('k3d').filter((c) => c.args[1] === 'delete').length, 1)
})

test('stdout closed while the cluster is created (| head -1): exit 141, nothing printed, nothing left', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  const run = start(sb, DEV_UP, [], repo, { K3D_SIM_CREATE_DELAY_MS: '2000' })
  assert.ok(await until(() => called(sb, 'k3d', 'cluster', 'create')))
  run.closeStdout()
  const r = await run.done
  assert.equal(r.code, 141, r.stderr)
  assert.equal(r.stderr, '', 'quiet: no stack trace, no error line')
  await assertNothingLeft(sb, 'EPIPE')
})

test('cluster-manager list with its stdout closed: exit 141, no stack trace', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  for (const name of ['a', 'b', 'c']) assert.equal((await sb.run('k3d', ['cluster', 'create', name, '--kubeconfig-update-default=false'])).code, 0)
  const run = start(sb, MANAGER, ['list'], repo)
  run.closeStdout()
  const r = await run.done
  assert.equal(r.code, 141, r.stderr)
  assert.doesNotMatch(r.stderr, /EPIPE|\n\s+at /)
})

test('cluster-manager delete while the bootstrap imports images: the bootstrap fails and leaves no metadata', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  // The import outlasts the delete even on a loaded machine (the delete runs in-process: no node start).
  const run = start(sb, DEV_UP, [], repo, { K3D_SIM_IMPORT_DELAY_MS: '3000', K3D_SIM_IMAGES: IMAGE })
  assert.ok(await until(() => called(sb, 'k3d', 'image', 'import')))
  const del = await sb.run(MANAGER, ['delete', PERSONAL, '--yes'], { cwd: repo })
  assert.equal(del.code, 0, del.stderr)
  const r = await run.done
  assert.equal(r.code, 1, r.stdout + r.stderr)
  assert.match(oneErrorLine(r.stderr), /was deleted while this run was making it/)
  assert.doesNotMatch(r.stdout, /created successfully|export KUBECONFIG/)
  await assertNothingLeft(sb, 'concurrent delete')
})

test('cluster-manager delete during the readiness wait ends the wait at once', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  const run = start(sb, DEV_UP, [], repo, { K3D_SIM_READYZ_FAILS: '100000', READY_TIMEOUT: '60' })
  assert.ok(await until(() => called(sb, 'kubectl', '--kubeconfig')))
  assert.equal((await sb.run(MANAGER, ['delete', PERSONAL, '--yes'], { cwd: repo })).code, 0)
  const r = await run.done
  assert.equal(r.code, 1)
  // Not "did not answer /readyz within 60s": the wait ended because the cluster was gone.
  assert.match(oneErrorLine(r.stderr), /readiness wait failed: cluster '.*' was deleted while this run was making it/)
  await assertNothingLeft(sb, 'delete during readiness')
})

test('SIGKILL during the readiness wait: the next run finishes the cluster (labels, cluster-info, images, metadata) and says so', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  const env = { K3D_SIM_IMAGES: IMAGE }
  const run = start(sb, DEV_UP, [], repo, { ...env, K3D_SIM_READYZ_FAILS: '100000' })
  assert.ok(await until(() => called(sb, 'kubectl', '--kubeconfig')))
  process.kill(run.pid, 'SIGKILL')
  await run.done
  const next = await sb.run(DEV_UP, [], { cwd: repo, env })
  assert.equal(next.code, 0, next.stderr)
  assert.match(next.stderr, /was left unfinished by run \d+, which stopped after k3d created it; finishing it/)
  assert.doesNotMatch(next.stdout, /Adopted/)
  const kube = await simKube(sb, PERSONAL)
  assert.ok(kube && Object.values(kube.nodes).every((n) => n.labels.developer === 'vitalii-se'), 'nodes labelled')
  assert.ok(kube && 'default/cluster-info' in kube.configmaps, 'cluster-info written')
  assert.deepEqual((await simClusters(sb))[0]?.images, [IMAGE])
  assert.equal((await fs.readJson(metaFile(sb, PERSONAL))).adopted, undefined)
  assert.deepEqual(await entries(path.join(configDir(sb), 'reservations')), [])
})

test('SIGKILL during create: the next run makes the half-made cluster again', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  const run = start(sb, DEV_UP, [], repo, { K3D_SIM_CREATE_DELAY_MS: '1500' })
  // k3d reads the config document from stdin first: killed before that, nothing is half-made
  assert.ok(await until(async () => (await simClusters(sb)).some((c) => c.creating)))
  process.kill(-run.pid, 'SIGKILL')
  await run.done
  const next = await sb.run(DEV_UP, [], { cwd: repo })
  assert.equal(next.code, 0, next.stderr)
  assert.match(next.stderr, /left half-created by a run that died; deleting it and creating it again/)
  assert.deepEqual((await simClusters(sb)).map((c) => [c.name, c.running, c.creating]), [[PERSONAL, true, false]])
  assert.ok(await fs.pathExists(metaFile(sb, PERSONAL)))
})

test('a reservation and a port lock whose pid now belongs to an unrelated live process block nothing', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  // pid 1 runs, but did not write these: their start time is not pid 1's.
  const impostor = { ...newOwner(), pid: 1, start: '1' }
  await fs.outputJson(path.join(configDir(sb), 'reservations', `${PERSONAL}.json`), { ...impostor, name: PERSONAL, lb_port: 8142, api_port: 6507, created_at: '', stage: 'reserved' })
  await fs.outputJson(path.join(configDir(sb), 'ports.lock', '000000000001', 'owner'), impostor)
  const r = await sb.run(DEV_UP, ['--json'], { cwd: repo })
  assert.equal(r.code, 0, r.stderr) // not "being created by another run", nor a lock time-out
  assert.deepEqual(await entries(path.join(configDir(sb), 'reservations')), [])
})

test('four runs of one identity with --wait: all succeed, one creates, the others reuse', async (t) => {
  const sb = await sandboxFor(t) // end to end: concurrent processes
  const repo = await makeRepo(sb)
  const env = { K3D_SIM_CREATE_DELAY_MS: '800' }
  const runs = await Promise.all(Array.from({ length: 4 }, () => sb.run(DEV_UP, ['--wait', '--json'], { cwd: repo, env })))
  for (const r of runs) assert.equal(r.code, 0, r.stderr)
  assert.equal(sb.calls('k3d').filter((c) => c.args[1] === 'create').length, 1)
  assert.deepEqual(runs.map((r) => JSON.parse(r.stdout).action).sort(), ['create', 'reuse', 'reuse', 'reuse'])
  // Without --wait the one that finds the other running says how to wait.
  const other = start(sb, DEV_UP, ['--force'], repo, { K3D_SIM_CREATE_DELAY_MS: '30000' })
  assert.ok(await until(() => sb.calls('k3d').filter((c) => c.args[1] === 'create').length === 2))
  const refused = await sb.run(DEV_UP, [], { cwd: repo })
  assert.equal(refused.code, 1)
  assert.match(oneErrorLine(refused.stderr), /is being created by another run \(pid \d+\) — pass --wait/)
  process.kill(other.pid, 'SIGTERM')
  assert.equal((await other.done).code, 143)
})

test('--wait gives up after --wait-timeout seconds, naming the other run', async (t) => {
  const sb = await sandboxFor(t) // end to end: concurrent processes
  const repo = await makeRepo(sb)
  const other = start(sb, DEV_UP, [], repo, { K3D_SIM_CREATE_DELAY_MS: '30000' })
  assert.ok(await until(() => called(sb, 'k3d', 'cluster', 'create')))
  const r = await sb.run(DEV_UP, ['--wait', '--wait-timeout', '0.5'], { cwd: repo })
  assert.equal(r.code, 1)
  assert.match(oneErrorLine(r.stderr), new RegExp(`still being created by another run \\(pid ${other.pid}\\) after 0.5s`))
  process.kill(other.pid, 'SIGTERM')
  assert.equal((await other.done).code, 143)
})

test('SIGTERM during dev-start\'s deploy command kills the deploy too (it runs through the runner)', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  const pidFile = path.join(sb.root, 'deploy.pid')
  await fs.writeJson(path.join(repo, 'multi-cluster.config.json'), { deploy: `echo $$ > ${pidFile}; exec sleep 30` })
  const run = start(sb, MANAGER, ['dev-start'], repo)
  assert.ok(await until(() => fs.pathExists(pidFile)), 'deploy started')
  const deployPid = Number((await fs.readFile(pidFile, 'utf8')).trim())
  process.kill(run.pid, 'SIGTERM')
  const r = await run.done
  assert.equal(r.code, 143, r.stderr)
  assert.ok(await until(() => !alive(deployPid), 10_000), 'the deploy command was killed')
  // The cluster was finished before the deploy: it stays.
  assert.ok(await fs.pathExists(metaFile(sb, PERSONAL)))
})

test('git runs through the runner: SIGTERM while git hangs kills it and exits 143', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  const bin = path.join(sb.root, 'slow-git')
  const pidFile = path.join(sb.root, 'git.pid')
  await fs.outputFile(path.join(bin, 'git'), `#!/bin/sh\necho $$ > ${pidFile}\nexec sleep 30\n`, { mode: 0o755 })
  const run = start(sb, DEV_UP, [], repo, { PATH: `${bin}:${sb.env.PATH}` })
  assert.ok(await until(() => fs.pathExists(pidFile)))
  const gitPid = Number((await fs.readFile(pidFile, 'utf8')).trim())
  process.kill(run.pid, 'SIGTERM')
  assert.equal((await run.done).code, 143)
  assert.ok(await until(() => !alive(gitPid), 10_000), 'git was killed')
})

test('a second Ctrl-C while the undo runs leaves at once', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  const run = start(sb, DEV_UP, [], repo, { K3D_SIM_IMPORT_DELAY_MS: '3000', K3D_SIM_DELETE_DELAY_MS: '4000', K3D_SIM_IMAGES: IMAGE })
  assert.ok(await until(() => called(sb, 'k3d', 'image', 'import')))
  process.kill(run.pid, 'SIGINT')
  assert.ok(await until(() => called(sb, 'k3d', 'cluster', 'delete')), 'undo started')
  process.kill(run.pid, 'SIGINT')
  const r = await run.done
  assert.equal(r.code, 130)
  // It left while the slow delete still ran: the cluster was still there when it exited...
  assert.deepEqual((await simClusters(sb)).map((c) => c.name), [PERSONAL])
  // ...and the delete, in its own process group, runs on and finishes.
  assert.ok(await until(async () => (await simClusters(sb)).length === 0, 20_000))
})

test('what dead runs left: doctor reports it, cleanup removes the stale lock and reservation and names them, keeps an unfinished cluster\'s', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  assert.equal((await sb.run('k3d', ['cluster', 'create', 'unfinished', '--kubeconfig-update-default=false'])).code, 0)
  const dead = { ...newOwner(), pid: 1, start: '1' } // pid 1 lives, but did not write these
  const reservations = path.join(configDir(sb), 'reservations')
  await fs.outputJson(path.join(reservations, 'gone.json'), { ...dead, name: 'gone', lb_port: 8150, api_port: 6550, created_at: '', stage: 'reserved' })
  await fs.outputJson(path.join(reservations, 'unfinished.json'), { ...dead, name: 'unfinished', lb_port: 8151, api_port: 6551, created_at: '', stage: 'created' })
  await fs.outputJson(path.join(configDir(sb), 'ports.lock', '000000000003', 'owner'), dead)
  const doctor = await sb.run(MANAGER, ['doctor'], { cwd: repo })
  assert.match(doctor.stdout, /^⚠ runs: left by runs that died: the port lock of pid 1, the reservation of 'gone' \(pid 1\); 'unfinished' was left unfinished by pid 1 — 'cluster-manager cleanup' removes them; 'dev-up-multi --name unfinished' finishes it$/m)
  const cleanup = await sb.run(MANAGER, ['cleanup'], { cwd: repo })
  assert.equal(cleanup.code, 0, cleanup.stderr)
  assert.match(cleanup.stdout, /Removed the stale port lock of pid 1/)
  assert.match(cleanup.stdout, /Removed stale port reservation of 'gone' \(pid 1 is gone/)
  assert.match(cleanup.stdout, /Kept the reservation of 'unfinished'/)
  assert.deepEqual(await entries(reservations), ['unfinished.json'])
  assert.deepEqual(await heldLocks(path.join(configDir(sb), 'ports.lock')), [])
  // Finishing it through its name clears the rest.
  const finish = await sb.run(DEV_UP, ['--name', 'unfinished'], { cwd: repo })
  assert.equal(finish.code, 0, finish.stderr)
  assert.match(finish.stderr, /was left unfinished by run 1/)
  assert.deepEqual(await entries(reservations), [])
  assert.doesNotMatch((await sb.run(MANAGER, ['list'], { cwd: repo })).stderr, /ignoring/, 'no invalid metadata written')
  assert.match((await sb.run(MANAGER, ['doctor'], { cwd: repo })).stdout, /^✓ runs: nothing left by a run that died$/m)
})

test('--force stopped after its ports were reserved but before the old cluster was touched: the cluster and its metadata stay, no reservation', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  assert.equal((await sb.run(DEV_UP, [], { cwd: repo })).code, 0)
  const meta = await fs.readFile(metaFile(sb, PERSONAL), 'utf8')
  // Another file claims the cluster's own ports, so the run probes others: the signal fires there.
  const { lb_port, api_port } = JSON.parse(meta)
  await fs.outputJson(metaFile(sb, 'other'), { name: 'other', lb_port, api_port })
  const savedPath = process.env.PATH
  process.env.PATH = sb.env.PATH // the kubectl check looks on this process's PATH
  t.after(() => void (process.env.PATH = savedPath))
  const sink = new PassThrough() as unknown as NodeJS.WriteStream
  const runner: Runner = (cmd, args, opts = {}) => run(cmd, args, { ...opts, env: { ...sb.env, ...opts.env } })
  const stop = new AbortController()
  const probe = async () => {
    stop.abort(new Interrupted('SIGINT'))
    return true
  }
  const opts = parseBootstrapArgs(['--force'], {}) as BootstrapOptions
  const deps = { cwd: repo, env: sb.env, paths: paths(sb.home), out: new Output({ env: sb.env, stdout: sink, stderr: sink }), runner, signal: stop.signal, probe }
  await assert.rejects(bootstrap(opts, deps), /interrupted \(SIGINT\) before k3d cluster delete; nothing was left behind/)
  assert.deepEqual(await entries(path.join(configDir(sb), 'reservations')), [], 'no reservation left to mistake the cluster for a half-made one')
  assert.equal(await fs.readFile(metaFile(sb, PERSONAL), 'utf8'), meta)
  assert.deepEqual((await simClusters(sb)).map((c) => c.name), [PERSONAL])
})

