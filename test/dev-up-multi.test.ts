import { test } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import path from 'node:path'
import { fs } from 'zx'
import { sandboxFor, REPO_ROOT, JUST } from './helpers/sandbox.ts'
import type { Sandbox, RunResult } from './helpers/sandbox.ts'
import { makeRepo } from './helpers/git.ts'
import { cksum } from '../lib/hash.ts'
import { probeHostPort } from '../lib/ports.ts'

const DEV_UP = path.join(REPO_ROOT, 'scripts', 'dev-up-multi.ts')
const PERSONAL = 'threads-agent-vitalii-se-c18b4c'


function devUp(sb: Sandbox, cwd: string, args: string[] = [], env: Record<string, string | undefined> = {}): Promise<RunResult> {
  return sb.run(DEV_UP, args, { cwd, env })
}

async function clusters(sb: Sandbox): Promise<Array<{ name: string; serversRunning: number }>> {
  const r = await sb.run('k3d', ['cluster', 'list', '-o', 'json'])
  assert.equal(r.code, 0, r.stderr)
  return JSON.parse(r.stdout)
}

/** Where k3d says a cluster's load balancer (80/tcp) and API (6443/tcp) are published: k3d's HostIp and HostPort. */
async function bindings(sb: Sandbox, name: string): Promise<{ lb: unknown; api: unknown }> {
  type Node = { role: string; portMappings?: Record<string, Array<{ HostIp: string; HostPort: string }>> }
  const c = (await clusters(sb)).find((x) => x.name === name) as unknown as { nodes: Node[] } | undefined
  const lb = c?.nodes.find((n) => n.role === 'loadbalancer')
  return { lb: lb?.portMappings?.['80/tcp']?.[0], api: lb?.portMappings?.['6443/tcp']?.[0] }
}

const metaFile = (sb: Sandbox, name: string) => path.join(sb.home, '.config', 'threads-agent', 'clusters', `${name}.json`)
const kubeconfigFile = (sb: Sandbox, name: string) => path.join(sb.home, '.kube', 'threads-agent', `config-${name}`)
const readMeta = async (sb: Sandbox, name: string) => JSON.parse(await fs.readFile(metaFile(sb, name), 'utf8'))
const mode = async (p: string) => (await fs.stat(p)).mode & 0o777

