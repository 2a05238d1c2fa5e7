// The k3d config document (lib/k3dconfig.ts): built as data, the same cluster as the flags, the
// project's "k3d" object merged in and checked, and the k3d version that reads it from stdin.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as YAML from 'yaml'
import {
  clusterDocument, configArgs, documentFlags, documentYaml, joinNodeFilters, k3dOverrideProblems, mergeDocument,
  readsConfigFromStdin, splitNodeFilters, NoFlagForKey,
} from '../lib/k3dconfig.ts'
import type { ClusterSpec } from '../lib/k3dconfig.ts'

const spec: ClusterSpec = {
  name: 'threads-agent-vitalii-se-c18b4c',
  servers: 1,
  agents: 2,
  lbPort: 8142,
  apiPort: 6507,
  bindAddress: '127.0.0.1',
  k3sArgs: ['--tls-san=localhost@server:*', '--disable=traefik@server:*'],
}

test('the document: name, nodes, loopback ports, k3s args, and ~/.kube/config left alone', () => {
  const doc = clusterDocument(spec)
  assert.deepEqual(doc, {
    apiVersion: 'k3d.io/v1alpha5',
    kind: 'Simple',
    metadata: { name: spec.name },
    servers: 1,
    agents: 2,
    kubeAPI: { hostIP: '127.0.0.1', hostPort: '6507' },
    ports: [{ port: '127.0.0.1:8142:80', nodeFilters: ['loadbalancer'] }],
    options: {
      k3d: { wait: true },
      k3s: { extraArgs: [{ arg: '--tls-san=localhost', nodeFilters: ['server:*'] }, { arg: '--disable=traefik', nodeFilters: ['server:*'] }] },
      kubeconfig: { updateDefaultKubeconfig: false, switchCurrentContext: false },
    },
  })
  // YAML that reads back to the same data, the port as the string k3d's schema wants
  const text = documentYaml(doc)
  assert.deepEqual(YAML.parse(text), doc)
  assert.match(text, /^ {2}hostPort: "6507"$/m)
  assert.match(text, /^apiVersion: k3d\.io\/v1alpha5\nkind: Simple\n/)
})

test('the flags create the same cluster as the document (the old command line, now loopback)', () => {
  assert.deepEqual(documentFlags(clusterDocument(spec)), [
    'cluster', 'create', spec.name, '--servers', '1', '--agents', '2',
    '-p', '127.0.0.1:8142:80@loadbalancer', '--api-port', '127.0.0.1:6507',
    '--k3s-arg', '--tls-san=localhost@server:*', '--k3s-arg', '--disable=traefik@server:*',
    '--wait', '--kubeconfig-update-default=false',
  ])
  const shared = documentFlags(clusterDocument({ ...spec, bindAddress: '0.0.0.0' }))
  assert.ok(shared.includes('0.0.0.0:8142:80@loadbalancer') && shared.includes('0.0.0.0:6507'))
  assert.deepEqual(configArgs(spec.name), ['cluster', 'create', spec.name, '--config', '-'])
})

test('memory, the shared registry and the project\'s k3d keys reach both forms', () => {
  const doc = clusterDocument({
    ...spec,
    memory: { servers: '1g', agents: '512m' },
    registry: { use: 'k3d-threads-agent-registry:5000' },
    extra: { volumes: [{ volume: '/data:/data', nodeFilters: ['agent:*'] }], options: { k3s: { extraArgs: [{ arg: '--debug', nodeFilters: ['server:0'] }] }, k3d: { timeout: '120s' } } },
  })
  assert.deepEqual(doc.options.runtime, { serversMemory: '1g', agentsMemory: '512m' })
  assert.deepEqual(doc.registries, { use: ['k3d-threads-agent-registry:5000'] })
  // lists appended after ours, objects merged key by key
  assert.deepEqual(doc.options.k3s.extraArgs.map((a) => a.arg), ['--tls-san=localhost', '--disable=traefik', '--debug'])
  assert.equal(doc.options.k3d.wait, true)
  const flags = documentFlags(doc)
  for (const [flag, value] of [['--servers-memory', '1g'], ['--agents-memory', '512m'], ['--registry-use', 'k3d-threads-agent-registry:5000'], ['-v', '/data:/data@agent:*'], ['--k3s-arg', '--debug@server:0'], ['--timeout', '120s']]) {
    const at = flags.findIndex((f, i) => f === flag && flags[i + 1] === value)
    assert.ok(at >= 0, `${flag} ${value} in ${flags.join(' ')}`)
  }
  // what no flag of an old k3d can say is said before anything runs
  assert.throws(() => documentFlags(clusterDocument({ ...spec, extra: { files: [{ source: 'a', destination: '/b' }] } })), NoFlagForKey)
})

