// The k3d / kubectl / docker simulator (test/fixtures) rejects what the real tools reject and does
// what the reference beside this repository says they do, pinned to the recorded real texts of
// test/fixtures/real/. Every test gets its own HOME and state dir.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { existsSync } from 'node:fs'
import { lstat, mkdir, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { YAML } from 'zx'
import { BIN_DIR, REPO_ROOT, sandboxFor, type RunResult, type Sandbox, ok, freePorts } from './helpers/sandbox.ts'
import { daemonMessage, docker20, engines, fill, k3dText } from './fixtures/real/recorded.ts'

// ---------------------------------------------------------------- helpers


async function listen(host: string, port: number, t: TestContext): Promise<net.Server> {
  const srv = net.createServer()
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject)
    srv.listen(port, host, resolve)
  })
  t.after(() => new Promise<void>((resolve) => srv.close(() => resolve())))
  return srv
}


function failed(r: RunResult, ...needles: string[]): RunResult {
  assert.equal(r.code, 1, `expected exit 1, got ${r.code}:\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
  for (const n of needles) assert.ok(r.stderr.includes(n), `stderr lacks ${JSON.stringify(n)}:\n${r.stderr}`)
  return r
}

interface K3dNode {
  name: string
  role: string
  State: { Running: boolean; Status: string }
  serverOpts?: { kubeAPI?: { Binding: { HostIp: string; HostPort: string } } | null }
  portMappings?: Record<string, Array<{ HostIp: string; HostPort: string }>>
}
interface K3dCluster {
  name: string
  nodes: K3dNode[]
  serversRunning: number
  serversCount: number
  agentsRunning: number
  agentsCount: number
  hasLoadbalancer?: boolean
}

async function list(sb: Sandbox, env?: Record<string, string>): Promise<K3dCluster[]> {
  const r = ok(await sb.run('k3d', ['cluster', 'list', '-o', 'json'], { env }), 'k3d cluster list')
  assert.equal(r.stdout.trim().split('\n').length, 1, 'one line of JSON')
  return JSON.parse(r.stdout) as K3dCluster[]
}

/** k3d cluster create NAME with our usual flags and free ports; returns the ports. */
async function create(sb: Sandbox, name: string, opts: { lb?: number; api?: number; extra?: string[]; env?: Record<string, string> } = {}) {
  const [lb, api] = opts.lb && opts.api ? [opts.lb, opts.api] : await freePorts(2)
  const args = ['cluster', 'create', name, '--servers', '1', '--agents', '2', '-p', `${opts.lb ?? lb}:80@loadbalancer`,
    '--api-port', String(opts.api ?? api), '--k3s-arg', '--tls-san=localhost@server:*', '--k3s-arg', '--disable=traefik@server:*',
    '--wait', '--kubeconfig-update-default=false', ...(opts.extra ?? [])]
  const r = await sb.run('k3d', args, { env: opts.env })
  return { r, lb: opts.lb ?? lb, api: opts.api ?? api }
}

interface SimState {
  clusters: Record<string, { running: boolean; images: string[]; importCalls: number; apiPort: number }>
  counters: Record<string, number>
}
async function simState(sb: Sandbox): Promise<SimState> {
  try {
    return JSON.parse(await readFile(path.join(sb.state, 'state.json'), 'utf8')) as SimState
  } catch {
    return { clusters: {}, counters: {} }
  }
}

/** A kubeconfig for NAME from `k3d kubeconfig get`, server on localhost (what the product writes). */
async function kubeconfigFile(sb: Sandbox, name: string, file: string, host = 'localhost'): Promise<string> {
  const r = ok(await sb.run('k3d', ['kubeconfig', 'get', name]), 'kubeconfig get')
  await mkdir(path.dirname(file), { recursive: true })
  await writeFile(file, r.stdout.replace(/server: https:\/\/[^:]+:/, `server: https://${host}:`), { mode: 0o600 })
  return file
}

/** TEXT as a literal inside a RegExp. */
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

const nodeNames = (r: RunResult) => r.stdout.trim().split('\n').slice(1).map((l) => l.split(/\s+/)[0])

// ---------------------------------------------------------------- sandbox
test('sandbox: simulator first on PATH, isolated HOME and state, call log parsed', async (t) => {
  const sb = await sandboxFor(t) // end to end: the launchers on PATH
  assert.equal(BIN_DIR, path.join(REPO_ROOT, 'test', 'fixtures', 'bin'))
  assert.ok(sb.env.PATH?.startsWith(BIN_DIR + ':'))
  assert.equal(sb.env.HOME, sb.home)
  assert.equal(sb.env.K3D_SIM_STATE, sb.state)
  assert.equal(sb.env.KUBECONFIG, undefined)
  for (const tool of ['k3d', 'kubectl', 'docker']) assert.ok((await stat(path.join(BIN_DIR, tool))).mode & 0o111, `${tool} executable`)
  ok(await sb.run('k3d', ['version']))
  ok(await sb.run('docker', ['info']))
  ok(await sb.run('kubectl', ['version', '--client']))
  assert.deepEqual(sb.calls(), [
    { tool: 'k3d', args: ['version'] },
    { tool: 'docker', args: ['info'] },
    { tool: 'kubectl', args: ['version', '--client'] },
  ])
  assert.deepEqual(sb.calls('docker'), [{ tool: 'docker', args: ['info'] }])
  const r = await sb.run('sh', ['-c', 'echo "$HOME|$K3D_SIM_STATE|${KUBECONFIG-unset}|$X"; exit 3'], { env: { X: 'y', HOME: sb.home } })
  assert.equal(r.code, 3)
  assert.equal(r.stdout.trim(), `${sb.home}|${sb.state}|unset|y`)
  const missing = await sb.run('definitely-not-a-command-xyz', [])
  assert.equal(missing.code, 127)
  const input = await sb.run('cat', [], { input: 'piped' })
  assert.equal(input.stdout, 'piped')
})

// ---------------------------------------------------------------- k3d: parsing and names
test('k3d version, plain and JSON', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  assert.equal(ok(await sb.run('k3d', ['version'])).stdout, 'k3d version v5.8.3\nk3s version v1.31.5-k3s1 (default)\n')
  assert.deepEqual(JSON.parse(ok(await sb.run('k3d', ['version', '-o', 'json'])).stdout), { k3d: 'v5.8.3', k3s: 'v1.31.5-k3s1' })
  const custom = ok(await sb.run('k3d', ['version'], { env: { K3D_SIM_VERSION: 'v5.7.0' } }))
  assert.match(custom.stdout, /^k3d version v5\.7\.0\n/)
})

test('k3d cluster create rejects names k3d rejects, with its messages, and creates nothing', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const rfc = (n: string) => `Invalid cluster name. name ${n} is not a valid hostname as per RFC 1123`
  failed(await sb.run('k3d', ['cluster', 'create', '../x']), rfc('../x'))
  failed(await sb.run('k3d', ['cluster', 'create', 'a_b']), rfc('a_b'))
  failed(await sb.run('k3d', ['cluster', 'create', 'a/b']), rfc('a/b'))
  failed(await sb.run('k3d', ['cluster', 'create', '--', '-a']), rfc('-a'))
  failed(await sb.run('k3d', ['cluster', 'create', 'x-']), rfc('x-'))
  // cobra reads a bare `-a` as --agents without its value
  failed(await sb.run('k3d', ['cluster', 'create', '-a']), "Error: flag needs an argument: 'a' in -a")
  failed(await sb.run('k3d', ['cluster', 'create', 'a'.repeat(33)]), 'Cluster name must be <= 32 characters, but has 33')
  failed(await sb.run('k3d', ['cluster', 'create', 'b'.repeat(40)]), 'Cluster name must be <= 32 characters, but has 40')
  assert.deepEqual(await list(sb), [])
  // 32 characters and dotted host names are fine
  const { r } = await create(sb, 'c'.repeat(32))
  ok(r)
  ok((await create(sb, 'my.cluster-1')).r)
  assert.deepEqual((await list(sb)).map((c) => c.name), ['c'.repeat(32), 'my.cluster-1'])
})