/** Waits until every one of PORTS is free on this machine; fails naming the ones still held after 20 s. */
async function waitFree(ports: number[]): Promise<void> {
  const deadline = Date.now() + 20_000
  for (;;) {
    const held = (await Promise.all(ports.map(async (p) => ((await probeHostPort(p)) ? null : p)))).filter((p) => p !== null)
    if (held.length === 0) return
    assert.ok(Date.now() < deadline, `port(s) ${held.join(', ')} held by another process for 20 s: the old script's ports cannot be checked`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

function json(r: RunResult) {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`)
  return JSON.parse(r.stdout)
}

/** Lines of stderr that carry the error (the ✗ line). */
const errorLines = (r: RunResult) => r.stderr.split('\n').filter((l) => l.startsWith('✗'))

test('personal and shared clusters get the names and (when free) the ports of the old script', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  const defaultKubeconfig = path.join(sb.home, '.kube', 'config')
  await fs.mkdir(path.dirname(defaultKubeconfig), { recursive: true })
  await fs.writeFile(defaultKubeconfig, 'apiVersion: v1\nkind: Config\ncurrent-context: mine\n')
  const before = await fs.readFile(defaultKubeconfig)

  for (const [args, name] of [[[], PERSONAL], [['--share'], 'threads-agent']] as const) {
    const offset = cksum(name) % 100
    // The old script's ports are checked, never skipped: a port held by something else on this
    // machine is waited for, and still held after 20 s fails the test naming it.
    await waitFree([8080 + offset, 6445 + offset])
    const result = json(await devUp(sb, repo, [...args, '--json']))
    assert.equal(result.name, name)
    assert.equal(result.action, 'create')
    assert.deepEqual([result.lb_port, result.api_port], [8080 + offset, 6445 + offset])
    const meta = await readMeta(sb, name)
    assert.deepEqual(
      Object.keys(meta).sort(),
      ['api_port', 'bind_address', 'created_at', 'developer', 'email', 'k3d_version', 'kubeconfig', 'lb_port', 'name', 'repository', 'shared'],
    )
    assert.equal(meta.bind_address, '127.0.0.1')
    assert.equal(meta.developer, 'Vitalii Serbyn')
    assert.equal(meta.shared, args.length > 0)
    assert.match(meta.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    assert.equal(meta.kubeconfig, kubeconfigFile(sb, name))
    const kcfg = await fs.readFile(kubeconfigFile(sb, name), 'utf8')
    assert.match(kcfg, new RegExp(`server: https://localhost:${result.api_port}`))
    assert.equal(await mode(kubeconfigFile(sb, name)), 0o600)
    assert.equal(await mode(metaFile(sb, name)), 0o600)
    assert.equal(await mode(path.dirname(kubeconfigFile(sb, name))), 0o700)
    assert.equal(await mode(path.dirname(metaFile(sb, name))), 0o700)
    // The kubeconfig really reaches the cluster, and the steps after create happened.
    const nodes = await sb.run('kubectl', ['--kubeconfig', kubeconfigFile(sb, name), 'get', 'nodes', '--show-labels'])
    assert.equal(nodes.code, 0, nodes.stderr)
    assert.match(nodes.stdout, /developer=vitalii-se/)
    assert.match(nodes.stdout, /repository=threads-agent/)
    const cm = await sb.run('kubectl', ['--kubeconfig', kubeconfigFile(sb, name), 'get', 'configmap', 'cluster-info', '-n', 'default', '-o', 'json'])
    assert.equal(JSON.parse(cm.stdout).data['cluster-name'], name)
  }
  assert.deepEqual(await fs.readFile(defaultKubeconfig), before, '~/.kube/config is byte-identical')
  // k3d v5.8.3 reads the cluster as a config document on stdin (its kubeconfig options say: leave ~/.kube/config alone)
  const create = sb.calls('k3d').find((c) => c.args[1] === 'create')!
  assert.deepEqual(create.args, ['cluster', 'create', PERSONAL, '--config', '-'])
})

test('human output ends with the summary and the export line', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  const r = await devUp(sb, repo)
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, new RegExp(`✓ Cluster '${PERSONAL}' created successfully!`))
  assert.match(r.stdout, /LoadBalancer: http:\/\/localhost:\d+/)
  assert.match(r.stdout, /API Server: https:\/\/localhost:\d+/)
  assert.ok(r.stdout.trimEnd().endsWith(`export KUBECONFIG="${kubeconfigFile(sb, PERSONAL)}"`), r.stdout)
})

test('two identities in one repo and one identity in two repos: distinct clusters, ports, kubeconfigs', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const alice = await makeRepo(sb, { dir: 'alice/threads-agent', userName: 'Alice Smith', email: 'alice@example.com' })
  const bob = await makeRepo(sb, { dir: 'bob/threads-agent', userName: 'Bob Jones', email: 'bob@example.com' })
  const other = await makeRepo(sb, { dir: 'another', remote: 'git@github.com:vitamin33/another-project.git', userName: 'Alice Smith', email: 'alice@example.com' })
  // A listener on Alice's preferred port must be skipped.
  const aliceName = 'threads-agent-alice-smit-c160f8'
  const preferred = 8080 + (cksum(aliceName) % 100)
  const blocker = net.createServer()
  // Held by us, or already by something else (EADDRINUSE): either way it is held, so the check
  // below always runs; any other error fails here.
  await new Promise<void>((resolve, reject) => {
    blocker.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve() : reject(err)))
    blocker.listen(preferred, '127.0.0.1', () => resolve())
  })
  try {
    const results = []
    for (const cwd of [alice, bob, other]) results.push(json(await devUp(sb, cwd, ['--json'])))
    assert.deepEqual(results.slice(0, 2).map((r) => r.name), [aliceName, 'threads-agent-bob-jones-4b9bb8'])
    assert.match(results[2].name, /^another-.*-alice-smit-c160f8$/)
    assert.equal(new Set(results.flatMap((r) => [r.lb_port, r.api_port])).size, 6)
    assert.equal(new Set(results.map((r) => r.kubeconfig)).size, 3)
    assert.notEqual(results[0].lb_port, preferred)
  } finally {
    blocker.close()
  }
})

