import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { fs } from 'zx'
import { sandboxFor, REPO_ROOT, ok, FROM_SNAPSHOT } from './helpers/sandbox.ts'
import type { Sandbox, RunResult } from './helpers/sandbox.ts'
import { probeHostPort } from '../lib/ports.ts'
import { run as realRun } from '../lib/proc.ts'
import type { Runner } from '../lib/proc.ts'
import { K3d } from '../lib/k3d.ts'
import { Output } from '../lib/output.ts'
import { paths } from '../lib/paths.ts'
import { Registry } from '../lib/registry.ts'
import type { Context } from '../lib/commands/context.ts'
import { dispatch } from '../lib/commands/index.ts'
import { parseArgs } from '../lib/commands/args.ts'
import { OperationError } from '../lib/errors.ts'
import { portHolder } from '../lib/commands/startstop.ts'
import { exportLine } from '../lib/commands/details.ts'
import type { K3dCluster } from '../lib/k3d.ts'
import net from 'node:net'

const MANAGER = path.join(REPO_ROOT, 'scripts', 'cluster-manager.ts')
const DEV_UP = path.join(REPO_ROOT, 'scripts', 'dev-up-multi.ts')
/** How hints name a command when the script ran by its absolute path from outside this checkout. */
const CLEANUP_HINT = `${MANAGER} cleanup`
const SPEC_FIELDS = ['name', 'active', 'status', 'managed', 'repository', 'developer', 'email', 'shared', 'lb_port', 'api_port', 'bind_address', 'registry', 'kubeconfig', 'created_at']


const manager = (sb: Sandbox, args: string[], env: Record<string, string | undefined> = {}): Promise<RunResult> =>
  sb.run(MANAGER, args, { cwd: sb.root, env })

const json = (r: RunResult) => JSON.parse(ok(r).stdout)
const lines = (text: string) => text.replace(/\n$/, '').split('\n')

// ---------------------------------------------------------------- files
const configDir = (sb: Sandbox) => path.join(sb.home, '.config', 'threads-agent')
const metaFile = (sb: Sandbox, name: string) => path.join(configDir(sb), 'clusters', `${name}.json`)
const kubeconfigFile = (sb: Sandbox, name: string) => path.join(sb.home, '.kube', 'threads-agent', `config-${name}`)
const pointerFile = (sb: Sandbox) => path.join(configDir(sb), 'current')
const previousFile = (sb: Sandbox) => path.join(configDir(sb), 'previous')
const exists = (p: string) => fs.pathExists(p)

/** Every file under HOME with its content, to prove a command touched nothing. */
async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const walk = async (d: string): Promise<void> => {
    for (const e of await fs.readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(d, e.name)
      if (e.isDirectory()) await walk(p)
      else out[path.relative(dir, p)] = await fs.readFile(p, 'utf8')
    }
  }
  await walk(dir)
  return out
}

// ---------------------------------------------------------------- clusters
const usedPorts = new Set<number>()

/** Ports free right now, from a range the simulator's random ports (30000+) never use. */
async function freePorts(n: number): Promise<number[]> {
  const ports: number[] = []
  while (ports.length < n) {
    const p = 20000 + Math.floor(Math.random() * 9000)
    if (usedPorts.has(p) || !(await probeHostPort(p))) continue
    usedPorts.add(p)
    ports.push(p)
  }
  return ports
}

interface Ports {
  lb: number
  api: number
}

/** `k3d cluster create` of the simulator itself, as a user outside this tool would. */
async function k3dCreate(sb: Sandbox, name: string, ports?: Partial<Ports>): Promise<Ports> {
  for (let attempt = 0; ; attempt++) {
    const [lb, api] = await freePorts(2)
    const chosen = { lb: ports?.lb ?? lb!, api: ports?.api ?? api! }
    const r = await sb.run('k3d', ['cluster', 'create', name, '-p', `${chosen.lb}:80@loadbalancer`, '--api-port', String(chosen.api), '--kubeconfig-update-default=false'])
    if (r.code === 0) return chosen
    if (attempt < 3 && !ports && /already allocated/.test(r.stderr)) continue // taken since the probe
    assert.fail(`k3d cluster create ${name}: ${r.stderr}`)
  }
}

async function k3dClusters(sb: Sandbox): Promise<Array<{ name: string; serversRunning: number }>> {
  return JSON.parse(ok(await sb.run('k3d', ['cluster', 'list', '-o', 'json'])).stdout)
}

interface MetaInput {
  name: string
  repository: string
  developer: string
  email: string
  ports: Ports
  created: string
  shared?: boolean
  kubeconfig?: string
}

/** A metadata file as dev-up-multi.ts writes it (indented JSON, maybe more fields). */
async function writeMeta(sb: Sandbox, m: MetaInput): Promise<void> {
  const data = {
    name: m.name, repository: m.repository, developer: m.developer, email: m.email, lb_port: m.ports.lb, api_port: m.ports.api,
    kubeconfig: m.kubeconfig ?? kubeconfigFile(sb, m.name), created_at: m.created, k3d_version: 'v5.8.3', shared: !!m.shared,
    email_hash: 'a1b2c3',
  }
  await fs.outputFile(metaFile(sb, m.name), `${JSON.stringify(data, null, 2)}\n`)
}

/** A metadata file byte for byte as the old script's heredoc wrote it (bare true/false, "" version). */
async function writeOldMeta(sb: Sandbox, m: MetaInput, k3dVersion = ''): Promise<void> {
  const text = `{
  "name": "${m.name}",
  "repository": "${m.repository}",
  "developer": "${m.developer}",
  "email": "${m.email}",
  "lb_port": ${m.ports.lb},
  "api_port": ${m.ports.api},
  "kubeconfig": "${m.kubeconfig ?? kubeconfigFile(sb, m.name)}",
  "created_at": "${m.created}",
  "k3d_version": "${k3dVersion}",
  "shared": ${m.shared ? 'true' : 'false'}
}
`
  await fs.outputFile(metaFile(sb, m.name), text)
}

const person = (name: string, ports: Ports, extra: Partial<MetaInput> = {}): MetaInput => ({
  name, repository: 'threads-agent', developer: 'Vitalii Serbyn', email: 'vitaliis@example.com', ports, created: '2025-07-22T10:30:00Z', ...extra,
})

/** A managed, running cluster. */
async function managed(sb: Sandbox, name: string, extra: Partial<MetaInput> = {}): Promise<Ports> {
  const ports = await k3dCreate(sb, name)
  await writeMeta(sb, person(name, ports, extra))
  return ports
}

const countCalls = (sb: Sandbox, tool: 'k3d' | 'kubectl') => sb.calls(tool).length

