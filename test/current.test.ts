// `current` per git work tree (spec: Behaviour, current): $KUBECONFIG → this work tree's switch →
// the cluster this identity bootstrapped here → the global pointer → none. Files only.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import fs from 'fs-extra'
import { sandboxFor, REPO_ROOT, ok, JUST } from './helpers/sandbox.ts'
import type { Sandbox } from './helpers/sandbox.ts'
import { makeRepo } from './helpers/git.ts'
import { paths } from '../lib/paths.ts'
import { choiceFile, parseChoice, resolveCurrent } from '../lib/current.ts'
import type { GitConfigReader } from '../lib/current.ts'
import { workTreeTop } from '../lib/worktree.ts'
import { md5Prefix } from '../lib/hash.ts'

const JUSTFILE = path.join(REPO_ROOT, 'justfile')
const MANAGER = path.join(REPO_ROOT, 'scripts', 'cluster-manager.ts')
const PERSONAL = 'threads-agent-vitalii-se-c18b4c'

const lines = (text: string) => text.replace(/\n$/, '').split('\n')
const manager = (sb: Sandbox, cwd: string, args: string[], env: Record<string, string | undefined> = {}) => sb.run(MANAGER, args, { cwd, env })
const just = (sb: Sandbox, cwd: string, args: string[]) => sb.run(JUST, ['--justfile', JUSTFILE, '--working-directory', cwd, ...args], { cwd })
const currentName = async (sb: Sandbox, cwd: string) => (await manager(sb, cwd, ['current', '--name'])).stdout.trim()
const metaFile = (sb: Sandbox, name: string) => path.join(sb.home, '.config', 'threads-agent', 'clusters', `${name}.json`)
const pointer = (sb: Sandbox) => path.join(sb.home, '.config', 'threads-agent', 'current')

/** A k3d cluster (simulated) with metadata, as a bootstrap leaves it, without the bootstrap's cost. */
async function cluster(sb: Sandbox, name: string, shared = false): Promise<void> {
  ok(await sb.run('k3d', ['cluster', 'create', name, '--kubeconfig-update-default=false']))
  await fs.outputJson(metaFile(sb, name), {
    name, repository: 'threads-agent', developer: 'Vitalii Serbyn', email: 'vitaliis@example.com', lb_port: 8080, api_port: 6445,
    kubeconfig: '', created_at: '2026-01-01T00:00:00Z', k3d_version: 'v5.8.3', shared,
  })
}

test('the main job then current, resources and mcp-setup, through just: they use the cluster just made, and move no pointer', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  ok(await just(sb, repo, ['bootstrap-multi']))
  const current = ok(await just(sb, repo, ['cluster-current']))
  assert.equal(lines(current.stdout)[0], `Cluster: ${PERSONAL}`)
  assert.ok(lines(current.stdout).includes(`  Selected by: your personal cluster for this repository (${repo})`), current.stdout)
  const resources = ok(await just(sb, repo, ['cluster-resources']))
  assert.equal(lines(resources.stdout)[0], `Resources in cluster '${PERSONAL}':`)
  ok(await just(sb, repo, ['mcp-setup']))
  const mcp = await fs.readJson(path.join(repo, '.mcp.json'))
  const stable = `worktree-${md5Prefix(await fs.realpath(repo), 16)}`
  assert.equal(mcp.mcpServers.kubernetes.env.KUBECONFIG, `\${HOME}/.kube/threads-agent/${stable}`)
  assert.match(await fs.readFile(path.join(sb.home, '.kube', 'threads-agent', stable), 'utf8'), new RegExp(`^current-context: k3d-${PERSONAL}$`, 'm'))
  // Nobody else's current moved: no global pointer, no choice recorded.
  assert.equal(await fs.pathExists(pointer(sb)), false)
  assert.equal(await fs.pathExists(path.join(sb.home, '.config', 'threads-agent', 'worktrees')), false)
  // Outside the repository there is still no current cluster.
  assert.equal(await currentName(sb, sb.root), '')
})

