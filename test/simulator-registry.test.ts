// The simulator's registry, config-file, memory, docker tag/push and network behaviour, pinned to
// k3d's source (test/fixtures/real/k3d-v5.json) and to what a real daemon and registry answered
// (test/fixtures/real/docker-20.10.json, recorded by the real-docker tier).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { sandboxFor, type RunResult, type Sandbox, ok, freePorts } from './helpers/sandbox.ts'
import { fill, k3dText } from './fixtures/real/recorded.ts'
import { clusterDocument, configArgs, documentFlags, documentYaml } from '../lib/k3dconfig.ts'
import type { ClusterSpec } from '../lib/k3dconfig.ts'



function failed(r: RunResult, ...needles: string[]): RunResult {
  assert.equal(r.code, 1, `expected exit 1, got ${r.code}:\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
  for (const n of needles) assert.ok(r.stderr.includes(n), `stderr lacks ${JSON.stringify(n)}:\n${r.stderr}`)
  return r
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
const line = (id: string, values: Record<string, string | number> = {}) => {
  const k = k3dText(id)
  return new RegExp(`^${k.level}\\[\\d{4}\\] ${escape(fill(k.text, values))}$`, 'm')
}

interface Node {
  name: string
  role: string
  Memory: string
  portMappings?: Record<string, Array<{ HostIp: string; HostPort: string }>>
  serverOpts?: { kubeAPI?: { Binding: { HostIp: string; HostPort: string }; host: string } | null }
  extraArgs?: string[] | null
  Networks?: string[]
  State: { Running: boolean; Status: string }
}

const clusters = async (sb: Sandbox) => JSON.parse(ok(await sb.run('k3d', ['cluster', 'list', '-o', 'json'])).stdout) as Array<{ name: string; nodes: Node[] }>
const registries = async (sb: Sandbox) => JSON.parse(ok(await sb.run('k3d', ['registry', 'list', '-o', 'json'])).stdout) as Node[]

async function getJson(port: number, path: string): Promise<{ status: number; body: unknown; digest: string | null }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`)
  return { status: res.status, body: await res.json(), digest: res.headers.get('docker-content-digest') }
}

test('k3d registry create, list and delete: one node k3d-NAME on its port, answering the registry API until deleted', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const [port] = await freePorts(1)
  const created = ok(await sb.run('k3d', ['registry', 'create', 'threads-agent-registry', '--port', `127.0.0.1:${port}`]))
  for (const id of ['registry-creating', 'registry-created', 'registry-starting']) assert.match(created.stdout, line(id, { node: 'k3d-threads-agent-registry' }))
  assert.ok(created.stdout.includes(fill(k3dText('registry-help').text, { ref: `k3d-threads-agent-registry:${port}` })), created.stdout)
  const [reg] = await registries(sb)
  assert.equal(reg!.name, 'k3d-threads-agent-registry')
  assert.equal(reg!.role, 'registry')
  assert.deepEqual(reg!.portMappings, { '5000/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] })
  assert.deepEqual(reg!.Networks, ['bridge'])
  assert.deepEqual(reg!.State, { ...reg!.State, Running: true, Status: 'running' })
  assert.deepEqual((await getJson(port!, '/v2/')).body, {})
  assert.deepEqual((await getJson(port!, '/v2/_catalog')).body, { repositories: [] })
  // the name with or without k3d-, as k3d matches it
  assert.equal(JSON.parse(ok(await sb.run('k3d', ['registry', 'list', 'threads-agent-registry', '-o', 'json'])).stdout).length, 1)
  assert.match(failed(await sb.run('k3d', ['registry', 'create', 'threads-agent-registry', '--port', `127.0.0.1:${port}`])).stderr, line('registry-exists'))
  assert.match(failed(await sb.run('k3d', ['registry', 'list', 'ghost'])).stderr, line('registry-missing', { name: 'ghost' }))
  ok(await sb.run('k3d', ['registry', 'delete', 'k3d-threads-agent-registry']))
  assert.deepEqual(await registries(sb), [])
  assert.match(failed(await sb.run('k3d', ['registry', 'delete', 'k3d-threads-agent-registry'])).stderr, line('registry-missing', { name: 'k3d-threads-agent-registry' }))
  assert.match(ok(await sb.run('k3d', ['registry', 'delete', '--all'])).stdout, line('registry-none'))
  // its port is given back once its HTTP side has gone
  for (let i = 0; i < 40; i++) {
    const free = await new Promise<boolean>((resolve) => {
      const s = net.createServer().once('error', () => resolve(false)).listen(port, '127.0.0.1', () => s.close(() => resolve(true)))
    })
    if (free) return
    await new Promise((r) => setTimeout(r, 100))
  }
  assert.fail(`port ${port} still held after the registry was deleted`)
})

test('a registry port held by a cluster or a process: the start fails and the created node stays, as k3d leaves it', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const [lb, api, held] = await freePorts(3)
  ok(await sb.run('k3d', ['cluster', 'create', 'one', '-p', `${lb}:80@loadbalancer`, '--api-port', String(api), '--kubeconfig-update-default=false']))
  const clash = failed(await sb.run('k3d', ['registry', 'create', 'reg', '--port', `127.0.0.1:${lb}`])).stderr
  assert.match(clash, /FATA\[\d{4}\] Failed to create registry: Failed to start registry: runtime failed to start node 'k3d-reg': docker failed to start container for node 'k3d-reg': Error response from daemon: driver failed programming external connectivity on endpoint k3d-reg \([0-9a-f]{64}\): Bind for 127\.0\.0\.1:\d+ failed: port is already allocated/)
  const [stuck] = await registries(sb)
  assert.deepEqual([stuck!.name, stuck!.State.Running, stuck!.State.Status], ['k3d-reg', false, 'created'])
  ok(await sb.run('k3d', ['registry', 'delete', 'reg']))
  const srv = net.createServer()
  await new Promise<void>((resolve) => srv.listen(held, '0.0.0.0', resolve))
  t.after(() => new Promise<void>((resolve) => srv.close(() => resolve())))
  failed(await sb.run('k3d', ['registry', 'create', 'reg', '--port', `127.0.0.1:${held}`]), `listen tcp4 127.0.0.1:${held}: bind: address already in use`)
})