// ---------------------------------------------------------------- list
describe('list', () => {
  test("shows managed, stopped, unmanaged and missing clusters in the guide's layout, from one k3d call", async (t) => {
    const sb = await sandboxFor(t, { inProcess: true })
    const alpha = await k3dCreate(sb, 'alpha-vitalii-a1b2c3')
    await writeMeta(sb, person('alpha-vitalii-a1b2c3', alpha, { repository: 'alpha' }))
    const bravo = await k3dCreate(sb, 'bravo')
    await writeOldMeta(sb, { name: 'bravo', repository: 'bravo', developer: 'John Doe', email: 'john@example.com', ports: bravo, created: '2025-07-22T09:15:00Z', shared: true }, 'v5.8.3')
    ok(await sb.run('k3d', ['cluster', 'stop', 'bravo']))
    const dev = await k3dCreate(sb, 'dev')
    await writeMeta(sb, person('zulu-ghost-d4e5f6', { lb: 8123, api: 6523 }, { repository: 'zulu', developer: 'Ghost', email: 'ghost@example.com', created: '2025-07-21T08:00:00Z' }))
    await fs.outputFile(pointerFile(sb), 'alpha-vitalii-a1b2c3\n')
    const k3dBefore = countCalls(sb, 'k3d')
    const kubectlBefore = countCalls(sb, 'kubectl')

    const r = ok(await manager(sb, ['list']))
    assert.deepEqual(lines(r.stdout), [
      'Available k3d clusters:',
      '',
      '● Active (current):',
      '  Cluster: alpha-vitalii-a1b2c3',
      '  Repository: alpha',
      '  Developer: Vitalii Serbyn <vitaliis@example.com>',
      '  Type: Personal',
      `  LoadBalancer: http://localhost:${alpha.lb}`,
      `  API Server: https://localhost:${alpha.api}`,
      '  Bound to: 0.0.0.0 (every interface: reachable from the network)',
      '  Created: 2025-07-22T10:30:00Z',
      '  Status: running',
      '',
      '○ Inactive (not current):',
      '  Cluster: bravo',
      '  Repository: bravo',
      '  Developer: John Doe <john@example.com>',
      '  Type: Shared',
      `  LoadBalancer: http://localhost:${bravo.lb}`,
      `  API Server: https://localhost:${bravo.api}`,
      '  Bound to: 0.0.0.0 (every interface: reachable from the network)',
      '  Created: 2025-07-22T09:15:00Z',
      '  Status: stopped',
      '',
      '  Cluster: dev (unmanaged: created outside this tool)',
      `  LoadBalancer: http://localhost:${dev.lb}`,
      `  API Server: https://localhost:${dev.api}`,
      '  Bound to: 0.0.0.0 (every interface: reachable from the network)',
      '  Status: running',
      '',
      '  Cluster: zulu-ghost-d4e5f6',
      '  Repository: zulu',
      '  Developer: Ghost <ghost@example.com>',
      '  Type: Personal',
      '  LoadBalancer: http://localhost:8123',
      '  API Server: https://localhost:6523',
      '  Created: 2025-07-21T08:00:00Z',
      `  Status: missing (no such k3d cluster; ${CLEANUP_HINT} removes its files)`,
    ])
    assert.equal(r.stderr, '')
    assert.deepEqual(sb.calls('k3d').slice(k3dBefore).map((c) => c.args), [['cluster', 'list', '-o', 'json']])
    assert.equal(countCalls(sb, 'kubectl'), kubectlBefore)

    const views = json(await manager(sb, ['ls', '--json']))
    assert.ok(Array.isArray(views))
    for (const v of views) assert.deepEqual(Object.keys(v), SPEC_FIELDS)
    assert.deepEqual(views[0], {
      name: 'alpha-vitalii-a1b2c3', active: true, status: 'running', managed: true, repository: 'alpha', developer: 'Vitalii Serbyn',
      email: 'vitaliis@example.com', shared: false, lb_port: alpha.lb, api_port: alpha.api, bind_address: '0.0.0.0', registry: null,
      kubeconfig: kubeconfigFile(sb, 'alpha-vitalii-a1b2c3'), created_at: '2025-07-22T10:30:00Z',
    })
    assert.deepEqual(views.map((v: { name: string; status: string; managed: boolean; active: boolean; shared: boolean | null }) => [v.name, v.status, v.managed, v.active, v.shared]), [
      ['alpha-vitalii-a1b2c3', 'running', true, true, false],
      ['bravo', 'stopped', true, false, true],
      ['dev', 'running', false, false, null],
      ['zulu-ghost-d4e5f6', 'missing', true, false, false],
    ])
    assert.deepEqual(views[2], {
      name: 'dev', active: false, status: 'running', managed: false, repository: null, developer: null, email: null,
      shared: null, lb_port: dev.lb, api_port: dev.api, bind_address: '0.0.0.0', registry: null, kubeconfig: null, created_at: null,
    })
  })

  test('no clusters at all: a warning and the hint, exit 0; --json is []', async (t) => {
    const sb = await sandboxFor(t, { inProcess: true })
    const r = ok(await manager(sb, ['list']))
    assert.match(r.stderr, /No k3d clusters found/)
    assert.ok(lines(r.stdout).includes(`Run '${DEV_UP}' to create a cluster`), r.stdout)
    assert.deepEqual(json(await manager(sb, ['list', '--json'])), [])
  })

  test('a corrupt metadata file is one warning naming it; the rest still lists', async (t) => {
    const sb = await sandboxFor(t, { inProcess: true })
    await managed(sb, 'good')
    await fs.outputFile(metaFile(sb, 'broken'), '{ "name": "broken", ')
    await fs.outputFile(metaFile(sb, 'wrong'), '{"name": "wrong", "lb_port": "eighty", "api_port": 6445}')
    const r = ok(await manager(sb, ['list']))
    const warnings = lines(r.stderr)
    assert.equal(warnings.length, 2, r.stderr)
    assert.ok(warnings.some((l) => l.includes(metaFile(sb, 'broken')) && /not valid JSON/.test(l)), r.stderr)
    assert.ok(warnings.some((l) => l.includes(metaFile(sb, 'wrong')) && /lb_port/.test(l)), r.stderr)
    assert.ok(lines(r.stdout).includes('  Cluster: good'))
    assert.doesNotMatch(r.stdout, /broken|wrong/)
    const views = json(await manager(sb, ['list', '--json']))
    assert.deepEqual(views.map((v: { name: string }) => v.name), ['good'])
  })
})