test('k3d flag parsing follows cobra: unknown flags, missing values, bad ints, bool syntax, subcommands', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  failed(await sb.run('k3d', ['cluster', 'create', 'x', '--xyz']), 'Error: unknown flag: --xyz')
  failed(await sb.run('k3d', ['cluster', 'create', 'x', '--servers']), 'Error: flag needs an argument: --servers')
  failed(await sb.run('k3d', ['cluster', 'create', 'x', '--servers', 'two']), 'Error: invalid argument "two" for "-s, --servers" flag: strconv.ParseInt')
  failed(await sb.run('k3d', ['cluster', 'create', 'x', '--wait=maybe']), 'invalid argument "maybe" for "--wait" flag')
  failed(await sb.run('k3d', ['cluster', 'create', 'x', '--timeout', 'soon']), 'invalid argument "soon" for "--timeout" flag: time: invalid duration "soon"')
  // a bool flag never takes the next word: `false` becomes a second name
  failed(await sb.run('k3d', ['cluster', 'create', 'x', '--kubeconfig-update-default', 'false']), 'accepts between 0 and 1 arg(s), received 2')
  failed(await sb.run('k3d', ['cluster', 'frobnicate']), 'unknown command "frobnicate" for "k3d cluster"')
  failed(await sb.run('k3d', ['frobnicate']), 'unknown command "frobnicate" for "k3d"')
  failed(await sb.run('k3d', ['cluster', 'list', '--xyz']), 'Error: unknown flag: --xyz')
  failed(await sb.run('k3d', ['cluster', 'create', 'x', '-p', '80:abc@loadbalancer']), "Failed to parse port spec '80:abc@loadbalancer'")
  failed(await sb.run('k3d', ['cluster', 'create', 'x', '-p', '8080:80@nowhere']), "invalid format or empty subset in 'nowhere'")
  failed(await sb.run('k3d', ['cluster', 'create', 'x', '--api-port', 'abc']), 'failed to parse API Port spec')
  assert.deepEqual(await list(sb), [])
  // --flag=value and -s N forms are accepted
  const [lb, api] = await freePorts(2)
  ok(await sb.run('k3d', ['cluster', 'create', 'x', '-s', '1', '--agents=3', `--port=${lb}:80@loadbalancer`, `--api-port=${api}`, '--kubeconfig-update-default=false', '--wait=true', '--timeout', '90s']))
  const [c] = await list(sb)
  assert.equal(c.agentsCount, 3)
})

test('k3d cluster create: a taken name fails and leaves the existing cluster alone', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const first = await create(sb, 'dup')
  ok(first.r)
  const again = await create(sb, 'dup')
  failed(again.r, "Failed to create cluster 'dup' because a cluster with that name already exists")
  const [c] = await list(sb)
  const lb = c.nodes.find((n) => n.role === 'loadbalancer')!
  assert.equal(lb.portMappings!['80/tcp'][0].HostPort, String(first.lb))
})

// ---------------------------------------------------------------- ports
test('a real listener on a host port makes create fail with the daemon\'s userland-proxy error and roll back', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const [busyLb, busyApi, busyLocal, api] = await freePorts(4)
  await listen('0.0.0.0', busyLb, t)
  await listen('0.0.0.0', busyApi, t)
  await listen('127.0.0.1', busyLocal, t)
  // another process holds it: docker's allocator knows nothing, its bind fails (recorded: run-userland-proxy)
  const proxy = (p: number) => `Error starting userland proxy: listen tcp4 0.0.0.0:${p}: bind: address already in use`
  const byLb = await create(sb, 'blocked', { lb: busyLb, api })
  failed(byLb.r, proxy(busyLb), 'Failed to create cluster >>> Rolling Back', 'Cluster creation FAILED, all changes have been rolled back!')
  assert.match(byLb.r.stderr, /^ERRO\[\d{4}\] Failed Cluster Start: Failed to add one or more helper nodes: runtime failed to start node 'k3d-blocked-serverlb': .*address already in use$/m)
  assert.match(byLb.r.stderr, /^FATA\[\d{4}\] Cluster creation FAILED/m)
  failed((await create(sb, 'blocked', { lb: api, api: busyApi })).r, proxy(busyApi))
  // a listener on 127.0.0.1 only still blocks docker's 0.0.0.0 bind (recorded: run-userland-proxy-loopback)
  failed((await create(sb, 'blocked', { lb: busyLocal, api })).r, proxy(busyLocal))
  assert.deepEqual(await list(sb), [])
  assert.deepEqual(existsSync(path.join(sb.state, 'kube')) ? await readdir(path.join(sb.state, 'kube')) : [], [])
  assert.equal(existsSync(path.join(sb.home, '.kube', 'config')), false)
  // the same ports once free: fine
  ok((await create(sb, 'blocked', { lb: api, api: (await freePorts(1))[0] })).r)
})

test('running clusters never share a host port; a stopped one frees it and then cannot start', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const [lb, api1, api2] = await freePorts(3)
  ok((await create(sb, 'one', { lb, api: api1 })).r)
  failed((await create(sb, 'two', { lb, api: api2 })).r, `Bind for 0.0.0.0:${lb} failed: port is already allocated`)
  // the API port counts too
  failed((await create(sb, 'two', { lb: api2, api: api1 })).r, `Bind for 0.0.0.0:${api1} failed: port is already allocated`)
  assert.deepEqual((await list(sb)).map((c) => c.name), ['one'])

  ok(await sb.run('k3d', ['cluster', 'stop', 'one']))
  ok((await create(sb, 'two', { lb, api: api2 })).r, 'create on a stopped cluster’s port')
  const start = failed(await sb.run('k3d', ['cluster', 'start', 'one']), `Bind for 0.0.0.0:${lb} failed: port is already allocated`)
  assert.match(start.stderr, /^FATA\[/m)
  const byName = Object.fromEntries((await list(sb)).map((c) => [c.name, c]))
  assert.equal(byName.one.serversRunning, 0, 'one stays stopped')
  assert.equal(byName.two.serversRunning, 1)
  // a stopped cluster still lists (and so reserves, for our port chooser) its ports
  assert.equal(byName.one.nodes.find((n) => n.role === 'loadbalancer')!.portMappings!['80/tcp'][0].HostPort, String(lb))

  ok(await sb.run('k3d', ['cluster', 'stop', 'two']))
  ok(await sb.run('k3d', ['cluster', 'start', 'one']))
  failed(await sb.run('k3d', ['cluster', 'start', 'two']), 'port is already allocated')
  ok(await sb.run('k3d', ['cluster', 'delete', 'one']))
  ok(await sb.run('k3d', ['cluster', 'start', 'two']))
  failed(await sb.run('k3d', ['cluster', 'start', 'nope']), 'failed to get cluster nope: No nodes found for given cluster')
  failed(await sb.run('k3d', ['cluster', 'stop', 'nope']), 'No nodes found for given cluster')
  // a create with no --api-port gets a random free one; -p without host port too
  ok(await sb.run('k3d', ['cluster', 'create', 'rnd', '-p', '80@loadbalancer', '--kubeconfig-update-default=false']))
  const rnd = (await list(sb)).find((c) => c.name === 'rnd')!
  const lbNode = rnd.nodes.find((n) => n.role === 'loadbalancer')!
  const apiPort = Number(lbNode.portMappings!['6443/tcp'][0].HostPort)
  assert.ok(apiPort >= 30000 && apiPort <= 60000, `random api port ${apiPort}`)
  assert.ok(Number(lbNode.portMappings!['80/tcp'][0].HostPort) > 0)
})