test('8 concurrent runs for 8 identities: 8 clusters, 16 distinct ports, 8 valid metadata files', async (t) => {
  const sb = await sandboxFor(t) // end to end: concurrent processes
  const repos = await Promise.all(
    Array.from({ length: 8 }, (_, i) => makeRepo(sb, { dir: `agent${i}/threads-agent`, userName: `Agent ${i}`, email: `agent${i}@example.com` })),
  )
  // Create latency widens the window in which runs overlap.
  const results = await Promise.all(repos.map((cwd) => devUp(sb, cwd, ['--json'], { K3D_SIM_CREATE_DELAY_MS: '300' })))
  const out = results.map(json)
  assert.equal(new Set(out.map((r) => r.name)).size, 8)
  assert.equal(new Set(out.flatMap((r) => [r.lb_port, r.api_port])).size, 16)
  assert.equal((await clusters(sb)).length, 8)
  const files = await fs.readdir(path.dirname(metaFile(sb, 'x')))
  assert.equal(files.filter((f) => f.endsWith('.json')).length, 8)
  for (const r of out) assert.equal((await readMeta(sb, r.name)).lb_port, r.lb_port)
  assert.deepEqual(await fs.readdir(path.join(sb.home, '.config', 'threads-agent', 'reservations')), [], 'no reservation left')
})

test('rerun reuses, --force recreates with the same ports, a stopped cluster is started', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  const first = json(await devUp(sb, repo, ['--json']))
  const metaBefore = await fs.readFile(metaFile(sb, PERSONAL), 'utf8')
  const createsBefore = sb.calls('k3d').filter((c) => c.args[1] === 'create').length

  const again = json(await devUp(sb, repo, ['--json']))
  assert.equal(again.action, 'reuse')
  assert.deepEqual([again.lb_port, again.api_port], [first.lb_port, first.api_port])
  assert.equal(await fs.readFile(metaFile(sb, PERSONAL), 'utf8'), metaBefore, 'metadata unchanged')
  assert.equal(sb.calls('k3d').filter((c) => c.args[1] === 'create').length, createsBefore, 'no create on reuse')

  assert.equal((await sb.run('k3d', ['cluster', 'stop', PERSONAL])).code, 0)
  const started = await devUp(sb, repo)
  assert.equal(started.code, 0, started.stderr)
  assert.match(started.stdout, /already exists/)
  assert.equal((await clusters(sb))[0]!.serversRunning, 1)

  const forced = json(await devUp(sb, repo, ['--force', '--json']))
  assert.equal(forced.action, 'recreate')
  assert.deepEqual([forced.lb_port, forced.api_port], [first.lb_port, first.api_port])
  assert.equal(sb.calls('k3d').filter((c) => c.args[1] === 'delete').length, 1)
})

test('an existing cluster without metadata is adopted with the ports k3d reports', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  const lb = await freePort()
  const api = await freePort()
  assert.equal((await sb.run('k3d', ['cluster', 'create', PERSONAL, '-p', `${lb}:80@loadbalancer`, '--api-port', String(api), '--kubeconfig-update-default=false'])).code, 0)
  const r = json(await devUp(sb, repo, ['--json']))
  assert.equal(r.action, 'reuse')
  assert.deepEqual([r.lb_port, r.api_port], [lb, api])
  const meta = await readMeta(sb, PERSONAL)
  assert.deepEqual([meta.lb_port, meta.api_port], [lb, api])
})

