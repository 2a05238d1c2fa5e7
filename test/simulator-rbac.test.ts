// The simulator's service accounts, tokens and RBAC: what `cluster-manager credentials` drives,
// pinned to kubectl's and the API server's texts (test/fixtures/real/kubectl.json).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { YAML } from 'zx'
import { sandboxFor, type RunResult, type Sandbox, ok, freePorts } from './helpers/sandbox.ts'
import { fill, kubectlText } from './fixtures/real/recorded.ts'



function failedWith(r: RunResult, text: string): void {
  assert.equal(r.code, 1, `expected exit 1, got ${r.code}:\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
  assert.equal(r.stderr, `${text}\n`)
}

/** A running cluster and an admin kubeconfig for it (what the product writes). */
async function cluster(sb: Sandbox, name: string): Promise<{ admin: (...args: string[]) => Promise<RunResult>; adminFile: string; server: string; ca: string }> {
  const [lb, api] = await freePorts(2)
  ok(await sb.run('k3d', ['cluster', 'create', name, '-p', `${lb}:80@loadbalancer`, '--api-port', String(api), '--kubeconfig-update-default=false']))
  const raw = ok(await sb.run('k3d', ['kubeconfig', 'get', name])).stdout.replace(/server: https:\/\/[^:]+:/, 'server: https://localhost:')
  const adminFile = path.join(sb.root, `${name}.yaml`)
  await writeFile(adminFile, raw, { mode: 0o600 })
  const doc = YAML.parse(raw.replace(/^---\n/, '')) as { clusters: Array<{ cluster: { server: string; 'certificate-authority-data': string } }> }
  return {
    admin: (...args) => sb.run('kubectl', ['--kubeconfig', adminFile, ...args]),
    adminFile,
    server: doc.clusters[0]!.cluster.server,
    ca: doc.clusters[0]!.cluster['certificate-authority-data'],
  }
}

/** A kubeconfig whose user is TOKEN, its context defaulting to NAMESPACE. */
async function tokenKubeconfig(sb: Sandbox, file: string, server: string, ca: string, token: string, namespace: string): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true })
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server, 'certificate-authority-data': ca } }],
    users: [{ name: 'agent', user: { token } }],
    contexts: [{ name: 'c', context: { cluster: 'c', user: 'agent', namespace } }],
    'current-context': 'c',
  }
  await writeFile(file, YAML.stringify(doc), { mode: 0o600 })
  return file
}

test('create serviceaccount / rolebinding: the dry-run YAML is kubectl\'s, and apply of it is idempotent', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const sa = ok(await sb.run('kubectl', ['create', 'serviceaccount', 'agent', '-n', 'team', '--dry-run=client', '-o', 'yaml']))
  assert.equal(sa.stdout, fill(kubectlText('sa-dry-run'), { name: 'agent', namespace: 'team' }))
  const rb = ok(await sb.run('kubectl', ['create', 'rolebinding', 'agent-edit', '--clusterrole=edit', '--serviceaccount=team:agent', '-n', 'team', '--dry-run=client', '-o', 'yaml']))
  assert.equal(rb.stdout, fill(kubectlText('rolebinding-dry-run'), { name: 'agent-edit', namespace: 'team', role: 'edit', sa: 'agent' }))
  assert.match((await sb.run('kubectl', ['create', 'rolebinding', 'x', '--serviceaccount=team:agent', '--dry-run=client', '-o', 'yaml'])).stderr, /exactly one of clusterrole or role must be specified/)
  assert.match((await sb.run('kubectl', ['create', 'rolebinding', 'x', '--clusterrole=view', '--serviceaccount=agent', '--dry-run=client', '-o', 'yaml'])).stderr, /serviceaccount must be <namespace>:<name>/)

  const { admin, adminFile } = await cluster(sb, 'rb')
  const ns = ok(await sb.run('kubectl', ['create', 'namespace', 'team', '--dry-run=client', '-o', 'yaml'])).stdout
  const apply = (text: string) => sb.run('kubectl', ['--kubeconfig', adminFile, 'apply', '-f', '-'], { input: text })
  assert.equal(ok(await apply(ns)).stdout, 'namespace/team created\n')
  assert.equal(ok(await apply(sa.stdout)).stdout, 'serviceaccount/agent created\n')
  assert.equal(ok(await apply(rb.stdout)).stdout, `${fill(kubectlText('rolebinding-created'), { name: 'agent-edit' })}\n`)
  assert.equal(ok(await apply(rb.stdout)).stdout, 'rolebinding.rbac.authorization.k8s.io/agent-edit unchanged\n')
  const listed = ok(await admin('get', 'rolebindings', '-n', 'team'))
  assert.match(listed.stdout, /^NAME\s+ROLE\s+AGE\nagent-edit\s+ClusterRole\/edit\s+\S+\n$/)
  assert.match(ok(await admin('get', 'sa', '-n', 'team', '-o', 'name')).stdout, /^serviceaccount\/agent\nserviceaccount\/default\n$/)
  // create (not apply) refuses what exists, as kubectl does
  assert.match((await admin('create', 'serviceaccount', 'agent', '-n', 'team')).stderr, /error: failed to create serviceaccount: serviceaccounts "agent" already exists/)
  assert.equal(ok(await admin('create', 'serviceaccount', 'other', '-n', 'team')).stdout, 'serviceaccount/other created\n')
})

test('create token: a JWT for the service account, duration rules, no newline off a terminal', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const { admin } = await cluster(sb, 'tok')
  ok(await admin('create', 'namespace', 'team'))
  ok(await admin('create', 'serviceaccount', 'agent', '-n', 'team'))
  const r = ok(await admin('create', 'token', 'agent', '-n', 'team', '--duration', '24h'))
  assert.doesNotMatch(r.stdout, /\n/, kubectlText('token-no-newline'))
  const [, payload] = r.stdout.split('.')
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as { sub: string; exp: number; iat: number }
  assert.equal(claims.sub, 'system:serviceaccount:team:agent')
  assert.equal(claims.exp - claims.iat, 24 * 3600)
  failedWith(await admin('create', 'token', 'agent', '-n', 'team', '--duration', '1m'), fill(kubectlText('token-duration-too-short'), { seconds: 60 }))
  failedWith(await admin('create', 'token', 'agent', '-n', 'team', '--duration', '1500ms'), kubectlText('token-subsecond'))
  failedWith(await admin('create', 'token', 'ghost', '-n', 'team'), fill(kubectlText('token-sa-missing'), { name: 'ghost' }))
  assert.match((await admin('create', 'token', 'agent', '-n', 'team', '--duration', 'soon')).stderr, /invalid argument "soon" for "--duration" flag/)
})

test('RBAC: an edit binding reaches its namespace only; view only reads; bad or stale tokens are Unauthorized', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const { admin, server, ca } = await cluster(sb, 'rbac')
  for (const ns of ['agent-1', 'agent-2']) {
    ok(await admin('create', 'namespace', ns))
    ok(await admin('create', 'serviceaccount', 'bot', '-n', ns))
  }
  ok(await admin('create', 'rolebinding', 'bot-edit', '--clusterrole=edit', '--serviceaccount=agent-1:bot', '-n', 'agent-1'))
  ok(await admin('create', 'rolebinding', 'bot-view', '--clusterrole=view', '--serviceaccount=agent-2:bot', '-n', 'agent-2'))
  const token1 = ok(await admin('create', 'token', 'bot', '-n', 'agent-1')).stdout
  const token2 = ok(await admin('create', 'token', 'bot', '-n', 'agent-2')).stdout
  const kc1 = await tokenKubeconfig(sb, path.join(sb.root, 'one.yaml'), server, ca, token1, 'agent-1')
  const kc2 = await tokenKubeconfig(sb, path.join(sb.root, 'two.yaml'), server, ca, token2, 'agent-2')
  const one = (...args: string[]) => sb.run('kubectl', ['--kubeconfig', kc1, ...args])
  const two = (...args: string[]) => sb.run('kubectl', ['--kubeconfig', kc2, ...args])
  const user1 = 'system:serviceaccount:agent-1:bot'

  // its own namespace (the context's default): read and write
  assert.match(ok(await one('get', 'pods')).stderr, /No resources found in agent-1 namespace\./)
  assert.equal(ok(await one('create', 'configmap', 'notes', '--from-literal=a=b')).stdout, 'configmap/notes created\n')
  const cm = YAML.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'notes' }, data: { a: 'c' } })
  assert.equal(ok(await sb.run('kubectl', ['--kubeconfig', kc1, 'apply', '-f', '-'], { input: cm })).stdout, 'configmap/notes configured\n')
  assert.match(ok(await one('get', 'namespace', 'agent-1')).stdout, /^NAME\s+STATUS\s+AGE\nagent-1\s+Active/)
  ok(await one('get', '--raw=/readyz'))
  // another namespace, the cluster scope, RBAC itself: the API server's words
  failedWith(await one('get', 'pods', '-n', 'agent-2'), fill(kubectlText('forbidden-list-namespaced'), { resource: 'pods', user: user1, namespace: 'agent-2' }))
  failedWith(await one('get', 'nodes'), fill(kubectlText('forbidden-list-cluster'), { resource: 'nodes', user: user1 }))
  failedWith(await one('get', 'namespaces'), fill(kubectlText('forbidden-list-cluster'), { resource: 'namespaces', user: user1 }))
  failedWith(await one('get', 'configmap', 'kube-root-ca.crt', '-n', 'kube-system'), fill(kubectlText('forbidden-get-named'), { resource: 'configmaps', name: 'kube-root-ca.crt', user: user1, namespace: 'kube-system' }))
  const elsewhere = YAML.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'agent-2' }, data: { a: 'b' } })
  failedWith(await sb.run('kubectl', ['--kubeconfig', kc1, 'apply', '-f', '-'], { input: elsewhere }), fill(kubectlText('apply-retrieving-forbidden'), { resource: 'configmaps', kind: 'ConfigMap', name: 'x', namespace: 'agent-2', user: user1 }))
  assert.match((await one('delete', 'namespace', 'agent-1')).stderr, /namespaces "agent-1" is forbidden: User "system:serviceaccount:agent-1:bot" cannot delete resource "namespaces" in API group "" at the cluster scope/)
  assert.match((await one('create', 'rolebinding', 'more', '--clusterrole=admin', '--serviceaccount=agent-1:bot')).stderr, /cannot create resource "rolebindings" in API group "rbac.authorization.k8s.io" in the namespace "agent-1"/)
  assert.match((await one('label', 'nodes', '--all', 'a=b')).stderr, /nodes is forbidden: .* cannot list resource "nodes" in API group "" at the cluster scope/)

  // view: reads its namespace, writes nothing
  assert.match(ok(await two('get', 'configmaps')).stdout, /kube-root-ca\.crt/)
  assert.match((await two('create', 'configmap', 'nope', '--from-literal=a=b')).stderr, /^error: failed to create configmap: configmaps is forbidden: User "system:serviceaccount:agent-2:bot" cannot create resource "configmaps" in API group "" in the namespace "agent-2"\n$/)

  // tokens: tampered, of a deleted service account, or none at all
  failedWith(await sb.run('kubectl', ['--kubeconfig', kc1, '--token', `${token1.slice(0, -2)}xx`, 'get', 'pods']), kubectlText('unauthorized'))
  ok(await admin('delete', 'serviceaccount', 'bot', '-n', 'agent-2'))
  failedWith(await two('get', 'configmaps'), kubectlText('unauthorized'))
  const anonymous = await tokenKubeconfig(sb, path.join(sb.root, 'anon.yaml'), server, ca, '', 'default')
  failedWith(await sb.run('kubectl', ['--kubeconfig', anonymous, 'get', 'pods']), kubectlText('unauthorized'))
  // the admin (k3d's client certificate) is untouched by all this
  assert.match(ok(await admin('get', 'configmaps', '-n', 'agent-1')).stdout, /notes/)
})