test('8 concurrent creates with distinct names and ports all succeed; racing for one port, exactly one wins', async (t) => {
  const sb = await sandboxFor(t) // end to end: concurrent processes and their lock
  const ports = await freePorts(16)
  const results = await Promise.all(
    [...Array(8).keys()].map((i) => create(sb, `par-${i}`, { lb: ports[i], api: ports[8 + i] })),
  )
  results.forEach(({ r }, i) => ok(r, `create par-${i}`))
  const clusters = await list(sb)
  assert.deepEqual(clusters.map((c) => c.name), [...Array(8).keys()].map((i) => `par-${i}`))
  for (const [i, c] of clusters.entries()) {
    const lb = c.nodes.find((n) => n.role === 'loadbalancer')!
    assert.equal(lb.portMappings!['80/tcp'][0].HostPort, String(ports[i]))
    assert.equal(c.nodes.find((n) => n.role === 'server')!.serverOpts!.kubeAPI!.Binding.HostPort, String(ports[8 + i]))
  }
  assert.equal(sb.calls('k3d').filter((c) => c.args[1] === 'create').length, 8)

  const [shared, ...apis] = await freePorts(5)
  const race = await Promise.all(apis.map((api, i) => create(sb, `race-${i}`, { lb: shared, api })))
  assert.equal(race.filter(({ r }) => r.code === 0).length, 1, 'one winner')
  for (const { r } of race.filter(({ r }) => r.code !== 0)) failed(r, `Bind for 0.0.0.0:${shared} failed: port is already allocated`)
  assert.equal((await list(sb)).length, 9)
})

test('create holds no lock while it sleeps: list answers during K3D_SIM_CREATE_DELAY_MS', async (t) => {
  const sb = await sandboxFor(t) // end to end: concurrent processes
  // no timing asserted (the machine may be loaded): list must answer while create is still asleep
  const slow = create(sb, 'slow', { env: { K3D_SIM_CREATE_DELAY_MS: '3000' } })
  let settled = false
  void slow.finally(() => (settled = true))
  while (!(await simState(sb)).clusters.slow) await new Promise((r) => setTimeout(r, 50))
  const during = await list(sb)
  assert.equal(settled, false, 'list answered before the create finished: it was not blocked by the sleeping create')
  assert.deepEqual(during.map((c) => [c.name, c.nodes[0]!.State.Status]), [['slow', 'created']], 'the cluster being created is visible')
  ok((await slow).r)
  assert.equal((await list(sb))[0].serversRunning, 1)
  // a --timeout shorter than the delay: rolled back
  const late = await create(sb, 'late', { env: { K3D_SIM_CREATE_DELAY_MS: '600' }, extra: ['--timeout', '100ms'] })
  failed(late.r, 'Cluster creation FAILED, all changes have been rolled back!')
  assert.deepEqual((await list(sb)).map((c) => c.name), ['slow'])
})

// ---------------------------------------------------------------- kubeconfig
test('default kubeconfig on create: updated and switched by default, untouched with --kubeconfig-update-default=false', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const home = path.join(sb.home, '.kube', 'config')
  // absent stays absent
  ok((await create(sb, 'quiet')).r)
  assert.equal(existsSync(home), false)

  // present stays byte-identical
  const original = 'apiVersion: v1\nkind: Config\n# mine, keep me\ncurrent-context: other\ncontexts:\n  - name: other\n    context: {cluster: other, user: other}\n'
  await mkdir(path.dirname(home), { recursive: true })
  await writeFile(home, original)
  ok((await create(sb, 'quiet2')).r)
  assert.equal(await readFile(home, 'utf8'), original)

  // without the flag: merged and switched (real k3d behaviour)
  const [lb, api] = await freePorts(2)
  ok(await sb.run('k3d', ['cluster', 'create', 'loud', '-p', `${lb}:80@loadbalancer`, '--api-port', String(api)]))
  const doc = YAML.parse(await readFile(home, 'utf8'))
  assert.equal(doc['current-context'], 'k3d-loud')
  assert.deepEqual(doc.contexts.map((c: { name: string }) => c.name), ['other', 'k3d-loud'])
  assert.equal(doc.clusters.find((c: { name: string }) => c.name === 'k3d-loud').cluster.server, `https://0.0.0.0:${api}`)
  assert.equal(doc.users[0].name, 'admin@k3d-loud')

  // --kubeconfig-switch-context=false: merged, current-context kept
  ok((await create(sb, 'merged', { extra: ['--kubeconfig-update-default=true', '--kubeconfig-switch-context=false'] })).r)
  const doc2 = YAML.parse(await readFile(home, 'utf8'))
  assert.equal(doc2['current-context'], 'k3d-loud')
  assert.ok(doc2.contexts.some((c: { name: string }) => c.name === 'k3d-merged'))

  // $KUBECONFIG names "the default" when it lists one file: created (0600) if missing
  const elsewhere = path.join(sb.root, 'kc', 'a.yaml')
  ok((await create(sb, 'viaenv', { extra: ['--kubeconfig-update-default=true'], env: { KUBECONFIG: elsewhere } })).r)
  assert.equal((await stat(elsewhere)).mode & 0o777, 0o600)
  assert.equal(YAML.parse(await readFile(elsewhere, 'utf8'))['current-context'], 'k3d-viaenv')
  // several files: k3d refuses to choose, warns, and the cluster is created anyway (k3d-v5.json kubeconfig-several-files)
  const before = await readFile(elsewhere, 'utf8')
  const several = ok((await create(sb, 'twofiles', { extra: ['--kubeconfig-update-default=true'], env: { KUBECONFIG: `${elsewhere}:${home}` } })).r)
  assert.match(several.stderr, new RegExp(`^WARN\\[\\d{4}\\] ${escape(k3dText('kubeconfig-several-files').text)}$`, 'm'))
  assert.equal(await readFile(elsewhere, 'utf8'), before)
  assert.ok(!(await readFile(home, 'utf8')).includes('twofiles'))
})