test('a fresh cluster listens on 127.0.0.1 only; bind_address 0.0.0.0 (or BIND_ADDRESS) shares it, with a warning', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  const first = await devUp(sb, repo, ['--json'])
  const r = json(first)
  assert.deepEqual(await bindings(sb, r.name), { lb: { HostIp: '127.0.0.1', HostPort: String(r.lb_port) }, api: { HostIp: '127.0.0.1', HostPort: String(r.api_port) } })
  assert.equal(r.bind_address, '127.0.0.1')
  assert.doesNotMatch(first.stderr, /shared with the network/)
  // the kubeconfig names localhost either way
  assert.match(await fs.readFile(kubeconfigFile(sb, r.name), 'utf8'), new RegExp(`server: https://localhost:${r.api_port}\n`))

  await fs.writeFile(path.join(repo, 'multi-cluster.config.json'), JSON.stringify({ bind_address: '0.0.0.0' }))
  const shared = await devUp(sb, repo, ['--force', '--json'])
  const s = json(shared)
  assert.deepEqual(await bindings(sb, s.name), { lb: { HostIp: '0.0.0.0', HostPort: String(s.lb_port) }, api: { HostIp: '0.0.0.0', HostPort: String(s.api_port) } })
  assert.match(shared.stderr, /bind_address 0\.0\.0\.0 \(every interface: reachable from the network\): the cluster's API server and load balancer are shared with the network/)
  assert.match(await fs.readFile(kubeconfigFile(sb, s.name), 'utf8'), new RegExp(`server: https://localhost:${s.api_port}\n`))
  // a cluster that stays keeps its binding, whatever the config says now
  await fs.rm(path.join(repo, 'multi-cluster.config.json'))
  assert.equal(json(await devUp(sb, repo, ['--json'])).bind_address, '0.0.0.0')
  // BIND_ADDRESS wins over the file; a bad one is a usage error
  const env = await devUp(sb, repo, ['--force', '--json'], { BIND_ADDRESS: '0.0.0.0' })
  assert.equal(json(env).bind_address, '0.0.0.0')
  const bad = await devUp(sb, repo, ['--dry-run'], { BIND_ADDRESS: 'localhost' })
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /BIND_ADDRESS: expected an IPv4 address/)
})

test('--dry-run changes nothing and prints the plan; --json adds the spec fields', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  const plan = json(await devUp(sb, repo, ['--dry-run', '--json', '--tag', 'v1.0.0']))
  assert.deepEqual(
    Object.keys(plan).sort(),
    ['action', 'api_port', 'bind_address', 'developer', 'email', 'email_hash', 'k3d_args', 'k3d_config', 'kubeconfig', 'lb_port', 'metadata_file', 'name', 'registry', 'repository', 'shared'].sort(),
  )
  assert.equal(plan.bind_address, '127.0.0.1')
  assert.equal(plan.registry, null)
  assert.equal(plan.k3d_config.apiVersion, 'k3d.io/v1alpha5')
  assert.equal(plan.k3d_config.metadata.name, PERSONAL)
  assert.equal(plan.action, 'create')
  assert.equal(plan.email_hash, 'c18b4c')
  assert.deepEqual(plan.k3d_args.slice(0, 3), ['cluster', 'create', PERSONAL])
  assert.ok(plan.k3d_args.includes('--kubeconfig-update-default=false'))
  const human = await devUp(sb, repo, ['--dry-run'])
  assert.equal(human.code, 0)
  assert.match(human.stdout, /Dry run: would create cluster/)
  assert.equal((await clusters(sb)).length, 0)
  assert.equal(await fs.pathExists(path.join(sb.home, '.config')), false, 'a dry run creates no file, not even the lock')
  assert.equal(await fs.pathExists(path.join(sb.home, '.kube')), false)
  assert.equal(sb.calls('k3d').filter((c) => ['create', 'delete'].includes(c.args[1]!)).length, 0)
})

