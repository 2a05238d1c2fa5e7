// Opt-in end-to-end suite against real Docker and k3d: `npm run test:k3d`.
// It is not part of `npm test` (file name *.k3d.ts), creates one real cluster with a random
// name and deletes it again.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import os from 'node:os'
import path from 'node:path'
import crypto from 'node:crypto'
import { execFileSync, spawnSync } from 'node:child_process'
import { fs } from 'zx'

const ROOT = path.resolve(import.meta.dirname, '..', '..')

function missing(): string | null {
  const k3d = spawnSync('k3d', ['version'], { encoding: 'utf8' })
  if (k3d.error || k3d.status !== 0) return 'k3d is not installed on this machine'
  const docker = spawnSync('docker', ['info'], { encoding: 'utf8' })
  if (docker.error || docker.status !== 0) return 'no Docker daemon is reachable on this machine'
  return null
}

const reason = missing()
const skip = reason ? `${reason}; this suite needs real k3d and Docker (npm test covers the same flows with the simulator)` : false

test('real k3d: bootstrap, reach the API, list, switch, delete', { skip, timeout: 600_000 }, async () => {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'mc-e2e-home-'))
  const repo = path.join(home, `mc-e2e-${crypto.randomBytes(3).toString('hex')}`)
  await fs.mkdir(repo)
  const env = { ...process.env, HOME: home, KUBECONFIG: undefined, GIT_CONFIG_GLOBAL: path.join(home, '.gitconfig') }
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, env })
  git('init', '-q')
  git('config', 'user.name', 'E2E Test')
  git('config', 'user.email', 'e2e@example.com')
  const run = (script: string, args: string[]) => spawnSync(path.join(ROOT, 'scripts', script), args, { cwd: repo, env, encoding: 'utf8' })
  const up = run('dev-up-multi.ts', ['--json'])
  assert.equal(up.status, 0, up.stderr)
  const result = JSON.parse(up.stdout)
  try {
    const nodes = spawnSync('kubectl', ['--kubeconfig', result.kubeconfig, 'get', 'nodes', '-o', 'name'], { env, encoding: 'utf8' })
    assert.equal(nodes.status, 0, nodes.stderr)
    assert.equal(nodes.stdout.trim().split('\n').length, 3)
    const list = run('cluster-manager.ts', ['list', '--json'])
    assert.ok(JSON.parse(list.stdout).some((c: { name: string; status: string }) => c.name === result.name && c.status === 'running'))
    assert.equal(run('cluster-manager.ts', ['switch', result.name, '--shell']).status, 0)
  } finally {
    const del = run('cluster-manager.ts', ['delete', result.name, '--yes'])
    assert.equal(del.status, 0, del.stderr)
    await fs.rm(home, { recursive: true, force: true })
  }
})