test('k3d cluster delete always rewrites the default kubeconfig and moves its current-context to another context', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const home = path.join(sb.home, '.kube', 'config')
  ok((await create(sb, 'gone')).r)
  // a file that never held the cluster is still loaded and written back (k3d-v5.json delete-kubeconfig-rewrite):
  // comments and unknown keys are lost, and it becomes a fresh 0600 file
  const mine = 'apiVersion: v1\nkind: Config\n# mine, keep me\ncurrent-context: other\ncontexts:\n- name: other\n  context: {cluster: other, user: other}\nmine: true\n'
  await mkdir(path.dirname(home), { recursive: true })
  await writeFile(home, mine, { mode: 0o644 })
  const d = ok(await sb.run('k3d', ['cluster', 'delete', 'gone']))
  assert.match(d.stdout, /Removing cluster details from default kubeconfig\.\.\./)
  const rewritten = await readFile(home, 'utf8')
  assert.notEqual(rewritten, mine)
  assert.doesNotMatch(rewritten, /keep me|mine: true/)
  assert.deepEqual(YAML.parse(rewritten), {
    apiVersion: 'v1', clusters: null, contexts: [{ name: 'other', context: { cluster: 'other', user: 'other' } }], 'current-context': 'other', kind: 'Config', preferences: {}, users: null,
  })
  assert.equal((await stat(home)).mode & 0o777, 0o600)

  // current-context on the deleted cluster moves to another context, not to ""
  const [lb, api] = await freePorts(2)
  ok(await sb.run('k3d', ['cluster', 'create', 'cur', '-p', `${lb}:80@loadbalancer`, '--api-port', String(api)]))
  assert.equal(YAML.parse(await readFile(home, 'utf8'))['current-context'], 'k3d-cur')
  ok(await sb.run('k3d', ['cluster', 'delete', 'cur']))
  const moved = YAML.parse(await readFile(home, 'utf8'))
  assert.equal(moved['current-context'], 'other')
  assert.ok(!JSON.stringify(moved).includes('k3d-cur'))
  // ... and to "" when no context is left
  const alone = path.join(sb.root, 'alone.yaml')
  ok((await create(sb, 'only', { extra: ['--kubeconfig-update-default=true'], env: { KUBECONFIG: alone } })).r)
  ok(await sb.run('k3d', ['cluster', 'delete', 'only'], { env: { KUBECONFIG: alone } }))
  assert.equal(YAML.parse(await readFile(alone, 'utf8'))['current-context'], '')

  // a symlinked default kubeconfig: k3d follows it and replaces the target, the link stays
  const target = path.join(sb.root, 'target.yaml')
  const link = path.join(sb.root, 'link.yaml')
  await writeFile(target, mine)
  await symlink(target, link)
  ok((await create(sb, 'linked')).r)
  ok(await sb.run('k3d', ['cluster', 'delete', 'linked'], { env: { KUBECONFIG: link } }))
  assert.ok((await lstat(link)).isSymbolicLink())
  assert.doesNotMatch(await readFile(target, 'utf8'), /keep me/)

  // missing: two WARN lines, nothing created, the delete succeeds (k3d-v5.json delete-kubeconfig-missing)
  const absent = path.join(sb.root, 'absent', 'config')
  ok((await create(sb, 'nofile')).r)
  const r = ok(await sb.run('k3d', ['cluster', 'delete', 'nofile'], { env: { KUBECONFIG: absent } }))
  assert.match(r.stderr, new RegExp(`^WARN\\[\\d{4}\\] ${escape(k3dText('delete-kubeconfig-failed').text)}\nWARN\\[\\d{4}\\] ${escape(fill(k3dText('delete-kubeconfig-missing').text, { path: absent }))}$`, 'm'))
  assert.equal(existsSync(absent), false)
  assert.match(r.stdout, /Successfully deleted cluster nofile!/)
  // several files: refused with a warning, none written
  ok((await create(sb, 'twice')).r)
  const homeBefore = await readFile(home, 'utf8')
  const two = ok(await sb.run('k3d', ['cluster', 'delete', 'twice'], { env: { KUBECONFIG: `${home}:${target}` } }))
  assert.match(two.stderr, /multiple kubeconfigs specified via KUBECONFIG env var/)
  assert.equal(await readFile(home, 'utf8'), homeBefore)
})

test('k3d kubeconfig get: the reference document, server host from --api-port or K3D_SIM_KUBECONFIG_HOST', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const { api } = await create(sb, 'kc')
  const r = ok(await sb.run('k3d', ['kubeconfig', 'get', 'kc']))
  assert.ok(r.stdout.startsWith('---\napiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: LS0t'))
  const doc = YAML.parse(r.stdout.replace(/^---\n/, ''))
  assert.equal(doc.clusters[0].cluster.server, `https://0.0.0.0:${api}`)
  assert.deepEqual(doc.contexts, [{ context: { cluster: 'k3d-kc', user: 'admin@k3d-kc' }, name: 'k3d-kc' }])
  assert.equal(doc['current-context'], 'k3d-kc')
  assert.deepEqual(doc.preferences, {})
  assert.match(doc.users[0].user['client-key-data'], /^LS0t/)

  const hdi = ok(await sb.run('k3d', ['kubeconfig', 'get', 'kc'], { env: { K3D_SIM_KUBECONFIG_HOST: 'host.docker.internal' } }))
  assert.match(hdi.stdout, new RegExp(`server: https://host\\.docker\\.internal:${api}\\n`))
  const [lb, api2] = await freePorts(2)
  ok(await sb.run('k3d', ['cluster', 'create', 'local', '-p', `${lb}:80@loadbalancer`, '--api-port', `127.0.0.1:${api2}`, '--kubeconfig-update-default=false']))
  assert.match(ok(await sb.run('k3d', ['kubeconfig', 'get', 'local'])).stdout, new RegExp(`server: https://127\\.0\\.0\\.1:${api2}\\n`))
  const both = ok(await sb.run('k3d', ['kubeconfig', 'get', '--all']))
  assert.equal(both.stdout.match(/^---$/gm)?.length, 2)

  failed(await sb.run('k3d', ['kubeconfig', 'get', 'missing']), 'No nodes found for given cluster')
  failed(await sb.run('k3d', ['kubeconfig', 'get']), 'need to specify one or more cluster names *or* set `--all` flag')
  // a stopped cluster still has its kubeconfig
  ok(await sb.run('k3d', ['cluster', 'stop', 'kc']))
  ok(await sb.run('k3d', ['kubeconfig', 'get', 'kc']))
})

// ---------------------------------------------------------------- list / delete
test('k3d cluster list: JSON shape for running and stopped clusters, table, missing names', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  assert.equal(ok(await sb.run('k3d', ['cluster', 'list', '-o', 'json'])).stdout, '[]\n')
  const zed = await create(sb, 'zed')
  const alpha = await create(sb, 'alpha')
  ok(zed.r)
  ok(alpha.r)
  ok(await sb.run('k3d', ['cluster', 'stop', 'zed']))
  const [a, z] = await list(sb)
  assert.equal(a.name, 'alpha')
  assert.equal(z.name, 'zed')
  assert.deepEqual(a.nodes.map((n) => [n.name, n.role]), [
    ['k3d-alpha-server-0', 'server'], ['k3d-alpha-agent-0', 'agent'], ['k3d-alpha-agent-1', 'agent'], ['k3d-alpha-serverlb', 'loadbalancer'],
  ])
  const server = a.nodes[0]
  assert.deepEqual(server.serverOpts!.kubeAPI!.Binding, { HostIp: '0.0.0.0', HostPort: String(alpha.api) })
  const lbNode = a.nodes[3]
  assert.deepEqual(lbNode.portMappings, {
    '80/tcp': [{ HostIp: '0.0.0.0', HostPort: String(alpha.lb) }],
    '6443/tcp': [{ HostIp: '0.0.0.0', HostPort: String(alpha.api) }],
  })
  assert.deepEqual(a.nodes.map((n) => n.State.Running), [true, true, true, true])
  assert.deepEqual(a.nodes.map((n) => n.State.Status), ['running', 'running', 'running', 'running'])
  assert.deepEqual([a.serversRunning, a.serversCount, a.agentsRunning, a.agentsCount, a.hasLoadbalancer], [1, 1, 2, 2, true])
  assert.deepEqual(z.nodes.map((n) => [n.State.Running, n.State.Status]), Array(4).fill([false, 'exited']))
  assert.deepEqual([z.serversRunning, z.serversCount, z.agentsRunning, z.agentsCount], [0, 1, 0, 2])
  assert.equal(z.nodes[3].portMappings!['80/tcp'][0].HostPort, String(zed.lb))

  const table = ok(await sb.run('k3d', ['cluster', 'list']))
  assert.equal(table.stdout, 'NAME    SERVERS   AGENTS   LOADBALANCER\nalpha   1/1       2/2      true\nzed     0/1       0/2      true\n')
  assert.equal(ok(await sb.run('k3d', ['cluster', 'list', '--no-headers', 'zed'])).stdout, 'zed   0/1   0/2   true\n')
  const named = JSON.parse(ok(await sb.run('k3d', ['cluster', 'list', 'zed', '-o', 'json'])).stdout) as K3dCluster[]
  assert.deepEqual(named.map((c) => c.name), ['zed'])
  failed(await sb.run('k3d', ['cluster', 'list', 'nope']), 'failed to get cluster nope: No nodes found for given cluster')
  failed(await sb.run('k3d', ['cluster', 'list', 'alph']), 'failed to get cluster alph: No nodes found for given cluster')
})