test('node filters split and join as k3d does, with \\@ for a literal @', () => {
  assert.deepEqual(splitNodeFilters('--tls-san=localhost@server:*'), { value: '--tls-san=localhost', nodeFilters: ['server:*'] })
  assert.deepEqual(splitNodeFilters('--a@server:0;agent:*'), { value: '--a', nodeFilters: ['server:0', 'agent:*'] })
  assert.deepEqual(splitNodeFilters('--no-filter'), { value: '--no-filter', nodeFilters: [] })
  assert.deepEqual(splitNodeFilters('me\\@host@server:0'), { value: 'me@host', nodeFilters: ['server:0'] })
  assert.throws(() => splitNodeFilters('a@b@c'), /only one unescaped '@'/)
  assert.throws(() => splitNodeFilters('a@'), /not followed by a node filter/)
  assert.equal(joinNodeFilters('me@host', ['server:0']), 'me\\@host@server:0')
  assert.deepEqual(splitNodeFilters(joinNodeFilters('me@host', ['server:0'])), { value: 'me@host', nodeFilters: ['server:0'] })
})

test('mergeDocument: objects key by key, lists appended, scalars replaced, the base untouched', () => {
  const base = { a: { b: 1, c: [1] }, d: 'x' }
  assert.deepEqual(mergeDocument(base, { a: { c: [2], e: true }, d: 'y' }), { a: { b: 1, c: [1, 2], e: true }, d: 'y' })
  assert.deepEqual(base, { a: { b: 1, c: [1] }, d: 'x' })
})

test('the project\'s "k3d" object: k3d\'s keys only, and never what this tool manages', () => {
  assert.deepEqual(k3dOverrideProblems({ volumes: [], options: { k3s: { nodeLabels: [] }, runtime: { gpuRequest: 'all' } }, registries: { config: 'x' } }), [])
  assert.deepEqual(k3dOverrideProblems('volumes'), ['k3d: expected an object of k3d config keys (k3d.io/v1alpha5 Simple)'])
  const unknown = k3dOverrideProblems({ volume: [], options: { k3s: { extraArg: [] }, nope: {} } })
  assert.equal(unknown.length, 3)
  assert.match(unknown[0]!, /^k3d\.volume: not a key of k3d's config/)
  assert.match(unknown.join('\n'), /k3d\.options\.nope: not a key/)
  assert.match(unknown.join('\n'), /k3d\.options\.k3s\.extraArg: not a key/)
  const managed = k3dOverrideProblems({ metadata: { name: 'x' }, ports: [], kubeAPI: {}, options: { kubeconfig: { updateDefaultKubeconfig: true }, runtime: { serversMemory: '1g' } }, registries: { use: ['r'] } })
  for (const key of ['metadata', 'ports', 'kubeAPI', 'options.kubeconfig', 'options.runtime.serversMemory', 'registries.use']) {
    assert.ok(managed.some((p) => p.startsWith(`k3d.${key}: set by this tool`)), `${key} in ${managed.join('\n')}`)
  }
})

test('k3d reads a v1alpha5 document from stdin from v5.5.0 on', () => {
  for (const v of ['v5.5.0', 'v5.8.3', '5.9.0', 'v6.0.0', 'v5.10.1']) assert.equal(readsConfigFromStdin(v), true, v)
  for (const v of ['v5.4.9', 'v5.4.5', 'v4.4.8', 'v5.0.0', 'garbage']) assert.equal(readsConfigFromStdin(v), false, v)
})
