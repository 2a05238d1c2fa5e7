// cluster-manager's commands in this process with a fake runner (test/helpers/fakerunner.ts): the
// branches that need no real process, each in milliseconds. The end-to-end tests run every
// command through its entry point and the simulator; these cover what k3d may answer.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import fs from 'fs-extra'
import { FakeRunner, k3dList, manager } from './helpers/fakerunner.ts'
import { tempDirs } from './helpers/sandbox.ts'
import { Registry } from '../lib/registry.ts'
import type { ClusterMeta } from '../lib/registry.ts'
import { paths } from '../lib/paths.ts'

const tmp = tempDirs('inproc-')
const K3D_VERSION = 'k3d version v5.8.3\nk3s version v1.31.5-k3s1 (default)\n'

function meta(name: string, lb: number, api: number, home: string): ClusterMeta {
  return {
    name,
    repository: 'threads-agent',
    developer: 'Alice Smith',
    email: 'alice@example.com',
    lb_port: lb,
    api_port: api,
    kubeconfig: path.join(home, '.kube', 'threads-agent', `config-${name}`),
    created_at: '2026-11-27T10:00:00Z',
    k3d_version: 'v5.8.3',
    shared: false,
  }
}

async function home(...metas: Array<[string, number, number]>): Promise<string> {
  const h = await tmp()
  const registry = new Registry(paths(h).metaDir)
  for (const [name, lb, api] of metas) await registry.write(meta(name, lb, api, h))
  return h
}

test('list --json: k3d and the metadata joined; a cluster without metadata is unmanaged, metadata without a cluster is missing', async () => {
  const h = await home(['alpha', 8101, 6501], ['ghost', 8102, 6502])
  const runner = new FakeRunner().on(['k3d', 'cluster', 'list'], { stdout: k3dList([{ name: 'alpha', lb: 8101, api: 6501 }, { name: 'stranger', lb: 8103, api: 6503, running: false }]) })
  const r = await manager(['list', '--json'], { home: h, runner, cwd: h })
  assert.equal(r.code, 0, r.stderr)
  const views = JSON.parse(r.stdout) as Array<{ name: string; status: string; managed: boolean }>
  assert.deepEqual(views.map((v) => [v.name, v.status]), [['alpha', 'running'], ['ghost', 'missing'], ['stranger', 'stopped']])
  assert.deepEqual(r.calls, ['k3d cluster list -o json'], 'list asks k3d once')
})

test('list with k3d down: one line naming the cause, exit 1, nothing on stdout', async () => {
  const h = await home(['alpha', 8101, 6501])
  const runner = new FakeRunner().on(['k3d', 'cluster', 'list'], { code: 1, stderr: 'FATA[0000] runtime failed to list nodes: docker failed to get containers with labels \'map[app:k3d]\': failed to list containers: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n' })
  const r = await manager(['list'], { home: h, runner, cwd: h })
  assert.equal(r.code, 1)
  assert.equal(r.stdout, '')
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
  assert.match(r.stderr, /^✗ .*Docker/)
})

test('current reads files only: no tool is called, with or without a cluster', async () => {
  const runner = new FakeRunner()
  const empty = await home()
  const none = await manager(['current', '--name'], { home: empty, runner, cwd: empty })
  assert.equal(none.code, 1)
  assert.equal(none.stdout, '')
  const h = await home(['alpha', 8101, 6501])
  const kubeconfig = path.join(h, '.kube', 'threads-agent', 'config-alpha')
  await fs.outputFile(kubeconfig, 'apiVersion: v1\nkind: Config\ncurrent-context: k3d-alpha\ncontexts:\n- name: k3d-alpha\n  context: {cluster: k3d-alpha, user: admin@k3d-alpha}\n')
  const r = await manager(['current', '--name'], { home: h, runner, cwd: h, env: { KUBECONFIG: kubeconfig } })
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stdout, 'alpha\n')
  assert.deepEqual(runner.calls, [])
})

test('info of a name nobody knows: exit 1 naming the known clusters; a bad name is exit 2 before any call', async () => {
  const h = await home(['alpha', 8101, 6501])
  const runner = new FakeRunner().on(['k3d', 'cluster', 'list'], { stdout: k3dList([{ name: 'alpha', lb: 8101, api: 6501 }]) })
  const r = await manager(['info', 'nope'], { home: h, runner, cwd: h })
  assert.equal(r.code, 1)
  assert.match(r.stderr, /nope/)
  assert.match(r.stderr, /alpha/)
  const bad = await manager(['info', 'Bad_Name'], { home: h, runner: new FakeRunner() })
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /^✗ invalid cluster name: name "Bad_Name" is not a valid hostname as per RFC 1123/)
})

test('start: every recorded port-conflict wording (Docker 20.10, 28, Desktop...) names the port that blocks it', async () => {
  // Replayed verbatim from test/fixtures/real/engines.json (public reports of each engine).
  const { forms } = JSON.parse(await fs.readFile(path.join(import.meta.dirname, 'fixtures', 'real', 'engines.json'), 'utf8')) as { forms: Array<{ id: string; port: number | null; text: string }> }
  const withPort = forms.filter((f) => f.port !== null)
  assert.ok(withPort.length >= 4, 'the recorded forms are there')
  for (const form of withPort) {
    const lb = form.port!
    const h = await home(['alpha', lb, 6501])
    const runner = new FakeRunner()
      .on(['k3d', 'cluster', 'list'], { stdout: k3dList([{ name: 'alpha', lb, api: 6501, running: false }]) })
      .on(['k3d', 'version'], { stdout: K3D_VERSION })
      .on(['k3d', 'cluster', 'start'], { code: 1, stderr: `ERRO[0001] Failed to start cluster 'alpha'\nERRO[0001] ${form.text}\n` })
    const r = await manager(['start', 'alpha'], { home: h, runner, cwd: h })
    assert.equal(r.code, 1, `${form.id}: ${r.stderr}`)
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('✗'))
    assert.equal(errors.length, 1, `${form.id}: ${r.stderr}`)
    assert.match(errors[0]!, new RegExp(`port ${lb} is held by another program \\(see: lsof -i :${lb}\\)`), `${form.id}: the port is not named: ${r.stderr}`)
  }
})

test('a call nobody scripted fails the command instead of passing unnoticed', async () => {
  const empty = await home()
  const r = await manager(['list'], { home: empty, runner: new FakeRunner(), cwd: empty })
  assert.equal(r.code, 1)
  assert.deepEqual(r.calls, ['k3d cluster list -o json'])
})