// ---------------------------------------------------------------- switch / current
describe('switch and current', () => {
  test('switch writes our kubeconfig and the pointer; current follows in a fresh process; ~/.kube/config untouched', async (t) => {
    const sb = await sandboxFor(t, { inProcess: true })
    const alpha = await managed(sb, 'alpha')
    await managed(sb, 'bravo')
    const defaultKubeconfig = path.join(sb.home, '.kube', 'config')
    await fs.outputFile(defaultKubeconfig, 'apiVersion: v1\nkind: Config\ncurrent-context: mine\n')
    const before = await fs.readFile(defaultKubeconfig)

    const r = ok(await manager(sb, ['switch', 'alpha']))
    const file = kubeconfigFile(sb, 'alpha')
    // Three lines, the docs' form (details only with -v).
    assert.deepEqual(lines(r.stdout), ["✓ Switched to cluster 'alpha'", 'Run this in your shell:', `export KUBECONFIG="${file}"`])
    assert.equal(r.stderr, '')
    const kubeconfig = await fs.readFile(file, 'utf8')
    assert.match(kubeconfig, new RegExp(`server: https://localhost:${alpha.api}\\n`))
    assert.match(kubeconfig, /current-context: k3d-alpha/)
    assert.equal((await fs.stat(file)).mode & 0o777, 0o600)
    assert.equal((await fs.stat(path.dirname(file))).mode & 0o777, 0o700)
    assert.equal((await fs.readFile(pointerFile(sb), 'utf8')).trim(), 'alpha')

    const current = json(await manager(sb, ['current', '--json']))
    assert.equal(current.name, 'alpha')
    assert.equal(current.active, true)
    assert.deepEqual(Object.keys(current), SPEC_FIELDS)
    const human = ok(await manager(sb, ['current']))
    assert.equal(lines(human.stdout)[0], 'Cluster: alpha')
    assert.ok(lines(human.stdout).includes(`  Kubeconfig: ${file}`))
    assert.ok(lines(human.stdout).includes(`  Selected by: last switch (${pointerFile(sb)})`), human.stdout)

    // The shell follows only through the export line, eval'd.
    const script = `eval "$('${MANAGER}' switch bravo --shell)" && kubectl config current-context && printf '%s\\n' "$KUBECONFIG"`
    const shell = ok(await sb.run('sh', ['-c', script], { cwd: sb.root }))
    assert.deepEqual(lines(shell.stdout), ['k3d-bravo', kubeconfigFile(sb, 'bravo')])
    assert.match(shell.stderr, /Switched to cluster 'bravo'/)
    const only = ok(await manager(sb, ['use', 'bravo', '--shell']))
    assert.equal(only.stdout, `export KUBECONFIG="${kubeconfigFile(sb, 'bravo')}"\n`)
    assert.equal(json(await manager(sb, ['current', '--json'])).name, 'bravo')

    ok(await manager(sb, ['switch', '-']))
    assert.equal(json(await manager(sb, ['current', '--json'])).name, 'alpha')
    ok(await manager(sb, ['switch', '-']))
    assert.equal(json(await manager(sb, ['current', '--json'])).name, 'bravo')

    // $KUBECONFIG pointing at one of our files wins over the pointer.
    assert.equal(json(await manager(sb, ['current', '--json'], { KUBECONFIG: file })).name, 'alpha')

    assert.deepEqual(await fs.readFile(defaultKubeconfig), before)
    assert.equal(countCalls(sb, 'kubectl'), 1) // only the eval'd shell's own kubectl
    // current reads files only: never a k3d call
    const k3dBefore = countCalls(sb, 'k3d')
    ok(await manager(sb, ['current']))
    ok(await manager(sb, ['current', '--json']))
    assert.equal(countCalls(sb, 'k3d'), k3dBefore)
  })

  test('switch rewrites a stale kubeconfig (recreated cluster, new API port) and never writes /tmp', async (t) => {
    const sb = await sandboxFor(t, { inProcess: true })
    const ports = await managed(sb, 'alpha')
    const file = kubeconfigFile(sb, 'alpha')
    const stale = `apiVersion: v1\nclusters:\n- cluster:\n    server: https://localhost:1\n  name: k3d-alpha\ncontexts:\n- context:\n    cluster: k3d-alpha\n    user: admin@k3d-alpha\n  name: k3d-alpha\ncurrent-context: k3d-alpha\nkind: Config\n`
    await fs.outputFile(file, stale, { mode: 0o644 })
    ok(await manager(sb, ['switch', 'alpha']))
    assert.match(await fs.readFile(file, 'utf8'), new RegExp(`server: https://localhost:${ports.api}\\n`))
    assert.equal((await fs.stat(file)).mode & 0o777, 0o600)
    assert.equal(await exists('/tmp/kubeconfig-alpha'), false)
    // A fresh file is kept (no second k3d kubeconfig get), but made private as the old script did not.
    await fs.chmod(file, 0o644)
    await fs.chmod(path.dirname(file), 0o755)
    const gets = () => sb.calls('k3d').filter((c) => c.args[0] === 'kubeconfig').length
    const before = gets()
    ok(await manager(sb, ['switch', 'alpha']))
    assert.equal(gets(), before)
    assert.equal((await fs.stat(file)).mode & 0o777, 0o600)
    assert.equal((await fs.stat(path.dirname(file))).mode & 0o777, 0o700)
  })

  test('switch to an unknown cluster fails listing those that exist; switch - without a previous fails', async (t) => {
    const sb = await sandboxFor(t, { inProcess: true })
    await managed(sb, 'alpha')
    await k3dCreate(sb, 'dev')
    await writeMeta(sb, person('ghost', { lb: 8123, api: 6523 }))
    const r = await manager(sb, ['switch', 'nope'])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /cluster 'nope' not found.*alpha, dev/)
    const missing = await manager(sb, ['switch', 'ghost'])
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /'ghost' has metadata but k3d has no such cluster/)
    const back = await manager(sb, ['switch', '-'])
    assert.equal(back.code, 1)
    assert.match(back.stderr, /no previous cluster/)
    assert.equal(await exists(pointerFile(sb)), false)
  })

  test('switch to an unmanaged cluster writes its kubeconfig in our directory', async (t) => {
    const sb = await sandboxFor(t, { inProcess: true })
    const dev = await k3dCreate(sb, 'dev')
    const r = ok(await manager(sb, ['switch', 'dev', '-v']))
    assert.match(await fs.readFile(kubeconfigFile(sb, 'dev'), 'utf8'), new RegExp(`https://localhost:${dev.api}`))
    assert.ok(lines(r.stdout).includes('Cluster: dev (unmanaged: created outside this tool)'), r.stdout)
    assert.ok(lines(r.stdout).some((l) => l.endsWith(`Wrote kubeconfig ${kubeconfigFile(sb, 'dev')}`)), r.stdout)
    assert.equal(await exists(metaFile(sb, 'dev')), false)
  })

  test('current without a cluster: status and hint both on stderr, stdout empty, exit 0; --json prints null; --name exits 1', async (t) => {
    const sb = await sandboxFor(t, { inProcess: true })
    const r = ok(await manager(sb, ['current']))
    assert.equal(r.stdout, '') // x=$(cluster-manager current) captures nothing
    assert.deepEqual(lines(r.stderr), [`⚠ No active cluster — switch to one with: ${MANAGER} switch NAME (list them with: ${MANAGER} list)`])
    assert.equal(ok(await manager(sb, ['current', '--json'])).stdout, 'null\n')
    for (const flag of ['--name', '-q']) {
      const q = await manager(sb, ['current', flag])
      assert.deepEqual([q.code, q.stdout, q.stderr], [1, '', ''])
    }
  })

  test('current reads files only: a pointer to a cluster nobody knows is named with what is known; a foreign $KUBECONFIG on k3d-NAME is followed', async (t) => {
    const sb = await sandboxFor(t, { inProcess: true })
    await k3dCreate(sb, 'dev')
    await fs.outputFile(pointerFile(sb), 'gone\n')
    const gone = json(await manager(sb, ['current', '--json']))
    assert.deepEqual(gone, {
      name: 'gone', active: true, status: null, managed: false, repository: null, developer: null, email: null,
      shared: null, lb_port: null, api_port: null, bind_address: null, registry: null, kubeconfig: null, created_at: null,
    })
    assert.deepEqual(lines(ok(await manager(sb, ['current'])).stdout), [
      'Cluster: gone (unmanaged: created outside this tool)',
      `  Kubeconfig: not written yet (${MANAGER} switch gone writes it)`,
      `  Selected by: last switch (${pointerFile(sb)})`,
    ])
    const foreign = path.join(sb.root, 'elsewhere.yaml')
    await fs.outputFile(foreign, 'apiVersion: v1\nkind: Config\ncurrent-context: k3d-dev\n')
    const viaEnv = json(await manager(sb, ['current', '--json'], { KUBECONFIG: foreign }))
    assert.equal(viaEnv.name, 'dev')
    assert.ok(lines(ok(await manager(sb, ['current'], { KUBECONFIG: foreign })).stdout).includes(`  Selected by: $KUBECONFIG (${foreign})`))
    assert.equal(ok(await manager(sb, ['current', '--name'], { KUBECONFIG: foreign })).stdout, 'dev\n')
    // Docker down: current still answers (it never asks k3d).
    assert.equal(ok(await manager(sb, ['current', '-q'], { K3D_SIM_DOCKER_DOWN: '1' })).stdout, 'gone\n')
  })

  test('$KUBECONFIG on a context this tool does not manage: current says which, and claims no cluster (the pointer is not used)', async (t) => {
    const sb = await sandboxFor(t, { inProcess: true })
    await managed(sb, 'alpha')
    ok(await manager(sb, ['switch', 'alpha']))
    const kind = path.join(sb.root, 'kind.yaml')
    await fs.outputFile(kind, 'apiVersion: v1\nkind: Config\ncurrent-context: kind-dev\n')
    const env = { KUBECONFIG: `${kind}${path.delimiter}${kubeconfigFile(sb, 'alpha')}` }
    const r = ok(await manager(sb, ['current'], env))
    assert.equal(r.stdout, '')
    assert.deepEqual(lines(r.stderr), [`⚠ No active cluster: $KUBECONFIG (${kind}) selects context 'kind-dev', which is not a k3d cluster managed here`])
    assert.equal(ok(await manager(sb, ['current', '--json'], env)).stdout, 'null\n')
    assert.deepEqual(await manager(sb, ['current', '-q'], env).then((x) => [x.code, x.stdout]), [1, ''])
    // list marks nothing active and says why, once
    const listed = ok(await manager(sb, ['list', '-o', 'table'], env))
    assert.doesNotMatch(listed.stdout, /\*/)
    assert.match(listed.stderr, /context 'kind-dev', which is not a k3d cluster managed here/)
    // resources and mcp-setup refuse rather than act on another cluster than kubectl's
    const res = await manager(sb, ['resources'], env)
    assert.equal(res.code, 1)
    assert.match(res.stderr, /no active cluster: \$KUBECONFIG .* selects context 'kind-dev'/)
  })
})