const spec = (name: string, lb: number, api: number, extra: Partial<ClusterSpec> = {}): ClusterSpec => ({
  name, servers: 1, agents: 2, lbPort: lb, apiPort: api, bindAddress: '127.0.0.1',
  k3sArgs: ['--tls-san=localhost@server:*', '--disable=traefik@server:*'], ...extra,
})

/** A cluster as k3d lists it, without what differs between any two clusters (names, ports, ids, times). */
function shape(c: { name: string; nodes: Node[] }) {
  return c.nodes.map((n) => ({
    role: n.role,
    name: n.name.replace(c.name, 'NAME'),
    memory: n.Memory,
    args: n.extraArgs,
    bindings: Object.fromEntries(Object.entries(n.portMappings ?? {}).map(([k, v]) => [k, v.map((b) => b.HostIp)])),
    api: n.serverOpts?.kubeAPI ? [n.serverOpts.kubeAPI.Binding.HostIp, n.serverOpts.kubeAPI.host] : null,
  }))
}

test('the config document on stdin creates the same cluster as its flags, bound where it says', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const [lb1, api1, lb2, api2, rp] = await freePorts(5)
  ok(await sb.run('k3d', ['registry', 'create', 'reg', '--port', `127.0.0.1:${rp}`, '--no-help']))
  const extra = { memory: { servers: '1g', agents: '512m' }, registry: { use: `k3d-reg:${rp}` } }
  const fromFlags = documentFlags(clusterDocument(spec('by-flags', lb1!, api1!, extra)))
  ok(await sb.run('k3d', fromFlags))
  const doc = clusterDocument(spec('by-config', lb2!, api2!, extra))
  const r = ok(await sb.run('k3d', configArgs('by-config'), { input: documentYaml(doc) }))
  assert.match(r.stdout, line('config-using', { file: '-' }))
  const all = await clusters(sb)
  const a = all.find((c) => c.name === 'by-flags')
  const b = all.find((c) => c.name === 'by-config')
  assert.deepEqual(shape(b!), shape(a!))
  const lbNode = b!.nodes.find((n) => n.role === 'loadbalancer')!
  assert.deepEqual(lbNode.portMappings!['80/tcp'], [{ HostIp: '127.0.0.1', HostPort: String(lb2) }])
  assert.deepEqual(lbNode.portMappings!['6443/tcp'], [{ HostIp: '127.0.0.1', HostPort: String(api2) }])
  assert.deepEqual(b!.nodes.filter((n) => n.role !== 'loadbalancer').map((n) => n.Memory), ['1.074GB', '536.9MB', '536.9MB'])
  assert.deepEqual((await registries(sb))[0]!.Networks, ['k3d-by-flags', 'k3d-by-config', 'bridge'])
  // the positional NAME wins over metadata.name, as in k3d
  const [lb3, api3] = await freePorts(2)
  ok(await sb.run('k3d', configArgs('renamed'), { input: documentYaml(clusterDocument(spec('in-doc', lb3!, api3!))) }))
  assert.ok((await clusters(sb)).some((c) => c.name === 'renamed'))
})