test('the shared cluster is current when this identity has no personal one; the personal one wins when both exist', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  await cluster(sb, 'threads-agent', true)
  assert.equal(await currentName(sb, repo), 'threads-agent')
  assert.match(ok(await manager(sb, repo, ['current'])).stdout, /Selected by: your shared cluster for this repository/)
  await cluster(sb, PERSONAL)
  assert.equal(await currentName(sb, repo), PERSONAL)
  // Another identity in another clone of the same repository: the shared one.
  const bob = await makeRepo(sb, { dir: 'bob/threads-agent', userName: 'Bob Jones', email: 'bob@example.com' })
  assert.equal(await currentName(sb, bob), 'threads-agent')
})

test('two work trees keep their own choice; the global pointer follows the last switch; switch - is per work tree', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const a = await makeRepo(sb, { dir: 'a' })
  const b = await makeRepo(sb, { dir: 'b' })
  for (const name of ['alpha', 'bravo', 'charlie']) await cluster(sb, name)
  ok(await manager(sb, a, ['switch', 'alpha']))
  ok(await manager(sb, b, ['switch', 'bravo']))
  assert.equal(await currentName(sb, a), 'alpha')
  assert.equal(await currentName(sb, b), 'bravo')
  assert.equal(await currentName(sb, sb.root), 'bravo') // outside any work tree: the last switch
  // A sub-directory, and a path through a symlink, are the same work tree.
  await fs.mkdirp(path.join(a, 'src', 'deep'))
  assert.equal(await currentName(sb, path.join(a, 'src', 'deep')), 'alpha')
  await fs.symlink(a, path.join(sb.root, 'link-to-a'))
  assert.equal(await currentName(sb, path.join(sb.root, 'link-to-a', 'src')), 'alpha')
  const where = ok(await manager(sb, path.join(a, 'src'), ['current']))
  assert.ok(lines(where.stdout).includes(`  Selected by: switch in this work tree (${a})`), where.stdout)

  ok(await manager(sb, a, ['switch', 'charlie']))
  assert.equal(await currentName(sb, b), 'bravo') // b never sees a's choice
  const back = ok(await manager(sb, a, ['switch', '-']))
  assert.match(back.stdout, /Switched to cluster 'alpha'/)
  ok(await manager(sb, a, ['switch', '-']))
  assert.equal(await currentName(sb, a), 'charlie')
  assert.equal(await currentName(sb, b), 'bravo')
  // b's previous is what current showed there before its switch: the global pointer (alpha).
  ok(await manager(sb, b, ['switch', '-']))
  assert.equal(await currentName(sb, b), 'alpha')
  assert.equal(await currentName(sb, a), 'charlie')
  ok(await manager(sb, b, ['switch', 'bravo']))
  // A work tree whose first switch found nothing current has no previous.
  const c = await makeRepo(sb, { dir: 'c' })
  await fs.remove(pointer(sb))
  ok(await manager(sb, c, ['switch', 'alpha']))
  const none = await manager(sb, c, ['switch', '-'])
  assert.equal(none.code, 1)
  assert.match(none.stderr, new RegExp(`no previous cluster in this work tree \\(${c}\\)`))

  // $KUBECONFIG still comes first.
  const file = path.join(sb.home, '.kube', 'threads-agent', 'config-bravo')
  assert.equal((await manager(sb, a, ['current', '-q'], { KUBECONFIG: file })).stdout, 'bravo\n')

  // The choice file: one per work tree, keyed by its real path.
  const p = paths(sb.home)
  assert.deepEqual(parseChoice(await fs.readFile(choiceFile(p, a), 'utf8')), { worktree: a, current: 'charlie', previous: 'alpha' })
})