// ---------------------------------------------------------------- names, usage
describe('usage errors', () => {
  test('invalid names exit 2 before any k3d call or file change', async (t) => {
    const sb = await sandboxFor(t, { inProcess: true })
    await managed(sb, 'alpha')
    const homeBefore = await tree(sb.home)
    const k3dBefore = countCalls(sb, 'k3d')
    for (const args of [['delete', '../../etc', '--yes'], ['info', 'a b'], ['switch', 'a'.repeat(33)], ['rm', '-y', 'a/b'], ['resources', '..']]) {
      const r = await manager(sb, args)
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
      assert.equal(r.stdout, '')
      assert.equal(lines(r.stderr).length, 1, r.stderr)
      assert.match(r.stderr, /^✗ invalid cluster name/)
    }
    assert.equal(countCalls(sb, 'k3d'), k3dBefore)
    assert.deepEqual(await tree(sb.home), homeBefore)
  })

  test('unknown command or flag: one line and a usage hint, exit 2', async (t) => {
    const sb = await sandboxFor(t, { inProcess: true })
    for (const args of [['frobnicate'], ['list', '--bogus'], ['switch', 'x', '--json'], ['list', 'extra'], ['info']]) {
      const r = await manager(sb, args)
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
      assert.equal(r.stdout, '')
      assert.equal(lines(r.stderr).length, 1, r.stderr)
    }
    assert.match((await manager(sb, ['frobnicate'])).stderr, /unknown command 'frobnicate'.*help/)
    assert.equal(countCalls(sb, 'k3d'), 0)
  })

  test('help lists every command; no command means help', async (t) => {
    const sb = await sandboxFor(t, { inProcess: true })
    const r = ok(await manager(sb, []))
    for (const word of ['list, ls', 'switch, use', 'current', 'info', 'delete, rm', 'resources, res', 'cleanup', 'start', 'stop', 'Examples:']) {
      assert.ok(r.stdout.includes(word), word)
    }
    assert.equal(ok(await manager(sb, ['--help'])).stdout, r.stdout)
    assert.equal(ok(await manager(sb, ['help'])).stdout, r.stdout)
  })
})