test('a config k3d refuses: schema, apiVersion, memory, a registry that does not exist; $VARS expanded', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const [lb, api] = await freePorts(2)
  const base = clusterDocument(spec('bad', lb!, api!))
  const create = (doc: unknown, env: Record<string, string> = {}) => sb.run('k3d', configArgs('bad'), { input: typeof doc === 'string' ? doc : documentYaml(doc as never), env })
  assert.match(failed(await create({ ...base, volume: [] })).stderr, line('config-schema-failed', { file: '-', key: 'volume' }))
  failed(await create({ ...base, options: { ...base.options, k3d: { wait: true, nope: 1 } } }), '- options.k3d: Additional property nope is not allowed')
  failed(await create({ ...base, servers: 'one' }), '- servers: Invalid type. Expected: number, given: string')
  assert.match(failed(await create({ ...base, apiVersion: 'k3d.io/v9' })).stderr, line('config-unsupported-api', { file: '-', api: 'k3d.io/v9' }))
  const memory = failed(await create({ ...base, options: { ...base.options, runtime: { agentsMemory: 'lots' } } })).stderr
  assert.match(memory, line('create-memory-invalid', { role: 'agents', value: 'lots' }))
  const missing = failed(await create({ ...base, registries: { use: ['k3d-ghost:5000'] } })).stderr
  assert.match(missing, line('create-registry-missing', { host: 'k3d-ghost' }))
  assert.match(missing, line('create-rolled-back'))
  assert.deepEqual(await clusters(sb), [])
  ok(await create(documentYaml(base).replace(/^agents: 2$/m, 'agents: $AGENTS'), { AGENTS: '0' }))
  assert.equal((await clusters(sb))[0]!.nodes.filter((n) => n.role === 'agent').length, 0)
})

test('a cluster delete disconnects the registry and keeps it, serving the clusters left', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const ports = await freePorts(7)
  const rp = ports.pop()!
  ok(await sb.run('k3d', ['registry', 'create', 'reg', '--port', `127.0.0.1:${rp}`, '--no-help']))
  for (const [i, name] of ['a', 'b', 'c'].entries()) {
    ok(await sb.run('k3d', configArgs(name), { input: documentYaml(clusterDocument(spec(name, ports[2 * i]!, ports[2 * i + 1]!, { registry: { use: `k3d-reg:${rp}` } }))) }))
  }
  assert.deepEqual((await registries(sb))[0]!.Networks, ['k3d-a', 'k3d-b', 'k3d-c', 'bridge'])
  ok(await sb.run('k3d', ['cluster', 'delete', 'a', 'b'], { env: { KUBECONFIG: `${sb.home}/kc` } }))
  const [reg] = await registries(sb)
  assert.deepEqual([reg!.Networks, reg!.State.Running], [['k3d-c', 'bridge'], true])
  assert.deepEqual((await getJson(rp, '/v2/')).status, 200)
})