test('k3d cluster delete: missing is not an error; --all; kube state goes with the cluster', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const r = ok(await sb.run('k3d', ['cluster', 'delete', 'ghost']))
  assert.match(r.stdout, /No nodes found for cluster 'ghost', nothing to delete\.\n.*No clusters found/s)
  ok((await create(sb, 'a1')).r)
  ok((await create(sb, 'a2')).r)
  assert.ok(existsSync(path.join(sb.state, 'kube', 'a1.json')))
  const d = ok(await sb.run('k3d', ['cluster', 'delete', 'a1', 'ghost']))
  assert.match(d.stdout, /Successfully deleted cluster a1!/)
  assert.match(d.stdout, /No nodes found for cluster 'ghost'/)
  assert.equal(existsSync(path.join(sb.state, 'kube', 'a1.json')), false)
  ok(await sb.run('k3d', ['cluster', 'delete', '--all']))
  assert.deepEqual(await list(sb), [])
})

// ---------------------------------------------------------------- images
test('k3d image import: several images in one call; absent ones are warnings and the rest are imported', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  await writeFile(path.join(sb.state, 'images'), `threads-agent/orchestrator:local\nthreads-agent/persona:local\n# comment\nqdrant/qdrant:v1.9.4@sha256:${'b'.repeat(64)}\n`)
  ok((await create(sb, 'img')).r)
  const env = { K3D_SIM_IMAGES: 'nginx,redis:7' }
  const r = ok(await sb.run('k3d', ['image', 'import', 'threads-agent/orchestrator:local', 'threads-agent/persona:local', 'nginx:latest', 'redis:7', '-c', 'img'], { env }))
  assert.match(r.stdout, /Successfully imported 4 image\(s\) into 1 cluster\(s\)/)
  let st = await simState(sb)
  assert.deepEqual(st.clusters.img.images, ['threads-agent/orchestrator:local', 'threads-agent/persona:local', 'nginx:latest', 'redis:7'])
  assert.equal(st.clusters.img.importCalls, 1)

  // one absent: a warning, the others imported, exit 0; k3d counts every image it was given (k3d-v5.json import-*)
  const notFound = (image: string) => `WARN[0000] ${fill(k3dText('import-image-not-found').text, { image })}`
  const partial = ok(await sb.run('k3d', ['image', 'import', 'docker.io/library/nginx', 'ghost/image:1', 'library/redis:7', '-c', 'img'], { env }))
  assert.equal(partial.stderr, `${notFound('ghost/image:1')}\n`)
  assert.match(partial.stdout, /Saving 2 image\(s\) from runtime\.\.\./)
  assert.match(partial.stdout, new RegExp(escape(fill(k3dText('import-done').text, { requested: 3, clusters: 1 }))))
  st = await simState(sb)
  assert.equal(st.clusters.img.importCalls, 2)
  assert.ok(!st.clusters.img.images.includes('ghost/image:1'))

  // k3d finds runtime images by repo tag only: not by digest, not under index.docker.io (k3d-v5.json import-matching)
  const byTagOnly = [`qdrant/qdrant@sha256:${'b'.repeat(64)}`, 'index.docker.io/library/nginx', 'qdrant/qdrant:v1.9.4']
  const tagged = ok(await sb.run('k3d', ['image', 'import', ...byTagOnly, '-c', 'img'], { env }))
  assert.equal(tagged.stderr, `${notFound(byTagOnly[0]!)}\n${notFound(byTagOnly[1]!)}\n`)

  // none found: k3d's error, then its generic warning, exit 1, nothing imported
  const none = failed(await sb.run('k3d', ['image', 'import', 'ghost/image:1', 'ghost', '--cluster', 'img'], { env }))
  assert.equal(none.stderr, [notFound('ghost/image:1'), notFound('ghost'), `ERRO[0000] ${fill(k3dText('import-no-valid-images').text, { cluster: 'img' })}`,
    `WARN[0000] ${k3dText('import-some-error').text}`, ''].join('\n'))
  st = await simState(sb)
  assert.equal(st.clusters.img.importCalls, 3, 'nothing imported')
  failed(await sb.run('k3d', ['image', 'import', 'nginx', '-c', 'nope'], { env }), 'failed to get cluster nope')
  failed(await sb.run('k3d', ['image', 'import', '-c', 'img']), 'requires at least 1 arg(s)')
  failed(await sb.run('k3d', ['image', 'import', 'nginx', '-c', 'img', '-m', 'teleport'], { env }), "Unknown image loading mode 'teleport'")
  ok(await sb.run('k3d', ['cluster', 'stop', 'img']))
  failed(await sb.run('k3d', ['image', 'import', 'nginx', '-c', 'img'], { env }), "Failed to import image(s) into cluster 'img'")

  // docker sees the same images
  const inspect = ok(await sb.run('docker', ['image', 'inspect', 'threads-agent/persona:local', 'nginx'], { env }))
  assert.equal((JSON.parse(inspect.stdout) as unknown[]).length, 2)
  failed(await sb.run('docker', ['image', 'inspect', 'ghost/image:1']), 'Error response from daemon: no such image: ghost/image:1: No such image: ghost/image:1')
})

// ---------------------------------------------------------------- replays of recorded real texts
const HEX = 'c04b36f6dcac5244ba9719014ce45fdf22000e9c3f354f4ef4681bc804b48b51'

/**
 * The simulated daemon's images, named as the real-docker tier had tagged its one busybox image
 * when it recorded: the repo-digest exchange came after the push to its registry.
 */
async function tierImages(sb: Sandbox, pushed: { registry: string; digest: string } | null): Promise<void> {
  const repo = pushed ? ` ${pushed.registry}/team/app:3@${pushed.digest}` : ''
  await writeFile(path.join(sb.state, 'images'), `bitnami/postgresql:16 nginx:latest redis:7 mc-tier/busybox:1${repo} localhost:5000/team/app:2\n`)
}

test('the simulated docker answers image inspect and image ls as the real daemon did (docker-20.10.json)', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const values = { registry: 'localhost:41234', digest: `sha256:${'e'.repeat(64)}`, id: HEX }
  const idOf = async () => JSON.parse(ok(await sb.run('docker', ['image', 'inspect', 'nginx'])).stdout)[0].Id as string
  const project = (stdout: string) => JSON.stringify((JSON.parse(stdout) as Array<{ Id: string; RepoTags: string[]; RepoDigests: string[] }>).map((i) => ({ Id: i.Id, RepoTags: i.RepoTags, RepoDigests: i.RepoDigests })), null, 1) + '\n'
  for (const id of ['image-inspect-mixed', 'image-inspect-digests', 'image-inspect-none', 'image-ls-format', 'daemon-down-info', 'daemon-down-image-inspect']) {
    const recorded = docker20.captures[id]!
    await tierImages(sb, id === 'image-inspect-digests' ? values : null)
    const image = await idOf()
    const all = { ...values, image, imageid: image.slice('sha256:'.length, 'sha256:'.length + 12), host: 'unix:///var/run/docker.sock', cli: '28.2.2' }
    const args = recorded.command.slice(1).map((a) => fill(a, all))
    const down = id.startsWith('daemon-down') ? { K3D_SIM_DOCKER_DOWN: '1' } : undefined
    const r = await sb.run('docker', args, { env: down })
    assert.equal(r.code, recorded.exit, `${id}: ${r.stderr}`)
    assert.equal(r.stderr, fill(recorded.stderr, all), id)
    const stdout = id.startsWith('image-inspect') ? project(r.stdout) : r.stdout
    const want = fill(recorded.stdout, all)
    assert.equal(stdout, want, id)
  }
})