// ---------------------------------------------------------------- delete / cleanup
describe('delete', () => {
  test('without a terminal it needs --yes; with it, cluster, metadata, kubeconfig and pointers go', async (t) => {
    const sb = await sandboxFor(t, { inProcess: true })
    await managed(sb, 'alpha')
    await managed(sb, 'bravo')
    ok(await manager(sb, ['switch', 'bravo']))
    ok(await manager(sb, ['switch', 'alpha']))
    const refused = await manager(sb, ['delete', 'alpha'])
    assert.equal(refused.code, 2)
    assert.match(refused.stderr, /--yes/)
    assert.ok((await k3dClusters(sb)).some((c) => c.name === 'alpha'))
    assert.equal(await exists(metaFile(sb, 'alpha')), true)

    const r = ok(await manager(sb, ['delete', 'alpha', '--yes']))
    assert.match(r.stdout, /Cluster 'alpha' deleted/)
    assert.deepEqual((await k3dClusters(sb)).map((c) => c.name), ['bravo'])
    assert.equal(await exists(metaFile(sb, 'alpha')), false)
    assert.equal(await exists(kubeconfigFile(sb, 'alpha')), false)
    assert.equal(await exists(pointerFile(sb)), false)
    assert.equal(json(await manager(sb, ['current', '--json'])), null)
    // bravo untouched, and deleting it forgets it as previous too
    assert.equal(await exists(kubeconfigFile(sb, 'bravo')), true)
    ok(await manager(sb, ['rm', '-y', 'bravo']))
    assert.equal(await exists(previousFile(sb)), false)
  })

  test('a missing cluster (metadata, no k3d cluster) has its files removed, exit 0; an unknown name is exit 1', async (t) => {
    const sb = await sandboxFor(t, { inProcess: true })
    await writeMeta(sb, person('ghost', { lb: 8123, api: 6523 }))
    await fs.outputFile(kubeconfigFile(sb, 'ghost'), 'apiVersion: v1\n')
    await fs.outputFile(pointerFile(sb), 'ghost\n')
    const r = ok(await manager(sb, ['delete', 'ghost', '--yes']))
    assert.match(r.stdout, /Removed the files of 'ghost'/)
    assert.equal(await exists(metaFile(sb, 'ghost')), false)
    assert.equal(await exists(kubeconfigFile(sb, 'ghost')), false)
    assert.equal(await exists(pointerFile(sb)), false)
    // Already gone everywhere: nothing to delete, exit 0 (k3d's own answer); the names that exist on stderr.
    await managed(sb, 'alpha')
    const unknown = ok(await manager(sb, ['delete', 'nope', '--yes']))
    assert.deepEqual(lines(unknown.stdout), ["✓ Nothing to delete for 'nope': no k3d cluster, metadata or kubeconfig of that name"])
    assert.deepEqual(lines(unknown.stderr), ['⚠ existing clusters: alpha'])
    const again = ok(await manager(sb, ['delete', 'ghost', '-y']))
    assert.match(again.stdout, /Nothing to delete for 'ghost'/)
  })

  test('on a terminal it asks once for all the names, and only "y" deletes; a refusal is exit 1', async (t) => {
    const sb = await sandboxFor(t, { inProcess: true })
    await managed(sb, 'alpha')
    await managed(sb, 'bravo')
    const asked: string[] = []
    const run = async (answer: string, names = ['alpha']) => {
      const { ctx, stdout } = inProcessContext(sb, async (q) => {
        asked.push(q)
        return answer
      })
      await dispatch(ctx, parseArgs(['delete', ...names]))
      return stdout()
    }
    for (const answer of ['n', '', 'nope']) {
      await assert.rejects(run(answer), (err: unknown) => err instanceof OperationError && err.exitCode === 1 && /Cancelled: nothing was deleted/.test(err.message))
    }
    assert.deepEqual((await k3dClusters(sb)).map((c) => c.name), ['alpha', 'bravo'])
    const deleted = await run('y', ['alpha', 'bravo', 'gone'])
    assert.match(deleted, /Cluster 'alpha' deleted/)
    assert.match(deleted, /Cluster 'bravo' deleted/)
    assert.match(deleted, /Nothing to delete for 'gone'/)
    assert.deepEqual(await k3dClusters(sb), [])
    assert.deepEqual(asked, [...Array(3).fill("Are you sure you want to delete cluster 'alpha'? (y/N) "), "Are you sure you want to delete clusters 'alpha', 'bravo'? (y/N) "])
  })

  test('several names without a terminal: every one goes with --yes; none without it', async (t) => {
    const sb = await sandboxFor(t, { inProcess: true })
    await managed(sb, 'alpha')
    await managed(sb, 'bravo')
    await managed(sb, 'keep')
    const refused = await manager(sb, ['delete', 'alpha', 'bravo'])
    assert.equal(refused.code, 2)
    assert.equal((await k3dClusters(sb)).length, 3)
    ok(await manager(sb, ['rm', 'alpha', 'bravo', '-y']))
    assert.deepEqual((await k3dClusters(sb)).map((c) => c.name), ['keep'])
    assert.equal(await exists(metaFile(sb, 'alpha')), false)
    assert.equal(await exists(metaFile(sb, 'bravo')), false)
  })
})

/** A Context for the sandbox, run in this process: a terminal on stdin whose answers ASK gives. */
function inProcessContext(sb: Sandbox, ask: (q: string) => Promise<string>): { ctx: Context; stdout: () => string } {
  const sink = () => {
    const s = new PassThrough() as unknown as NodeJS.WriteStream
    let text = ''
    ;(s as unknown as PassThrough).on('data', (b: Buffer) => (text += b.toString()))
    return { s, text: () => text }
  }
  const out = sink()
  const err = sink()
  const runner: Runner = (cmd, args, opts = {}) => realRun(cmd, args, { ...opts, env: { ...sb.env, ...opts.env } })
  const p = paths(sb.home)
  const ctx: Context = {
    paths: p, out: new Output({ env: sb.env, stdout: out.s, stderr: err.s }), k3d: new K3d(runner), registry: new Registry(p.metaDir),
    env: sb.env, runner, isTTY: true, ask,
  }
  return { ctx, stdout: out.text }
}