test('a port lost between probe and create is chosen again (bounded)', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  const r = await devUp(sb, repo, ['--json'], { K3D_SIM_FAIL_CREATES: '1' })
  const out = json(r)
  assert.match(r.stderr, /port was taken between the check and the create/)
  const creates = sb.calls('k3d').filter((c) => c.args[1] === 'create')
  assert.equal(creates.length, 2)
  // the document goes on stdin: the ports each attempt chose are in its log lines
  const chosen = [...r.stderr.matchAll(/LoadBalancer port: (\d+)/g)].map((m) => Number(m[1]))
  assert.equal(chosen.length, 2)
  assert.notEqual(chosen[0], chosen[1])
  assert.equal(chosen[1], out.lb_port)
  assert.deepEqual(await bindings(sb, out.name), { lb: { HostIp: '127.0.0.1', HostPort: String(out.lb_port) }, api: { HostIp: '127.0.0.1', HostPort: String(out.api_port) } })

  const sb2 = await sandboxFor(t, { inProcess: true })
  const repo2 = await makeRepo(sb2)
  const fail = await devUp(sb2, repo2, [], { K3D_SIM_FAIL_CREATES: '10' })
  assert.equal(fail.code, 1)
  assert.equal(sb2.calls('k3d').filter((c) => c.args[1] === 'create').length, 4)
  assert.equal(errorLines(fail).length, 1)
  assert.match(errorLines(fail)[0]!, /port is already allocated/)
  assert.equal(await fs.pathExists(metaFile(sb2, PERSONAL)), false)
})

test('failures end with the right exit code, one line, and nothing stray', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ K3D_SIM_CREATE_ERROR: 'failed to pull image rancher/k3s' }, /k3d cluster create failed: .*failed to pull image/],
    [{ K3D_SIM_DOCKER_DOWN: '1' }, /docker: the Docker daemon is not running — start Docker/],
    [{ K3D_SIM_KUBECTL_FAIL: 'label' }, /node labels failed: .*simulated failure; the half-made cluster .* was deleted again/],
    [{ K3D_SIM_KUBECTL_FAIL: 'apply' }, /cluster-info configmap failed/],
  ]
  for (const [env, re] of cases) {
    const r = await devUp(sb, repo, [], env)
    assert.equal(r.code, 1, `${JSON.stringify(env)}: ${r.stderr}`)
    assert.equal(errorLines(r).length, 1, r.stderr)
    assert.match(errorLines(r)[0]!, re)
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace')
    assert.equal(await fs.pathExists(metaFile(sb, PERSONAL)), false)
    assert.equal(await fs.pathExists(kubeconfigFile(sb, PERSONAL)), false)
    assert.equal((await clusters(sb)).length, 0)
  }
})

test('missing tools and identity stop the run with the fix (exit 1); bad flags print usage (exit 2)', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const noName = await makeRepo(sb, { dir: 'noname', userName: null })
  const r1 = await devUp(sb, noName)
  assert.equal(r1.code, 1)
  assert.match(errorLines(r1)[0]!, /git identity: git user.name is not set — git config user.name/)
  const notRepo = path.join(sb.root, 'plain')
  await fs.mkdir(notRepo)
  const r2 = await devUp(sb, notRepo)
  assert.equal(r2.code, 1)
  assert.match(errorLines(r2)[0]!, /not inside a git repository/)
  const repo = await makeRepo(sb)
  const r3 = await devUp(sb, repo, ['--bogus'])
  assert.equal(r3.code, 2)
  assert.match(r3.stderr, /unknown flag: --bogus/)
  assert.match(r3.stderr, /Usage: dev-up-multi.ts/)
  const r4 = await devUp(sb, repo, [], { K3D_SIM_VERSION: 'v4.4.8' })
  assert.equal(r4.code, 1)
  assert.match(errorLines(r4)[0]!, /k3d: v4.4.8 is too old — upgrade to k3d v5\+/)
  const noEmail = await makeRepo(sb, { dir: 'noemail', email: null })
  const r5 = await devUp(sb, noEmail, ['--dry-run', '--json'])
  assert.equal(json(r5).email, 'unknown@example.com')
  assert.match(r5.stderr, /user.email is not set/)
})

