import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { fs, YAML } from 'zx'
import { clusterOfContext, currentContext, currentServer, rewriteKubeconfig, writeKubeconfig } from '../lib/kubeconfig.ts'
import { OperationError } from '../lib/errors.ts'
import { tempDirs } from './helpers/sandbox.ts'

const tmp = tempDirs('kcfg-')

const k3dOutput = (host: string, name = 'demo') => `---
apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tQ0E=
    server: https://${host}:6507
  name: k3d-${name}
contexts:
- context:
    cluster: k3d-${name}
    user: admin@k3d-${name}
  name: k3d-${name}
current-context: k3d-${name}
kind: Config
preferences: {}
users:
- name: admin@k3d-${name}
  user:
    client-certificate-data: LS0tQ0VSVA==
    client-key-data: LS0tS0VZ
`

for (const host of ['0.0.0.0', '127.0.0.1', 'host.docker.internal', 'localhost']) {
  test(`server on ${host} is rewritten to https://localhost:API_PORT`, () => {
    const out = rewriteKubeconfig(k3dOutput(host), 'demo', 6600)
    const doc = YAML.parse(out)
    assert.equal(doc.clusters[0].cluster.server, 'https://localhost:6600')
    assert.equal(doc['current-context'], 'k3d-demo')
    assert.equal(doc.users[0].user['client-key-data'], 'LS0tS0VZ', 'credentials kept')
    assert.equal(currentServer(out), 'https://localhost:6600')
  })
}

test('a server elsewhere is left alone; a kubeconfig without our context is an error', () => {
  const out = rewriteKubeconfig(k3dOutput('10.1.2.3'), 'demo', 6600)
  assert.equal(YAML.parse(out).clusters[0].cluster.server, 'https://10.1.2.3:6507')
  assert.throws(() => rewriteKubeconfig(k3dOutput('0.0.0.0', 'other'), 'demo', 6600), OperationError)
  assert.throws(() => rewriteKubeconfig(': : :\n  - [', 'demo', 6600), OperationError)
})

test('current-context helpers', () => {
  assert.equal(currentContext(k3dOutput('0.0.0.0')), 'k3d-demo')
  assert.equal(currentContext('kind: Config\n'), null)
  assert.equal(currentContext('{{{'), null)
  assert.equal(clusterOfContext('k3d-demo'), 'demo')
  assert.equal(clusterOfContext('kind-x'), null)
  assert.equal(clusterOfContext(null), null)
})

test('writeKubeconfig writes 0600 atomically in a 0700 directory', async () => {
  const dir = path.join(await tmp(), 'threads-agent')
  const file = path.join(dir, 'config-demo')
  await writeKubeconfig(file, 'a')
  await writeKubeconfig(file, 'b')
  assert.equal(await fs.readFile(file, 'utf8'), 'b')
  assert.equal((await fs.stat(file)).mode & 0o777, 0o600)
  assert.equal((await fs.stat(dir)).mode & 0o777, 0o700)
  assert.deepEqual(await fs.readdir(dir), ['config-demo'])
})