test('K3D_SIM_DOCKER_STYLE picks the engine: each recorded port-conflict form and image-missing line', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  // 20 (this machine's daemon, recorded): another container, another process
  const local = [['container', 'run-port-allocated'], ['process', 'run-userland-proxy']] as const
  const forms = [
    ...local.map(([holder, id]) => ({ id, style: '20', holder, text: docker20.captures[id]!.stderr, vars: { port: '<<port>>', endpoint: '<<endpoint>>' } as Record<string, string> })),
    ...engines.forms.filter((f) => f.sim).map((f) => ({ id: f.id, style: f.sim!.style, holder: f.sim!.holder, text: f.text, vars: f.vars ?? {} })),
  ]
  assert.ok(forms.length >= 5)
  let n = 0
  for (const form of forms) {
    const env = { K3D_SIM_DOCKER_STYLE: form.style }
    const [port, api] = await freePorts(2)
    let r: RunResult
    if (form.holder === 'process') {
      const srv = await listen('0.0.0.0', port, t)
      r = (await create(sb, `p${++n}`, { lb: port, api, env })).r
      await new Promise<void>((resolve) => srv.close(() => resolve()))
    } else {
      ok((await create(sb, `holder${++n}`, { lb: port, api })).r)
      r = (await create(sb, `p${n}`, { lb: port, api: (await freePorts(1))[0], env })).r
      ok(await sb.run('k3d', ['cluster', 'delete', `holder${n}`]))
    }
    failed(r)
    const sim = daemonMessage(/docker failed to start container for node '[^']+': (.*)$/m.exec(r.stderr)?.[1] ?? '')
    const endpoint = `k3d-p${n}-serverlb`
    const target = /:(\d+\.\d+\.\d+\.\d+:\d+\/tcp): address/.exec(sim)?.[1] ?? ''
    // the recorded text with its own values made placeholders, and the simulator's with its own
    const shape = (text: string, values: Record<string, string>) => {
      let out = text
      for (const [k, v] of Object.entries(values).sort((a, b) => b[1].length - a[1].length)) if (v) out = out.split(v).join(`<<${k}>>`)
      return out.replace(/\b[0-9a-f]{64}\b/g, '<<id>>')
    }
    const recorded = shape(daemonMessage(form.text), form.vars)
    assert.equal(shape(sim, { port: String(port), endpoint, target }), recorded, `${form.id} (style ${form.style})`)
  }
  // image missing: Docker Desktop's containerd image store names only the familiar form
  for (const m of engines.imageMissing.filter((x) => x.sim)) {
    const r = await sb.run('docker', ['image', 'inspect', m.reference], { env: { K3D_SIM_DOCKER_STYLE: m.sim!.style } })
    assert.equal(r.code, 1)
    assert.equal(r.stderr.trim(), m.text, m.id)
  }
  // the style also sets the versions docker reports
  assert.equal(ok(await sb.run('docker', ['version', '-f', '{{.Server.Version}}'], { env: { K3D_SIM_DOCKER_STYLE: '28' } })).stdout, '28.2.2\n')
  assert.equal(ok(await sb.run('docker', ['info', '-f', '{{.OperatingSystem}}'], { env: { K3D_SIM_DOCKER_STYLE: 'desktop' } })).stdout, 'Docker Desktop\n')
})

test('k3d prints its own texts as k3d-v5.json quotes them from its source', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const line = (id: string, values: Record<string, string | number> = {}) => {
    const k = k3dText(id)
    return new RegExp(`^${k.level}\\[\\d{4}\\] ${escape(fill(k.text, values))}$`, 'm')
  }
  const gone = ok(await sb.run('k3d', ['cluster', 'delete', 'ghost']))
  assert.match(gone.stdout, line('delete-missing', { cluster: 'ghost' }))
  assert.match(gone.stdout, line('delete-none-left'))
  assert.match(failed(await sb.run('k3d', ['cluster', 'list', 'ghost'])).stderr, line('get-missing', { cluster: 'ghost' }))
  assert.match(failed(await sb.run('k3d', ['cluster', 'create', 'a_b'])).stderr, line('invalid-name-rfc1123', { cluster: 'a_b' }))
  assert.match(failed(await sb.run('k3d', ['cluster', 'create', 'x'.repeat(40)])).stderr, line('invalid-name-length', { length: 40 }))
  assert.match(failed(await sb.run('k3d', ['cluster', 'list'], { env: { K3D_SIM_DOCKER_DOWN: '1' } })).stderr, line('docker-down'))
  const [lb, api] = await freePorts(2)
  ok((await create(sb, 'one', { lb, api })).r)
  assert.match(failed((await create(sb, 'one', { lb, api })).r).stderr, line('create-name-taken', { cluster: 'one' }))
  const clash = failed((await create(sb, 'two', { lb, api: (await freePorts(1))[0] })).r).stderr
  const daemon = /docker failed to start container for node 'k3d-two-serverlb': (.*)$/m.exec(clash)?.[1] ?? ''
  assert.match(clash, line('create-lb-port-failed', { cluster: 'two', daemon }))
  assert.match(daemon, /^Error response from daemon: driver failed programming external connectivity on endpoint k3d-two-serverlb \([0-9a-f]{64}\): Bind for 0\.0\.0\.0:\d+ failed: port is already allocated$/)
  assert.match(clash, line('create-rolling-back'))
  assert.match(clash, line('create-rolled-back'))
})

// ---------------------------------------------------------------- faults
test('K3D_SIM_DOCKER_DOWN: docker and k3d fail like an unreachable daemon, k3d version still works', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  ok((await create(sb, 'up')).r)
  const kc = await kubeconfigFile(sb, 'up', path.join(sb.root, 'up.yaml'))
  const env = { K3D_SIM_DOCKER_DOWN: '1' }
  const msg = 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?'
  failed(await sb.run('docker', ['info'], { env }), msg)
  failed(await sb.run('docker', ['ps'], { env }), msg)
  failed(await sb.run('docker', ['image', 'inspect', 'nginx'], { env }), msg)
  failed(await sb.run('k3d', ['cluster', 'list', '-o', 'json'], { env }), msg)
  failed((await create(sb, 'down', { env })).r, msg)
  failed(await sb.run('k3d', ['cluster', 'delete', 'up'], { env }), msg)
  ok(await sb.run('k3d', ['version'], { env }))
  failed(await sb.run('kubectl', ['--kubeconfig', kc, 'get', '--raw=/readyz'], { env }), 'was refused')
  assert.deepEqual((await list(sb)).map((c) => c.name), ['up'])
  ok(await sb.run('docker', ['info']))
  const ps = ok(await sb.run('docker', ['ps', '--format', '{{.Names}}']))
  assert.deepEqual(ps.stdout.trim().split('\n'), ['k3d-up-server-0', 'k3d-up-agent-0', 'k3d-up-agent-1', 'k3d-up-serverlb'])
  failed(await sb.run('docker', ['frobnicate']))
})

test('K3D_SIM_FAIL_CREATES=N: the first N creates fail with port-allocated and roll back, then creates work', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const env = { K3D_SIM_FAIL_CREATES: '2' }
  const first = await create(sb, 'flaky', { env })
  failed(first.r, `Bind for 0.0.0.0:${first.lb} failed: port is already allocated`, 'Failed to create cluster >>> Rolling Back',
    'Cluster creation FAILED, all changes have been rolled back!')
  assert.deepEqual(await list(sb), [])
  failed((await create(sb, 'flaky', { env })).r, 'port is already allocated')
  // invalid names do not use up the budget
  failed(await sb.run('k3d', ['cluster', 'create', 'bad_name'], { env }), 'Invalid cluster name')
  ok((await create(sb, 'flaky', { env })).r)
  ok((await create(sb, 'flaky2', { env })).r)
  assert.equal((await simState(sb)).counters.failedCreates, 2)
  assert.deepEqual((await list(sb)).map((c) => c.name), ['flaky', 'flaky2'])
})