test('images that exist locally are imported in one k3d call with the tag applied', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  const images = ['ghcr.io/threads-agent-stack/orchestrator:v1.0.0', 'ghcr.io/threads-agent-stack/fake-threads:v1.0.0', 'bitnami/postgresql:16']
  const r = await devUp(sb, repo, ['--tag', 'v1.0.0'], { K3D_SIM_IMAGES: [...images, 'ghcr.io/threads-agent-stack/orchestrator:local'].join(',') })
  assert.equal(r.code, 0, r.stderr)
  const imports = sb.calls('k3d').filter((c) => c.args[0] === 'image')
  assert.equal(imports.length, 1)
  assert.deepEqual(imports[0]!.args, ['image', 'import', ...images, '-c', PERSONAL])
  // One summary line naming the four absent images and how to get them; the import line names what it imports.
  const missing = r.stderr.split('\n').filter((l) => /not found locally/.test(l))
  assert.equal(missing.length, 1, r.stderr)
  assert.match(missing[0]!, /4 configured image\(s\) not found locally, not imported: ghcr\.io\/threads-agent-stack\/celery-worker:v1\.0\.0, .*qdrant\/qdrant:v1\.9\.4 — build them .*"images" in multi-cluster\.config\.json/)
  assert.match(r.stdout, /Importing 3 image\(s\) into '[^']+': ghcr\.io\/threads-agent-stack\/orchestrator:v1\.0\.0, ghcr\.io\/threads-agent-stack\/fake-threads:v1\.0\.0, bitnami\/postgresql:16/)
})

test('the image lookup starts with the steps, not after the readiness wait; labels and configmap run at once', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  // A slow create: a lookup that waited for the cluster would come after `k3d kubeconfig get`.
  const r = await devUp(sb, repo, [], { K3D_SIM_CREATE_DELAY_MS: '1500', K3D_SIM_IMAGES: 'ghcr.io/threads-agent-stack/orchestrator:local' })
  assert.equal(r.code, 0, r.stderr)
  const order = sb.calls().map((c) => `${c.tool} ${c.args.filter((a) => !a.startsWith('/') && !a.startsWith('--kubeconfig') && !a.startsWith('--request-timeout')).slice(0, 2).join(' ')}`)
  const at = (call: string) => {
    const i = order.indexOf(call)
    assert.ok(i >= 0, `${call} in ${order.join(', ')}`)
    return i
  }
  assert.ok(at('docker image inspect') < at('k3d kubeconfig get'), order.join(', '))
  assert.ok(at('k3d image import') > at('kubectl get --raw=/readyz'), 'the import itself still waits for the cluster')
  assert.ok(at('kubectl label nodes') > at('kubectl get --raw=/readyz') && at('kubectl apply -f') > at('kubectl get --raw=/readyz'))
})

test('Ctrl-C during create leaves no cluster, no metadata, no reservation', async (t) => {
  const sb = await sandboxFor(t) // end to end: a signal
  const repo = await makeRepo(sb)
  const { spawn } = await import('node:child_process')
  const child = spawn(DEV_UP, [], { cwd: repo, env: { ...sb.env, K3D_SIM_CREATE_DELAY_MS: '4000' }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  // Wait until the create call has been made, then interrupt.
  for (let i = 0; i < 100 && !sb.calls('k3d').some((c) => c.args[1] === 'create'); i++) await new Promise((r) => setTimeout(r, 50))
  child.kill('SIGINT')
  const code = await new Promise((r) => child.on('exit', (c) => r(c)))
  assert.equal(code, 130, stderr)
  assert.equal((await clusters(sb)).length, 0)
  // Undone once: the flow deletes the half-made cluster, not the flow and a signal handler both.
  assert.equal(sb.calls('k3d').filter((c) => c.args[1] === 'delete').length, 1)
  assert.equal(await fs.pathExists(metaFile(sb, PERSONAL)), false)
  assert.equal(await fs.pathExists(kubeconfigFile(sb, PERSONAL)), false)
  const reservations = path.join(sb.home, '.config', 'threads-agent', 'reservations')
  assert.deepEqual((await fs.pathExists(reservations)) ? await fs.readdir(reservations) : [], [])
})

test('just recipes pass their words intact and name the cluster after the calling repository', async (t) => {
  const sb = await sandboxFor(t) // end to end: the recipes
  const repo = await makeRepo(sb)
  const just = JUST
  const justfile = path.join(REPO_ROOT, 'justfile')
  const shared = await sb.run(just, ['--justfile', justfile, '--working-directory', '.', 'bootstrap-multi', '--share', '--tag', 'v1.0.0', '--json'], {
    cwd: repo,
    env: { K3D_SIM_IMAGES: 'ghcr.io/threads-agent-stack/orchestrator:v1.0.0' },
  })
  assert.equal(json(shared).name, 'threads-agent')
  assert.deepEqual(sb.calls('k3d').find((c) => c.args[0] === 'image')!.args, ['image', 'import', 'ghcr.io/threads-agent-stack/orchestrator:v1.0.0', '-c', 'threads-agent'])
  const forced = await sb.run(just, ['--justfile', justfile, '--working-directory', '.', 'bootstrap-multi', '--share', '--force', '--json'], { cwd: repo })
  assert.equal(json(forced).action, 'recreate')
  // Scenario 2: the same justfile from another repository.
  const other = await makeRepo(sb, { dir: 'another-project', remote: 'https://github.com/x/another-project.git' })
  const sub = path.join(other, 'src', 'deep')
  await fs.mkdir(sub, { recursive: true })
  const r = await sb.run(just, ['--justfile', justfile, '--working-directory', '.', 'bootstrap-multi', 'share', '--dry-run', '--json'], { cwd: sub })
  assert.equal(json(r).name, 'another-project')
  const legacy = await sb.run(just, ['--justfile', justfile, 'bootstrap', '--dry-run', '--json'], { cwd: repo })
  assert.equal(json(legacy).name, 'dev')
})

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer()
    s.listen(0, '0.0.0.0', () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
  })
}

