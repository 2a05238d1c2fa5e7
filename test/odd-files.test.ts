// Bad input and odd files: a clear line, exit 1 or 2, nothing lost.
import { test, mock } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import fsp from 'node:fs/promises'
import { fs } from 'zx'
import { sandboxFor } from './helpers/sandbox.ts'
import type { Sandbox, RunResult } from './helpers/sandbox.ts'
import { makeRepo } from './helpers/git.ts'
import { DEV_UP, MANAGER, configDir, kubeconfigFile, metaFile } from './helpers/runs.ts'
import { K3d } from '../lib/k3d.ts'
import type { Runner } from '../lib/proc.ts'
import { Registry } from '../lib/registry.ts'

const PERSONAL = 'threads-agent-vitalii-se-c18b4c'
const errorLines = (r: RunResult) => r.stderr.split('\n').filter((l) => l.startsWith('✗'))
const mode = async (p: string) => (await fs.stat(p)).mode & 0o777

async function created(sb: Sandbox, repo: string): Promise<void> {
  const r = await sb.run(DEV_UP, [], { cwd: repo })
  assert.equal(r.code, 0, r.stderr)
}

test('a directory named X.json among the metadata: a warning naming it, and list, switch, cleanup and bootstrap still work', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  const odd = path.join(configDir(sb), 'clusters', 'odd.json')
  await fs.mkdirp(odd)
  await created(sb, repo)
  for (const args of [['list'], ['switch', PERSONAL], ['cleanup'], ['info', PERSONAL]]) {
    const r = await sb.run(MANAGER, args, { cwd: repo })
    assert.equal(r.code, 0, `${args[0]}: ${r.stderr}`)
    if (args[0] !== 'switch' && args[0] !== 'info') assert.match(r.stderr, new RegExp(`${odd.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: is a directory`), args[0])
  }
  assert.ok(await fs.pathExists(odd), 'not removed: it is not ours')
  const again = await sb.run(DEV_UP, ['--force'], { cwd: repo })
  assert.equal(again.code, 0, again.stderr)
  // The cluster's own metadata or kubeconfig path a directory: the run stops naming it, before anything is made.
  assert.equal((await sb.run(MANAGER, ['delete', PERSONAL, '--yes'], { cwd: repo })).code, 0)
  for (const slot of [metaFile(sb, PERSONAL), kubeconfigFile(sb, PERSONAL)]) {
    await fs.mkdirp(slot)
    const r = await sb.run(DEV_UP, [], { cwd: repo })
    assert.equal(r.code, 1, r.stderr)
    assert.equal(errorLines(r).length, 1, r.stderr)
    assert.match(errorLines(r)[0] ?? '', /is a directory where a file belongs — move it away/)
    assert.equal(sb.calls('k3d').filter((c) => c.args[1] === 'create').length, 2, 'no create this time')
    await fs.rmdir(slot)
  }
})

test('an unreadable metadata file is a warning naming it; the others are listed', async (t) => {
  const dir = path.join((await sandboxFor(t, { inProcess: true })).root, 'clusters')
  const reg = new Registry(dir)
  await reg.write({ name: 'ok', repository: 'r', developer: 'd', email: 'e', lb_port: 8080, api_port: 6445, kubeconfig: '', created_at: '', k3d_version: '', shared: false })
  await fs.writeFile(path.join(dir, 'secret.json'), '{}')
  const realOpen = fsp.open
  mock.method(fsp, 'open', async (file: string, ...rest: unknown[]) => {
    if (String(file).endsWith('secret.json')) throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' })
    return (realOpen as (...a: unknown[]) => Promise<unknown>)(file, ...rest)
  })
  t.after(() => mock.restoreAll())
  const { metas, problems } = await reg.list()
  assert.deepEqual(metas.map((m) => m.name), ['ok'])
  assert.deepEqual(problems, [{ file: path.join(dir, 'secret.json'), reason: 'cannot be read (permission denied)' }])
  await assert.rejects(reg.read('secret'), /secret\.json: cannot be read \(permission denied\)/)
})

test('metadata modes are repaired to 0600 in a 0700 directory, as the kubeconfigs are', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  await created(sb, repo)
  const file = metaFile(sb, PERSONAL)
  await fs.chmod(file, 0o644)
  await fs.chmod(path.dirname(file), 0o755)
  const r = await sb.run(MANAGER, ['list'], { cwd: repo })
  assert.equal(r.code, 0, r.stderr)
  assert.equal(await mode(file), 0o600)
  assert.equal(await mode(path.dirname(file)), 0o700)
})

test('multi-cluster.config.json that is a directory: exit 2 naming the file', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  await fs.mkdirp(path.join(repo, 'multi-cluster.config.json'))
  const r = await sb.run(DEV_UP, [], { cwd: repo })
  assert.equal(r.code, 2, r.stderr)
  assert.equal(errorLines(r).length, 1, r.stderr)
  assert.match(errorLines(r)[0] ?? '', /multi-cluster\.config\.json is a directory, not a JSON file/)
  assert.equal(sb.calls('k3d').filter((c) => c.args[1] === 'create').length, 0)
})