describe('cleanup', () => {
  test('removes exactly the orphans and stale reservations; never a cluster that exists', async (t) => {
    const sb = await sandboxFor(t, { inProcess: true })
    await managed(sb, 'keep')
    ok(await manager(sb, ['switch', 'keep']))
    await k3dCreate(sb, 'dev') // unmanaged: no files to clean
    await writeOldMeta(sb, person('orphan', { lb: 8123, api: 6523 }))
    await fs.outputFile(kubeconfigFile(sb, 'orphan'), 'apiVersion: v1\n')
    await fs.outputFile(kubeconfigFile(sb, 'lonely'), 'apiVersion: v1\n') // neither cluster nor metadata
    await fs.outputFile(path.join(sb.home, '.kube', 'threads-agent', 'notes.txt'), 'mine\n')
    const reservations = path.join(configDir(sb), 'reservations')
    const deadPid = await exitedPid(sb)
    await fs.outputFile(path.join(reservations, 'dead.json'), JSON.stringify({ name: 'dead', pid: deadPid, lb_port: 8124, api_port: 6524, created_at: '2025-07-22T10:30:00Z' }))
    // A record without a start time is trusted for an hour (lib/owner.ts): this one is fresh.
    await fs.outputFile(path.join(reservations, 'live.json'), JSON.stringify({ name: 'live', pid: process.pid, lb_port: 8125, api_port: 6525, created_at: new Date().toISOString() }))
    const before = await tree(sb.home)

    const r = ok(await manager(sb, ['cleanup']))
    const after = await tree(sb.home)
    const removed = Object.keys(before).filter((f) => !(f in after)).sort()
    assert.deepEqual(removed, [
      '.config/threads-agent/clusters/orphan.json',
      '.config/threads-agent/reservations/dead.json',
      '.kube/threads-agent/config-lonely',
      '.kube/threads-agent/config-orphan',
    ])
    // The port lock it took keeps its last generation, with a `released` marker (lib/lock.ts).
    const added = Object.keys(after).filter((f) => !(f in before))
    assert.deepEqual(added.filter((f) => !/^\.config\/threads-agent\/ports\.lock\/\d{12}\/released$/.test(f)), [])
    for (const f of Object.keys(after)) if (f in before) assert.equal(after[f], before[f], f)
    assert.match(r.stdout, /orphaned metadata for 'orphan'/)
    assert.match(r.stdout, /orphaned kubeconfig for 'orphan'/)
    assert.match(r.stdout, /orphaned kubeconfig for 'lonely'/)
    assert.match(r.stdout, /stale port reservation of 'dead'/)
    assert.deepEqual((await k3dClusters(sb)).map((c) => c.name), ['dev', 'keep'])
    assert.ok(!sb.calls('k3d').some((c) => c.args[1] === 'delete'))
  })
})

/** The pid of a process that has exited. */
async function exitedPid(sb: Sandbox): Promise<number> {
  const r = ok(await sb.run('sh', ['-c', 'sh -c \'echo $$\'']))
  return Number(r.stdout.trim())
}

// ---------------------------------------------------------------- old script's files
describe('metadata written by the old script', () => {
  test('lists, switches and deletes; a kubeconfig path in metadata outside our directory is never removed', async (t) => {
    const sb = await sandboxFor(t, { inProcess: true })
    const name = 'threads-agent-vitalii-se-c18b4c'
    const ports = await k3dCreate(sb, name)
    const precious = path.join(sb.root, 'precious-kubeconfig')
    await fs.outputFile(precious, 'keep me\n')
    await writeOldMeta(sb, person(name, ports, { kubeconfig: precious }))

    const listed = ok(await manager(sb, ['list']))
    assert.ok(lines(listed.stdout).includes(`  Cluster: ${name}`))
    assert.ok(lines(listed.stdout).includes('  Type: Personal'))
    assert.ok(lines(listed.stdout).includes(`  LoadBalancer: http://localhost:${ports.lb}`))
    const view = json(await manager(sb, ['info', name, '--json']))
    assert.equal(view.managed, true)
    assert.equal(view.shared, false)
    assert.equal(view.lb_port, ports.lb)

    const switched = ok(await manager(sb, ['switch', name]))
    assert.ok(switched.stdout.includes(`export KUBECONFIG="${kubeconfigFile(sb, name)}"`))
    assert.equal(await fs.readFile(precious, 'utf8'), 'keep me\n')

    ok(await manager(sb, ['delete', name, '--yes']))
    assert.equal(await exists(metaFile(sb, name)), false)
    assert.equal(await exists(kubeconfigFile(sb, name)), false)
    assert.equal(await fs.readFile(precious, 'utf8'), 'keep me\n')
    assert.deepEqual(await k3dClusters(sb), [])
  })
})

// ---------------------------------------------------------------- --json, info
describe('--json and info', () => {
  test('stdout holds only JSON for list, current and info', async (t) => {
    const sb = await sandboxFor(t, { inProcess: true })
    await managed(sb, 'alpha')
    await fs.outputFile(metaFile(sb, 'broken'), 'nope')
    ok(await manager(sb, ['switch', 'alpha']))
    for (const args of [['list', '--json'], ['current', '--json'], ['info', 'alpha', '--json'], ['--json', 'info', 'alpha']]) {
      const r = ok(await manager(sb, args))
      const value = JSON.parse(r.stdout)
      const objects = Array.isArray(value) ? value : [value]
      assert.ok(objects.length > 0)
      for (const v of objects) assert.deepEqual(Object.keys(v), SPEC_FIELDS)
    }
    // list's warning about the bad file goes to stderr, never into the JSON
    assert.match((await manager(sb, ['list', '--json'])).stderr, /broken\.json/)
  })

  test('info of a cluster that does not exist: exit 1 naming those that do', async (t) => {
    const sb = await sandboxFor(t, { inProcess: true })
    await managed(sb, 'alpha')
    await writeMeta(sb, person('ghost', { lb: 8123, api: 6523 }))
    const r = await manager(sb, ['info', 'nope'])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /cluster 'nope' not found — existing clusters: alpha, ghost/)
    const ghost = ok(await manager(sb, ['info', 'ghost']))
    assert.ok(lines(ghost.stdout).includes(`  Status: missing (no such k3d cluster; ${CLEANUP_HINT} removes its files)`), ghost.stdout)
  })
})

// ---------------------------------------------------------------- start / stop / resources
// The other tests of this file run the commands in-process (helpers/inprocess.ts); these
// commands are run through the real entry point here (the rest are elsewhere: list, info and help
// in launch.test.ts, switch, completion and doctor in the docs test, current, resources,
// mcp-setup and dev-start through just, delete on a terminal, exec and shell in their files).
test('end to end: stop, start, credentials, registry and cleanup through the real entry point', async (t) => {
  const sb = await sandboxFor(t) // end to end: the commands that no other test runs as a process
  await managed(sb, 'alpha')
  ok(await manager(sb, ['stop', 'alpha']))
  assert.equal((await k3dClusters(sb))[0]!.serversRunning, 0)
  ok(await manager(sb, ['start', 'alpha']))
  assert.equal((await k3dClusters(sb))[0]!.serversRunning, 1)
  const creds = ok(await manager(sb, ['credentials', 'alpha', '--namespace', 'team-a', '--json']))
  assert.ok(await exists(JSON.parse(creds.stdout).kubeconfig), creds.stdout)
  assert.match(ok(await manager(sb, ['registry'])).stdout, /^No shared registry k3d-threads-agent-registry\.$/m)
  await writeMeta(sb, person('gone', { lb: 8178, api: 6543 })) // metadata of a cluster k3d does not have
  assert.match(ok(await manager(sb, ['cleanup'])).stdout, /orphaned metadata for 'gone'/)
  assert.equal(await exists(metaFile(sb, 'gone')), false)
})