test('Ctrl-C in a terminal (SIGINT to the whole process group) during create leaves no cluster', async (t) => {
  const sb = await sandboxFor(t) // end to end: a signal to the process group
  const repo = await makeRepo(sb)
  const { spawn } = await import('node:child_process')
  const child = spawn(DEV_UP, [], { cwd: repo, env: { ...sb.env, K3D_SIM_CREATE_DELAY_MS: '4000' }, stdio: 'ignore', detached: true })
  for (let i = 0; i < 100 && !sb.calls('k3d').some((c) => c.args[1] === 'create'); i++) await new Promise((r) => setTimeout(r, 50))
  process.kill(-child.pid!, 'SIGINT')
  await new Promise((r) => child.on('exit', r))
  assert.deepEqual((await clusters(sb)).map((c) => c.name), [])
  assert.equal(await fs.pathExists(metaFile(sb, PERSONAL)), false)
})

test('the same identity bootstrapping twice at once: one creates, the other never half-reuses', async (t) => {
  const sb = await sandboxFor(t) // end to end: concurrent processes
  const repo = await makeRepo(sb)
  const env = { K3D_SIM_CREATE_DELAY_MS: '1500' }
  const [a, b] = await Promise.all([devUp(sb, repo, [], env), devUp(sb, repo, [], env)])
  assert.equal(sb.calls('k3d').filter((c) => c.args[1] === 'create').length, 1)
  for (const r of [a, b]) {
    assert.doesNotMatch(r.stdout + r.stderr, /Starting stopped cluster|Adopted/)
    if (r.code !== 0) assert.match(errorLines(r)[0]!, /is being created by another run \(pid \d+\)/)
  }
  assert.ok([a, b].some((r) => r.code === 0))
})

test('--force and delete leave a default kubeconfig that names the cluster byte-identical; bad READY_TIMEOUT is exit 2', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  json(await devUp(sb, repo, ['--json']))
  // The user merged the cluster into their own kubeconfig (k3d kubeconfig merge): k3d delete would rewrite it.
  const mine = path.join(sb.root, 'mine.yaml')
  await fs.copy(kubeconfigFile(sb, PERSONAL), mine)
  const before = await fs.readFile(mine)
  assert.equal(json(await devUp(sb, repo, ['--force', '--json'], { KUBECONFIG: mine })).action, 'recreate')
  const del = await sb.run(path.join(REPO_ROOT, 'scripts', 'cluster-manager.ts'), ['delete', PERSONAL, '--yes'], { cwd: repo, env: { KUBECONFIG: mine } })
  assert.equal(del.code, 0, del.stderr)
  assert.deepEqual(await fs.readFile(mine), before)
  const bad = await devUp(sb, repo, [], { READY_TIMEOUT: 'abc' })
  assert.equal(bad.code, 2)
  assert.match(errorLines(bad)[0]!, /READY_TIMEOUT must be a number/)
})