test('docker tag and push to the registry: pushed once, its digest recorded on the image, served by the registry', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const [rp] = await freePorts(1)
  await sb.run('sh', ['-c', `echo 'ghcr.io/org/app:local' > "${sb.state}/images"`])
  ok(await sb.run('k3d', ['registry', 'create', 'reg', '--port', `127.0.0.1:${rp}`, '--no-help']))
  const target = `localhost:${rp}/org/app:local`
  assert.equal(ok(await sb.run('docker', ['tag', 'ghcr.io/org/app:local', target])).stdout, '')
  const first = ok(await sb.run('docker', ['push', target])).stdout
  assert.match(first, new RegExp(`^The push refers to repository \\[localhost:${rp}/org/app\\]\\n[0-9a-f]{12}: Preparing\\n[0-9a-f]{12}: Pushed\\nlocal: digest: (sha256:[0-9a-f]{64}) size: 527\\n$`))
  const digest = /digest: (sha256:[0-9a-f]{64})/.exec(first)![1]!
  assert.match(ok(await sb.run('docker', ['push', target])).stdout, /: Layer already exists\n/)
  const [img] = JSON.parse(ok(await sb.run('docker', ['image', 'inspect', 'ghcr.io/org/app:local'])).stdout) as Array<{ RepoTags: string[]; RepoDigests: string[] }>
  assert.deepEqual(img!.RepoTags, ['ghcr.io/org/app:local', target])
  assert.deepEqual(img!.RepoDigests, [`localhost:${rp}/org/app@${digest}`])
  assert.deepEqual((await getJson(rp!, '/v2/_catalog')).body, { repositories: ['org/app'] })
  assert.deepEqual((await getJson(rp!, '/v2/org/app/tags/list')).body, { name: 'org/app', tags: ['local'] })
  assert.equal((await getJson(rp!, '/v2/org/app/manifests/local')).digest, digest)
  assert.equal((await getJson(rp!, '/v2/org/nope/tags/list')).status, 404)
  // the real daemon's words for a missing image and an unreachable registry
  failed(await sb.run('docker', ['tag', 'nosuch:1', target]), 'Error response from daemon: No such image: nosuch:1')
  failed(await sb.run('docker', ['push', `localhost:${rp}/org/nope:1`]), `An image does not exist locally with the tag: localhost:${rp}/org/nope`)
  ok(await sb.run('k3d', ['registry', 'delete', 'reg']))
  ok(await sb.run('docker', ['tag', 'ghcr.io/org/app:local', `localhost:${rp}/org/app:2`]))
  failed(await sb.run('docker', ['push', `localhost:${rp}/org/app:2`]), `Get "http://localhost:${rp}/v2/": dial tcp 127.0.0.1:${rp}: connect: connection refused`)
})

test('docker networks: one per cluster from the address pools, which run out as docker\'s do', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  // two /16 subnets: the default bridge takes one, one cluster the other
  const env = { K3D_SIM_DOCKER_INFO: JSON.stringify({ DefaultAddressPools: [{ Base: '10.10.0.0/15', Size: 16 }] }) }
  const [lb1, api1, lb2, api2] = await freePorts(4)
  ok(await sb.run('k3d', ['cluster', 'create', 'one', '-p', `${lb1}:80@loadbalancer`, '--api-port', String(api1), '--kubeconfig-update-default=false'], { env }))
  const full = failed(await sb.run('k3d', ['cluster', 'create', 'two', '-p', `${lb2}:80@loadbalancer`, '--api-port', String(api2), '--kubeconfig-update-default=false'], { env })).stderr
  assert.match(full, line('create-network-pool-exhausted', { network: 'k3d-two' }))
  const names = ok(await sb.run('docker', ['network', 'ls', '--format', '{{.Name}}'], { env })).stdout
  assert.equal(names, 'bridge\nhost\nk3d-one\nnone\n')
  const ids = ok(await sb.run('docker', ['network', 'ls', '-q'], { env })).stdout.trim().split('\n')
  const nets = JSON.parse(ok(await sb.run('docker', ['network', 'inspect', ...ids], { env })).stdout) as Array<{ Name: string; IPAM: { Config: Array<{ Subnet: string }> } }>
  assert.deepEqual(Object.fromEntries(nets.map((n) => [n.Name, n.IPAM.Config.map((c) => c.Subnet)])), { bridge: ['10.10.0.0/16'], host: [], 'k3d-one': ['10.11.0.0/16'], none: [] })
  failed(await sb.run('docker', ['network', 'inspect', 'ghost']), 'Error response from daemon: network ghost not found')
  // docker info reports what the tests set (the doctor reads it)
  const info = JSON.parse(ok(await sb.run('docker', ['info', '--format', '{{json .}}'], { env: { K3D_SIM_DOCKER_INFO: '{"MemTotal": 1024, "SecurityOptions": ["name=rootless"]}' } })).stdout)
  assert.deepEqual([info.MemTotal, info.SecurityOptions, info.ClientInfo.Context], [1024, ['name=rootless'], 'default'])
})