test('a kubeconfig path that is a symlink is replaced by a private file before k3d may rewrite it', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const mine = path.join(sb.home, '.kube', 'config')
  await fs.outputFile(mine, 'apiVersion: v1\nkind: Config\ncurrent-context: k3d-x\ncontexts:\n- name: k3d-x\n')
  const before = await fs.readFile(mine)
  const own = kubeconfigFile(sb, 'x')
  await fs.mkdirp(path.dirname(own))
  await fs.symlink(mine, own)
  const seen: Array<{ isFile: boolean; isLink: boolean; mode: number }> = []
  const runner: Runner = async (_cmd, _args, opts = {}) => {
    const file = opts.env?.KUBECONFIG ?? ''
    const st = await fs.lstat(file)
    seen.push({ isFile: st.isFile(), isLink: st.isSymbolicLink(), mode: st.mode & 0o777 })
    return { code: 0, stdout: '', stderr: '' }
  }
  await new K3d(runner).delete('x', own)
  assert.deepEqual(seen, [{ isFile: true, isLink: false, mode: 0o600 }])
  assert.deepEqual(await fs.readFile(mine), before, '~/.kube/config untouched')
  // A hard link is written through just the same: it is replaced too.
  await fs.rm(own)
  await fs.link(mine, own)
  await new K3d(runner).delete('x', own)
  assert.equal((await fs.stat(mine)).nlink, 1)
  assert.deepEqual(await fs.readFile(mine), before)
})

test('cluster-manager delete with config-NAME symlinked to ~/.kube/config leaves ~/.kube/config as it was', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  await created(sb, repo)
  const mine = path.join(sb.home, '.kube', 'config')
  await fs.copy(kubeconfigFile(sb, PERSONAL), mine) // the user merged the cluster into their own config
  const before = await fs.readFile(mine)
  await fs.rm(kubeconfigFile(sb, PERSONAL))
  await fs.symlink(mine, kubeconfigFile(sb, PERSONAL))
  const r = await sb.run(MANAGER, ['delete', PERSONAL, '--yes'], { cwd: repo })
  assert.equal(r.code, 0, r.stderr)
  assert.deepEqual(await fs.readFile(mine), before)
  assert.equal(await fs.pathExists(kubeconfigFile(sb, PERSONAL)), false)
})

for (const [which, dir] of [
  ['~/.config/threads-agent', (sb: Sandbox) => configDir(sb)],
  ['~/.kube/threads-agent', (sb: Sandbox) => path.dirname(kubeconfigFile(sb, 'x'))],
] as const) {
  test(`${which} is a file: one line naming it and the fix, exit 1, before anything is created`, async (t) => {
    const sb = await sandboxFor(t, { inProcess: true })
    const repo = await makeRepo(sb)
    await fs.outputFile(dir(sb), 'not a directory\n')
    const r = await sb.run(DEV_UP, [], { cwd: repo })
    assert.equal(r.code, 1, r.stderr)
    assert.equal(errorLines(r).length, 1, r.stderr)
    assert.match(errorLines(r)[0] ?? '', new RegExp(`${dir(sb).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is a file where a directory belongs — move it away`))
    assert.equal(sb.calls('k3d').filter((c) => c.args[1] === 'create').length, 0, 'no cluster made')
    assert.equal(await fs.readFile(dir(sb), 'utf8'), 'not a directory\n')
    const doctor = await sb.run(MANAGER, ['doctor'], { cwd: repo })
    assert.equal(doctor.code, 1)
    assert.match(doctor.stdout, /^✗ directories: .* is a file where a directory belongs/m)
  })
}

test('escape sequences in git user.name are printed escaped, never raw', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb, { userName: 'Eve\u001b[2J\u001b]0;pwned\u0007' })
  const r = await sb.run(DEV_UP, [], { cwd: repo })
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /Developer: Eve\\x1b\[2J\\x1b\]0;pwned\\x07 <vitaliis@example\.com>/)
  const list = await sb.run(MANAGER, ['list'], { cwd: repo })
  for (const text of [r.stdout, r.stderr, list.stdout, list.stderr]) assert.doesNotMatch(text, /\u001b|\u0007/)
  assert.match(list.stdout, /Eve\\x1b\[2J/)
})

test('dev-start prints the export line once', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  const r = await sb.run(MANAGER, ['dev-start'], { cwd: repo })
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stdout.split('\n').filter((l) => l.includes('export KUBECONFIG=')).length, 1, r.stdout)
  assert.match(r.stdout, /created successfully/)
})

test('--tag on an existing cluster imports that tag\'s local images into it and says so', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  await created(sb, repo)
  const image = 'ghcr.io/threads-agent-stack/orchestrator:v2'
  const r = await sb.run(DEV_UP, ['--tag', 'v2'], { cwd: repo, env: { K3D_SIM_IMAGES: image } })
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /already exists/)
  assert.match(r.stdout, new RegExp(`Importing 1 image\\(s\\) into '${PERSONAL}': ${image.replace(/[.]/g, '\\.')}`))
  assert.deepEqual(sb.calls('k3d').filter((c) => c.args[0] === 'image').map((c) => c.args), [['image', 'import', image, '-c', PERSONAL]])
  // Without --tag a reuse imports nothing.
  assert.equal((await sb.run(DEV_UP, [], { cwd: repo, env: { K3D_SIM_IMAGES: image } })).code, 0)
  assert.equal(sb.calls('k3d').filter((c) => c.args[0] === 'image').length, 1)
})