describe('start, stop and resources', () => {
  test('stop then start round trip', async (t) => {
    const sb = await sandboxFor(t, { inProcess: true })
    await managed(sb, 'alpha')
    ok(await manager(sb, ['stop', 'alpha']))
    assert.equal((await k3dClusters(sb))[0]!.serversRunning, 0)
    assert.equal(json(await manager(sb, ['info', 'alpha', '--json'])).status, 'stopped')
    assert.match(ok(await manager(sb, ['stop', 'alpha'])).stdout, /already stopped/)
    ok(await manager(sb, ['start', 'alpha']))
    assert.equal((await k3dClusters(sb))[0]!.serversRunning, 1)
    assert.equal(json(await manager(sb, ['info', 'alpha', '--json'])).status, 'running')
    const unknown = await manager(sb, ['start', 'nope'])
    assert.equal(unknown.code, 1)
    assert.match(unknown.stderr, /cluster 'nope' not found/)
  })

  test('start blocked by a port another running cluster holds names the port and that cluster', async (t) => {
    const sb = await sandboxFor(t, { inProcess: true })
    const alpha = await managed(sb, 'alpha')
    ok(await manager(sb, ['stop', 'alpha']))
    await k3dCreate(sb, 'blocker', { lb: alpha.lb }) // a stopped cluster holds no ports
    const r = await manager(sb, ['start', 'alpha'])
    assert.equal(r.code, 1)
    assert.equal(lines(r.stderr).filter((l) => l.startsWith('✗')).length, 1)
    assert.match(r.stderr, new RegExp(`port ${alpha.lb} is held by k3d cluster 'blocker' \\(running\\)`))
    assert.equal((await k3dClusters(sb)).find((c) => c.name === 'alpha')!.serversRunning, 0)
  })

  test('start blocked by a program outside k3d names the port and how to find the program', async (t) => {
    const sb = await sandboxFor(t, { inProcess: true })
    const alpha = await managed(sb, 'alpha')
    ok(await manager(sb, ['stop', 'alpha']))
    const server = net.createServer()
    await new Promise<void>((resolve) => server.listen({ port: alpha.lb, host: '0.0.0.0' }, resolve))
    try {
      const r = await manager(sb, ['start', 'alpha'])
      assert.equal(r.code, 1)
      assert.match(r.stderr, new RegExp(`port ${alpha.lb} is held by another program \\(see: lsof -i :${alpha.lb}\\)`))
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })

  test('resources uses only the cluster kubeconfig, regenerating it when missing', async (t) => {
    const sb = await sandboxFor(t, { inProcess: true })
    await managed(sb, 'alpha')
    await managed(sb, 'bravo')
    ok(await manager(sb, ['switch', 'alpha']))
    await fs.remove(kubeconfigFile(sb, 'alpha'))
    const before = countCalls(sb, 'kubectl')
    const r = ok(await manager(sb, ['res']))
    const out = lines(r.stdout)
    assert.equal(out[0], "Resources in cluster 'alpha':")
    for (const title of ['Nodes:', 'Namespaces:', 'Deployments (all namespaces):', 'Services (all namespaces):']) assert.ok(out.includes(title), title)
    assert.ok(out.some((l) => l.startsWith('k3d-alpha-server-0')))
    const calls = sb.calls('kubectl').slice(before)
    assert.equal(calls.length, 4)
    for (const c of calls) assert.deepEqual(c.args.slice(0, 2), ['--kubeconfig', kubeconfigFile(sb, 'alpha')])
    assert.equal(await exists(kubeconfigFile(sb, 'alpha')), true)

    const named = ok(await manager(sb, ['resources', 'bravo']))
    assert.equal(lines(named.stdout)[0], "Resources in cluster 'bravo':")
    assert.ok(lines(named.stdout).some((l) => l.startsWith('k3d-bravo-server-0')))
  })

  test('resources without a current cluster fails with exit 1', async (t) => {
    const sb = await sandboxFor(t, { inProcess: true })
    const r = await manager(sb, ['resources'])
    assert.equal(r.code, 1)
    assert.deepEqual(lines(r.stderr), [`✗ no active cluster — ${MANAGER} switch NAME (or ${DEV_UP}) first, or name one: ${MANAGER} resources NAME`])
  })
})

// ---------------------------------------------------------------- pure helpers
describe('helpers', () => {
  const cluster = (name: string, running: boolean, hostPorts: number[]): K3dCluster => ({
    name, running, serversRunning: running ? 1 : 0, serversCount: 1, agentsRunning: 0, agentsCount: 0, lbPort: hostPorts[0] ?? null, apiPort: hostPorts[1] ?? null, hostPorts,
    lbHostIp: '127.0.0.1', apiHostIp: '127.0.0.1', serversMemory: null, agentsMemory: null, network: `k3d-${name}`,
  })

  test('portHolder names a running cluster mapping the port, never a stopped one', () => {
    const all = [cluster('me', false, [8080, 6445]), cluster('other', true, [8080, 6500]), cluster('idle', false, [6445, 8090])]
    assert.equal(portHolder(8080, 'me', all), "k3d cluster 'other' (running)")
    assert.equal(portHolder(6445, 'me', all), 'another program (see: lsof -i :6445)')
  })

  test('exportLine survives eval for paths with shell specials', async (t) => {
    const sb = await sandboxFor(t, { inProcess: true })
    const file = path.join(sb.root, 'we "ird" $HOME `x` \\ dir', 'config-a')
    const r = ok(await sb.run('sh', ['-c', `eval '${exportLine(file).replace(/'/g, "'\\''")}'; printf '%s' "$KUBECONFIG"`]))
    assert.equal(r.stdout, file)
  })
})

// ---------------------------------------------------------------- list -o, several names, version, files in the way
describe('list -o table|name and --no-headers', () => {
  test("one line per cluster like k3d's table, the current one marked; names only; no header", async (t) => {
    const sb = await sandboxFor(t, { inProcess: true })
    const alpha = await managed(sb, 'alpha')
    const shared = await k3dCreate(sb, 'threads-agent')
    await writeMeta(sb, person('threads-agent', shared, { shared: true }))
    ok(await sb.run('k3d', ['cluster', 'stop', 'threads-agent']))
    const dev = await k3dCreate(sb, 'dev')
    await writeMeta(sb, person('ghost', { lb: 8123, api: 6523 }))
    ok(await manager(sb, ['switch', 'alpha']))
    const pad = (cells: string[], widths: number[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('').trimEnd()
    const rows = [
      ['NAME', 'STATUS', 'TYPE', 'LB', 'API', 'CURRENT'],
      ['alpha', 'running', 'personal', String(alpha.lb), String(alpha.api), '*'],
      ['dev', 'running', 'unmanaged', String(dev.lb), String(dev.api), ''],
      ['ghost', 'missing', 'personal', '8123', '6523', ''],
      ['threads-agent', 'stopped', 'shared', String(shared.lb), String(shared.api), ''],
    ]
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
    const table = ok(await manager(sb, ['list', '-o', 'table']))
    assert.deepEqual(lines(table.stdout), rows.map((r) => pad(r, widths)))
    const bare = ok(await manager(sb, ['ls', '-o', 'table', '--no-headers']))
    assert.deepEqual(lines(bare.stdout), lines(table.stdout).slice(1))
    assert.deepEqual(lines(ok(await manager(sb, ['list', '-o', 'name'])).stdout), ['alpha', 'dev', 'ghost', 'threads-agent'])
    assert.deepEqual(json(await manager(sb, ['list', '-o', 'json'])), json(await manager(sb, ['list', '--json'])))
    // No cluster at all: the header alone.
    await fs.remove(configDir(sb))
    assert.equal(ok(await manager(sb, ['list', '-o', 'table'], { K3D_SIM_STATE: path.join(sb.root, 'none') })).stdout, 'NAME   STATUS   TYPE   LB   API   CURRENT\n')
  })
})

describe('start and stop with several names', () => {
  test('every name is checked before any is touched; then each in turn', async (t) => {
    const sb = await sandboxFor(t, { inProcess: true })
    await managed(sb, 'alpha')
    await managed(sb, 'bravo')
    const unknown = await manager(sb, ['stop', 'alpha', 'nope', 'nada'])
    assert.equal(unknown.code, 1)
    assert.deepEqual(lines(unknown.stderr), ["✗ clusters 'nope', 'nada' not found; nothing was stopped — existing clusters: alpha, bravo"])
    assert.deepEqual((await k3dClusters(sb)).map((c) => c.serversRunning), [1, 1])
    const stopped = ok(await manager(sb, ['stop', 'alpha', 'bravo']))
    assert.match(stopped.stdout, /Cluster 'alpha' stopped[\s\S]*Cluster 'bravo' stopped/)
    assert.deepEqual((await k3dClusters(sb)).map((c) => c.serversRunning), [0, 0])
    ok(await manager(sb, ['start', 'bravo', 'alpha']))
    assert.deepEqual((await k3dClusters(sb)).map((c) => c.serversRunning), [1, 1])
  })
})

describe('version', () => {
  test('--version and version: the project version, Node and how it runs; --json too', async (t) => {
    const sb = await sandboxFor(t) // end to end: the start-up path is what it checks
    const pkg = await fs.readJson(path.join(REPO_ROOT, 'package.json'))
    // npm test builds the bundle and the snapshot first (pretest), so the launcher picks the
    // snapshot, unless coverage is collected (c8's NODE_V8_COVERAGE: then the bundle);
    // MULTI_CLUSTER_RUNNER=bundle and =tsx force the fallbacks.
    const snapshot = FROM_SNAPSHOT
    const expected = [`cluster-manager version ${pkg.version}`, `node version ${process.version}`, `run by the startup snapshot from ${REPO_ROOT}`]
    assert.deepEqual(lines(ok(await manager(sb, ['--version'], snapshot)).stdout), expected)
    assert.deepEqual(lines(ok(await manager(sb, ['version'], snapshot)).stdout), expected)
    assert.deepEqual(json(await manager(sb, ['version', '--json'], snapshot)), { program: 'cluster-manager', version: pkg.version, node: process.version, runner: 'snapshot', root: REPO_ROOT, justfile: null })
    const viaBundle = ok(await sb.run(MANAGER, ['--version'], { env: { MULTI_CLUSTER_RUNNER: 'bundle' } }))
    assert.deepEqual(lines(viaBundle.stdout), [...expected.slice(0, 2), `run by the prebuilt bundle from ${REPO_ROOT}`])
    const viaTsx = ok(await sb.run(MANAGER, ['--version'], { env: { MULTI_CLUSTER_RUNNER: 'tsx' } }))
    assert.deepEqual(lines(viaTsx.stdout), [...expected.slice(0, 2), `run by tsx (TypeScript sources) from ${REPO_ROOT}`])
    const devUp = ok(await sb.run(DEV_UP, ['--version'], { cwd: sb.root, env: snapshot }))
    assert.deepEqual(lines(devUp.stdout), [`dev-up-multi version ${pkg.version}`, ...expected.slice(1)])
    assert.deepEqual(lines(ok(await sb.run(DEV_UP, ['version'], { cwd: sb.root })).stdout)[0], `dev-up-multi version ${pkg.version}`)
    assert.equal(sb.calls().length, 0)
  })

  test('dev-up-multi --tag without a value says so (it was "invalid image tag \"\""), exit 2, nothing run', async (t) => {
    const sb = await sandboxFor(t, { inProcess: true })
    for (const argv of [['--tag'], ['-t'], ['--tag', '--force']]) {
      const r = await sb.run(DEV_UP, argv, { cwd: sb.root })
      assert.equal(r.code, 2, r.stderr)
      assert.equal(lines(r.stderr)[0], '✗ --tag needs a value: --tag TAG (e.g. --tag v1.0.0)')
    }
    assert.equal(sb.calls().length, 0)
  })
})

describe('a file where our directory should be', () => {
  test('~/.config/threads-agent or ~/.kube/threads-agent being a file: one line with the path and the fix, nothing changed', async (t) => {
    const sb = await sandboxFor(t, { inProcess: true })
    await managed(sb, 'alpha')
    const config = configDir(sb)
    const metaBackup = await fs.readFile(metaFile(sb, 'alpha'), 'utf8')
    await fs.remove(config)
    await fs.outputFile(config, 'oops\n')
    for (const args of [['switch', 'alpha'], ['current'], ['list'], ['delete', 'alpha', '--yes'], ['cleanup']]) {
      const r = await manager(sb, args)
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`)
      assert.deepEqual(lines(r.stderr), [`✗ ${config} is a file, not a directory, so nothing can be kept in it — move it away (mv '${config}' '${config}.bak') and run again`], args.join(' '))
    }
    assert.ok((await k3dClusters(sb)).some((c) => c.name === 'alpha')) // delete changed nothing
    await fs.remove(config)
    await fs.outputFile(metaFile(sb, 'alpha'), metaBackup)
    const kube = path.join(sb.home, '.kube', 'threads-agent')
    await fs.outputFile(kube, 'oops\n')
    const r = await manager(sb, ['switch', 'alpha'])
    assert.equal(r.code, 1)
    assert.deepEqual(lines(r.stderr), [`✗ ${kube} is a file, not a directory, so nothing can be kept in it — move it away (mv '${kube}' '${kube}.bak') and run again`])
    assert.equal(await exists(pointerFile(sb)), false) // checked before anything was written
  })
})