test('K3D_SIM_CREATE_ERROR: every create fails with the text and leaves nothing', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const r = await create(sb, 'err', { env: { K3D_SIM_CREATE_ERROR: 'no space left on device' } })
  failed(r.r, "Failed to create cluster 'err': no space left on device")
  assert.match(r.r.stderr, /^FATA\[\d{4}\] Failed to create cluster 'err': no space left on device$/m)
  assert.deepEqual(await list(sb), [])
})

// ---------------------------------------------------------------- kubectl
test('kubectl chooses --kubeconfig, then $KUBECONFIG (merged, first wins), then ~/.kube/config; --context wins', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  ok((await create(sb, 'aa')).r)
  ok((await create(sb, 'bb')).r)
  const homeCfg = await kubeconfigFile(sb, 'aa', path.join(sb.home, '.kube', 'config'))
  const bFile = await kubeconfigFile(sb, 'bb', path.join(sb.root, 'b.yaml'))
  const server = (r: RunResult) => nodeNames(r)[0]

  assert.equal(server(ok(await sb.run('kubectl', ['get', 'nodes']))), 'k3d-aa-agent-0')
  assert.equal(server(ok(await sb.run('kubectl', ['get', 'nodes'], { env: { KUBECONFIG: bFile } }))), 'k3d-bb-agent-0')
  assert.equal(server(ok(await sb.run('kubectl', ['get', 'nodes', '--kubeconfig', homeCfg], { env: { KUBECONFIG: bFile } }))), 'k3d-aa-agent-0')
  const merged = { KUBECONFIG: `${bFile}:${homeCfg}` }
  assert.equal(server(ok(await sb.run('kubectl', ['get', 'nodes'], { env: merged }))), 'k3d-bb-agent-0')
  assert.equal(server(ok(await sb.run('kubectl', ['--context', 'k3d-aa', 'get', 'nodes'], { env: merged }))), 'k3d-aa-agent-0')
  assert.equal(ok(await sb.run('kubectl', ['config', 'get-contexts', '-o', 'name'], { env: merged })).stdout, 'k3d-aa\nk3d-bb\n')
  assert.equal(ok(await sb.run('kubectl', ['config', 'current-context'], { env: merged })).stdout, 'k3d-bb\n')
  failed(await sb.run('kubectl', ['--context', 'k3d-zz', 'get', 'nodes']), 'error: context was not found for specified context: k3d-zz')

  // use-context writes the chosen file only
  const before = await readFile(homeCfg, 'utf8')
  ok(await sb.run('kubectl', ['config', 'use-context', 'k3d-aa'], { env: merged }))
  assert.equal(YAML.parse(await readFile(bFile, 'utf8'))['current-context'], 'k3d-aa')
  assert.equal(await readFile(homeCfg, 'utf8'), before)
  failed(await sb.run('kubectl', ['config', 'use-context', 'k3d-nope']), 'error: no context exists with the name: "k3d-nope"')

  // no kubeconfig at all
  const none = { KUBECONFIG: path.join(sb.root, 'absent.yaml') }
  failed(await sb.run('kubectl', ['config', 'current-context'], { env: none }), 'error: current-context is not set')
  failed(await sb.run('kubectl', ['get', 'nodes'], { env: none }), 'The connection to the server localhost:8080 was refused - did you specify the right host or port?')
  failed(await sb.run('kubectl', ['--kubeconfig', path.join(sb.root, 'absent.yaml'), 'get', 'nodes']), 'no such file or directory')
})

test('kubectl reaches running clusters only: readyz, stopped, absent, host.docker.internal, K3D_SIM_READYZ_FAILS', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const { api } = await create(sb, 'rdy')
  const kc = await kubeconfigFile(sb, 'rdy', path.join(sb.root, 'rdy.yaml'))
  const r = ok(await sb.run('kubectl', ['--kubeconfig', kc, '--request-timeout=2s', 'get', '--raw=/readyz']))
  assert.equal(r.stdout, 'ok')
  for (const host of ['0.0.0.0', '127.0.0.1']) {
    const other = await kubeconfigFile(sb, 'rdy', path.join(sb.root, `${host}.yaml`), host)
    ok(await sb.run('kubectl', ['--kubeconfig', other, 'get', '--raw', '/readyz']))
  }
  const hdi = await kubeconfigFile(sb, 'rdy', path.join(sb.root, 'hdi.yaml'), 'host.docker.internal')
  failed(await sb.run('kubectl', ['--kubeconfig', hdi, 'get', '--raw=/readyz']), 'Unable to connect to the server: dial tcp: lookup host.docker.internal: no such host')

  const env = { K3D_SIM_READYZ_FAILS: '2' }
  const refused = `The connection to the server localhost:${api} was refused - did you specify the right host or port?`
  failed(await sb.run('kubectl', ['--kubeconfig', kc, 'get', '--raw=/readyz'], { env }), refused)
  failed(await sb.run('kubectl', ['--kubeconfig', kc, 'get', '--raw=/readyz'], { env }), refused)
  ok(await sb.run('kubectl', ['--kubeconfig', kc, 'get', '--raw=/readyz'], { env }))

  ok(await sb.run('k3d', ['cluster', 'stop', 'rdy']))
  failed(await sb.run('kubectl', ['--kubeconfig', kc, 'get', '--raw=/readyz']), refused)
  failed(await sb.run('kubectl', ['--kubeconfig', kc, 'get', 'nodes']), refused)
  ok(await sb.run('k3d', ['cluster', 'start', 'rdy']))
  ok(await sb.run('kubectl', ['--kubeconfig', kc, 'get', '--raw=/readyz']))
  ok(await sb.run('k3d', ['cluster', 'delete', 'rdy']))
  failed(await sb.run('kubectl', ['--kubeconfig', kc, 'get', 'nodes']), refused)
})

test('kubectl rejects unknown flags and verbs; K3D_SIM_KUBECTL_FAIL fails one verb', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  ok((await create(sb, 'flags')).r)
  const kc = await kubeconfigFile(sb, 'flags', path.join(sb.root, 'f.yaml'))
  const r = failed(await sb.run('kubectl', ['--kubeconfig', kc, 'get', 'nodes', '--xyz']), 'error: unknown flag: --xyz')
  assert.match(r.stderr, /See 'kubectl get --help' for usage\./)
  failed(await sb.run('kubectl', ['--kubeconfig', kc, 'get', '--overwrite', 'nodes']), 'error: unknown flag: --overwrite')
  failed(await sb.run('kubectl', ['--kubeconfig', kc, 'frobnicate']), 'error: unknown command "frobnicate" for "kubectl"')
  failed(await sb.run('kubectl', ['--kubeconfig', kc, 'get', 'widgets']), `error: the server doesn't have a resource type "widgets"`)
  const env = { K3D_SIM_KUBECTL_FAIL: 'label' }
  failed(await sb.run('kubectl', ['--kubeconfig', kc, 'label', 'nodes', '--all', 'a=b'], { env }), 'error: simulated failure')
  ok(await sb.run('kubectl', ['--kubeconfig', kc, 'get', 'nodes'], { env }))
  // the other read-only views
  const ns = ok(await sb.run('kubectl', ['--kubeconfig', kc, 'get', 'ns', '-o', 'name']))
  assert.equal(ns.stdout, 'namespace/default\nnamespace/kube-node-lease\nnamespace/kube-public\nnamespace/kube-system\n')
  const svc = ok(await sb.run('kubectl', ['--kubeconfig', kc, 'get', 'svc', '-A']))
  assert.match(svc.stdout, /^NAMESPACE\s+NAME\s+TYPE\s+CLUSTER-IP/)
  assert.match(svc.stdout, /\ndefault\s+kubernetes\s+ClusterIP\s+10\.43\.0\.1\s/)
  const deploy = ok(await sb.run('kubectl', ['--kubeconfig', kc, 'get', 'deploy', '-A']))
  assert.match(deploy.stdout, /kube-system\s+coredns\s+1\/1/)
  assert.doesNotMatch(deploy.stdout, /traefik/, '--disable=traefik honoured')
  assert.match(ok(await sb.run('kubectl', ['--kubeconfig', kc, 'cluster-info'])).stdout, /Kubernetes control plane is running at https:\/\/localhost:\d+/)
  assert.match(ok(await sb.run('kubectl', ['--kubeconfig', kc, 'version'])).stdout, /Server Version: v1\.31\.5\+k3s1/)
})

