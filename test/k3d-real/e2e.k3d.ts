// The end-to-end suite against real Docker and k3d: `npm run test:k3d` (test/k3d-real/run.ts picks
// the daemon). Not part of `npm test` (file name *.k3d.ts). It creates one real cluster with a
// random name, in a temporary HOME, and deletes it again.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import os from 'node:os'
import path from 'node:path'
import crypto from 'node:crypto'
import { execFileSync, spawnSync } from 'node:child_process'
import { fs } from 'zx'

const ROOT = path.resolve(import.meta.dirname, '..', '..')

/** Run directly (not through run.ts): the machine's own k3d and Docker, or a reason to skip. */
function missing(): string | null {
  const k3d = spawnSync('k3d', ['version'], { encoding: 'utf8' })
  if (k3d.error || k3d.status !== 0) return 'k3d is not installed on this machine'
  const docker = spawnSync('docker', ['info'], { encoding: 'utf8' })
  if (docker.error || docker.status !== 0) return 'no Docker daemon is reachable on this machine'
  return null
}

const reason = process.env.REAL_K3D_SKIP || (process.env.REAL_K3D_RUNNER ? null : missing())
const skip = reason ? `${reason}; this suite needs real k3d and Docker (npm test covers the same flows with the simulator)` : false

test('real k3d: bootstrap with images present and absent, reach the API, list, switch, delete; the default kubeconfig untouched', { skip, timeout: 900_000 }, async () => {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'mc-e2e-home-'))
  const repo = path.join(home, `mc-e2e-${crypto.randomBytes(3).toString('hex')}`)
  await fs.mkdir(repo)
  // the user's own kubeconfig: neither create nor delete may touch it
  const userKubeconfig = path.join(home, '.kube', 'config')
  const mine = 'apiVersion: v1\nkind: Config\n# mine\ncurrent-context: mine\ncontexts:\n- name: mine\n  context: {cluster: mine, user: mine}\n'
  await fs.outputFile(userKubeconfig, mine)
  const env = { ...process.env, HOME: home, KUBECONFIG: undefined, GIT_CONFIG_GLOBAL: path.join(home, '.gitconfig') }
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, env })
  git('init', '-q')
  git('config', 'user.name', 'E2E Test')
  git('config', 'user.email', 'e2e@example.com')
  // the load balancer's image is on the daemon once the cluster exists, before the image step
  const k3dVersion = JSON.parse(execFileSync('k3d', ['version', '-o', 'json'], { encoding: 'utf8' })).k3d.replace(/^v/, '')
  const present = `ghcr.io/k3d-io/k3d-proxy:${k3dVersion}`
  const absent = `mc-e2e/absent-${crypto.randomBytes(3).toString('hex')}`
  await fs.writeJson(path.join(repo, 'multi-cluster.config.json'), { images: [present, absent] })
  const run = (script: string, args: string[]) => spawnSync(path.join(ROOT, 'scripts', script), args, { cwd: repo, env, encoding: 'utf8' })
  const up = run('dev-up-multi.ts', ['--json'])
  assert.equal(up.status, 0, up.stderr)
  const result = JSON.parse(up.stdout)
  try {
    assert.match(up.stderr, new RegExp(`1 configured image\\(s\\) not found locally, not imported: ${absent} — `))
    assert.match(up.stderr, /Importing 1 image\(s\)/)
    const crictl = spawnSync('docker', ['exec', `k3d-${result.name}-server-0`, 'crictl', 'images', '-o', 'json'], { env, encoding: 'utf8' })
    assert.equal(crictl.status, 0, crictl.stderr)
    assert.ok(crictl.stdout.includes('k3d-proxy'), 'the present image is in the cluster')
    const nodes = spawnSync('kubectl', ['--kubeconfig', result.kubeconfig, 'get', 'nodes', '-o', 'name'], { env, encoding: 'utf8' })
    assert.equal(nodes.status, 0, nodes.stderr)
    assert.equal(nodes.stdout.trim().split('\n').length, 3)
    const list = run('cluster-manager.ts', ['list', '--json'])
    assert.ok(JSON.parse(list.stdout).some((c: { name: string; status: string }) => c.name === result.name && c.status === 'running'))
    assert.equal(run('cluster-manager.ts', ['switch', result.name, '--shell']).status, 0)
  } finally {
    const del = run('cluster-manager.ts', ['delete', result.name, '--yes'])
    assert.equal(del.status, 0, del.stderr)
    // k3d delete rewrites "the default kubeconfig": the product points it at the cluster's own file
    assert.equal(await fs.readFile(userKubeconfig, 'utf8'), mine)
    await fs.rm(home, { recursive: true, force: true })
  }
})