test('a switch inside a repository first remembers the identity cluster as previous', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  await cluster(sb, PERSONAL)
  await cluster(sb, 'other')
  ok(await manager(sb, repo, ['switch', 'other']))
  ok(await manager(sb, repo, ['switch', '-']))
  assert.equal(await currentName(sb, repo), PERSONAL)
})

test('delete forgets the cluster in every work tree; cleanup drops the choices of work trees that are gone', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const a = await makeRepo(sb, { dir: 'a' })
  const b = await makeRepo(sb, { dir: 'b' })
  const gone = await makeRepo(sb, { dir: 'gone' })
  for (const name of ['alpha', 'bravo']) await cluster(sb, name)
  ok(await manager(sb, a, ['switch', 'alpha']))
  ok(await manager(sb, b, ['switch', 'bravo']))
  ok(await manager(sb, gone, ['switch', 'bravo']))
  ok(await manager(sb, a, ['delete', 'alpha', '--yes']))
  assert.equal(await currentName(sb, a), 'bravo') // a's choice is forgotten: the global pointer answers
  assert.equal(await currentName(sb, b), 'bravo')

  const p = paths(sb.home)
  await fs.remove(gone)
  const r = ok(await manager(sb, sb.root, ['cleanup']))
  assert.match(r.stdout, new RegExp(`Removed the choice of work tree ${gone} \\(it is gone\\)`))
  assert.equal(await fs.pathExists(choiceFile(p, gone)), false)
  assert.equal(await fs.pathExists(choiceFile(p, b)), true)
  assert.equal(await currentName(sb, b), 'bravo')
})

test('current in a work tree costs no k3d or docker call, and one git call only when no choice is recorded', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  await cluster(sb, PERSONAL)
  const before = sb.calls().length
  assert.equal(await currentName(sb, repo), PERSONAL)
  assert.equal((await manager(sb, repo, ['current', '--json'], { K3D_SIM_DOCKER_DOWN: '1' })).code, 0)
  assert.equal(sb.calls().length, before)
})

test('resolveCurrent: each step in order, with a git reader given by the test', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const p = paths(sb.home)
  const repo = await makeRepo(sb)
  let gitCalls = 0
  const git: GitConfigReader = async () => {
    gitCalls++
    return { remoteUrl: 'git@github.com:x/threads-agent.git', userName: 'Vitalii Serbyn', email: 'vitaliis@example.com' }
  }
  assert.equal(await resolveCurrent(p, {}, { cwd: repo, git }), null)
  assert.equal(gitCalls, 1)
  await fs.outputFile(p.currentFile, 'global\n')
  assert.deepEqual(await resolveCurrent(p, {}, { cwd: repo, git }), { name: 'global', source: { kind: 'pointer', file: p.currentFile } })
  await fs.outputJson(path.join(p.metaDir, `${PERSONAL}.json`), {})
  assert.deepEqual(await resolveCurrent(p, {}, { cwd: repo, git }), { name: PERSONAL, source: { kind: 'identity', worktree: repo, shared: false } })
  await fs.outputJson(choiceFile(p, repo), { worktree: repo, current: 'picked', previous: null })
  gitCalls = 0
  assert.deepEqual(await resolveCurrent(p, {}, { cwd: repo, git }), { name: 'picked', source: { kind: 'worktree', worktree: repo, file: choiceFile(p, repo) } })
  assert.equal(gitCalls, 0)
  // A choice file whose path is another work tree's (a hash collision) is not this one's.
  await fs.outputJson(choiceFile(p, repo), { worktree: '/elsewhere', current: 'picked', previous: null })
  assert.equal((await resolveCurrent(p, {}, { cwd: repo, git }))?.name, PERSONAL)
  // Without a git reader the identity step is skipped.
  assert.equal((await resolveCurrent(p, {}, { cwd: repo }))?.name, 'global')
  // Not in a work tree at all.
  assert.equal(await workTreeTop(sb.home), null)
  assert.equal((await resolveCurrent(p, {}, { cwd: sb.home, git }))?.name, 'global')
})