test('kubectl label nodes --all: validation, --overwrite, results visible in get nodes', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  ok((await create(sb, 'lbl')).r)
  const kc = await kubeconfigFile(sb, 'lbl', path.join(sb.root, 'l.yaml'))
  const k = (...args: string[]) => sb.run('kubectl', ['--kubeconfig', kc, ...args])
  const r = ok(await k('label', 'nodes', '--all', 'developer=vitalii-se', 'email-hash=c18b4c', 'repository=threads-agent', '--overwrite'))
  assert.equal(r.stdout, 'node/k3d-lbl-agent-0 labeled\nnode/k3d-lbl-agent-1 labeled\nnode/k3d-lbl-server-0 labeled\n')
  assert.equal(ok(await k('label', 'nodes', '--all', 'developer=vitalii-se', '--overwrite')).stdout.split('\n')[0], 'node/k3d-lbl-agent-0 not labeled')
  failed(await k('label', 'nodes', '--all', 'developer=other'), "error: 'developer' already has a value (vitalii-se), and --overwrite is false")
  failed(await k('label', 'nodes', '--all', 'developer=has space', '--overwrite'), 'error: invalid label value: "developer=has space"')
  failed(await k('label', 'nodes', '--all', `developer=${'x'.repeat(64)}`, '--overwrite'), 'must be no more than 63 characters')
  failed(await k('label', 'nodes', '--all', 'developer=-edge', '--overwrite'), 'a valid label must be an empty string')
  failed(await k('label', 'nodes', '--all', 'bad key=v', '--overwrite'), 'name part must consist of alphanumeric characters')
  failed(await k('label', 'nodes', '--all'), 'error: at least one label update is required')
  failed(await k('label', 'nodes', 'k3d-lbl-nope', 'a=b'), 'Error from server (NotFound): nodes "k3d-lbl-nope" not found')
  ok(await k('label', 'nodes', '--all', `empty=`, `long=${'y'.repeat(63)}`))
  ok(await k('label', 'node/k3d-lbl-server-0', 'only=server'))
  const shown = ok(await k('get', 'nodes', '--show-labels'))
  assert.match(shown.stdout, /k3d-lbl-server-0 .*developer=vitalii-se,email-hash=c18b4c,empty=,/)
  const json = JSON.parse(ok(await k('get', 'nodes', '-o', 'json')).stdout) as { items: Array<{ metadata: { name: string; labels: Record<string, string> } }> }
  assert.equal(json.items.length, 3)
  for (const n of json.items) assert.equal(n.metadata.labels.repository, 'threads-agent')
  assert.equal(json.items.find((n) => n.metadata.name === 'k3d-lbl-server-0')!.metadata.labels.only, 'server')
  assert.equal(json.items.find((n) => n.metadata.name === 'k3d-lbl-agent-0')!.metadata.labels.only, undefined)
  assert.equal(ok(await k('get', 'nodes', '-l', 'only=server', '-o', 'name')).stdout, 'node/k3d-lbl-server-0\n')
})

test('kubectl configmap: dry-run needs no server, apply is idempotent, create fails on an existing one', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  // dry-run works with no kubeconfig and no cluster
  const dry = ok(await sb.run('kubectl', ['create', 'configmap', 'cluster-info', '--from-literal=cluster-name=demo',
    '--from-literal=created-at=2025-01-01T00:00:00Z', '--from-literal=developer=vitalii-se', '-n', 'default', '--dry-run=client', '-o', 'yaml']))
  assert.equal(dry.stdout, 'apiVersion: v1\ndata:\n  cluster-name: demo\n  created-at: 2025-01-01T00:00:00Z\n  developer: vitalii-se\nkind: ConfigMap\nmetadata:\n  creationTimestamp: null\n  name: cluster-info\n  namespace: default\n')
  failed(await sb.run('kubectl', ['create', 'configmap', 'x', '--from-literal=novalue', '--dry-run=client', '-o', 'yaml']), 'error: invalid literal source novalue')

  ok((await create(sb, 'cm')).r)
  const kc = await kubeconfigFile(sb, 'cm', path.join(sb.root, 'cm.yaml'))
  const k = (args: string[], input?: string) => sb.run('kubectl', ['--kubeconfig', kc, ...args], { input })
  assert.equal(ok(await k(['apply', '-f', '-'], dry.stdout)).stdout, 'configmap/cluster-info created\n')
  assert.equal(ok(await k(['apply', '-f', '-'], dry.stdout)).stdout, 'configmap/cluster-info unchanged\n')
  // zx's YAML (what lib/ writes) and JSON manifests too
  const changed = YAML.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cluster-info', namespace: 'default' }, data: { 'cluster-name': 'demo', developer: 'someone-else' } })
  assert.equal(ok(await k(['apply', '-f', '-'], changed)).stdout, 'configmap/cluster-info configured\n')
  assert.equal(ok(await k(['apply', '-f', '-'], changed)).stdout, 'configmap/cluster-info unchanged\n')
  const got = JSON.parse(ok(await k(['get', 'configmap', 'cluster-info', '-n', 'default', '-o', 'json'])).stdout) as { data: Record<string, string> }
  assert.deepEqual(got.data, { 'cluster-name': 'demo', developer: 'someone-else' })
  const asYaml = YAML.parse(ok(await k(['get', 'cm', 'cluster-info', '-o', 'yaml'])).stdout)
  assert.equal(asYaml.metadata.name, 'cluster-info')

  failed(await k(['create', 'configmap', 'cluster-info', '--from-literal=a=b']), 'error: failed to create configmap: configmaps "cluster-info" already exists')
  assert.equal(ok(await k(['create', 'configmap', 'fresh', '--from-literal=a=b'])).stdout, 'configmap/fresh created\n')
  const json = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fresh', namespace: 'default' }, data: { a: 'b' } })
  const adopted = ok(await k(['apply', '-f', '-'], json))
  assert.equal(adopted.stdout, 'configmap/fresh configured\n')
  assert.match(adopted.stderr, /missing the kubectl\.kubernetes\.io\/last-applied-configuration annotation/)
  failed(await k(['apply', '-f', '-'], changed.replace('namespace: default', 'namespace: nowhere')), 'namespaces "nowhere" not found')
  failed(await k(['apply', '-f', '-'], 'data:\n  a: b\n'), 'kind not set')
  failed(await k(['get', 'cm', 'nope']), 'Error from server (NotFound): configmaps "nope" not found')

  // per-cluster state is discarded with the cluster
  ok(await sb.run('k3d', ['cluster', 'delete', 'cm']))
  const again = await create(sb, 'cm')
  ok(again.r)
  const kc2 = await kubeconfigFile(sb, 'cm', path.join(sb.root, 'cm.yaml'))
  failed(await sb.run('kubectl', ['--kubeconfig', kc2, 'get', 'cm', 'cluster-info']), 'not found')
})
