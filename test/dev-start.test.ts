import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import net from 'node:net'
import fs from 'fs-extra'
import { sandboxFor, REPO_ROOT, BIN_DIR, JUST } from './helpers/sandbox.ts'
import type { Sandbox, RunResult } from './helpers/sandbox.ts'
import { makeRepo } from './helpers/git.ts'
import { md5Prefix } from '../lib/hash.ts'

const JUSTFILE = path.join(REPO_ROOT, 'justfile')
const MANAGER = path.join(REPO_ROOT, 'scripts', 'cluster-manager.ts')
const DEV_UP = path.join(REPO_ROOT, 'scripts', 'dev-up-multi.ts')
const PERSONAL = 'threads-agent-vitalii-se-c18b4c'


const just = (sb: Sandbox, cwd: string, args: string[], env: Record<string, string | undefined> = {}) =>
  sb.run(JUST, ['--justfile', JUSTFILE, '--working-directory', cwd, ...args], { cwd, env })
const kubeconfigOf = (sb: Sandbox, name: string) => path.join(sb.home, '.kube', 'threads-agent', `config-${name}`)
const errorLine = (r: RunResult) => r.stderr.split('\n').find((l) => l.startsWith('✗')) ?? ''

test('just dev-start-multi (and share): cluster, deploy with its KUBECONFIG, .mcp.json that keeps other servers', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  await fs.writeJson(path.join(repo, 'multi-cluster.config.json'), { deploy: 'echo "$KUBECONFIG" >> deployed.txt' })
  const other = { command: 'node', args: ['notes-server.js'], env: { TOKEN: 'x' } }
  await fs.writeJson(path.join(repo, '.mcp.json'), { mcpServers: { notes: other }, extra: true })

  const personal = await just(sb, repo, ['dev-start-multi'])
  assert.equal(personal.code, 0, personal.stderr)
  assert.match(personal.stdout, new RegExp(`✓ Ready: ${PERSONAL}`))
  let mcp = await fs.readJson(path.join(repo, '.mcp.json'))
  assert.deepEqual(mcp.mcpServers.notes, other)
  assert.equal(mcp.extra, true)
  const stable = path.join(sb.home, '.kube', 'threads-agent', `worktree-${md5Prefix(await fs.realpath(repo), 16)}`)
  const inFile = `\${HOME}/.kube/threads-agent/${path.basename(stable)}`
  assert.deepEqual(mcp.mcpServers.kubernetes, { command: 'npx', args: ['-y', 'mcp-server-kubernetes@4'], env: { KUBECONFIG_PATH: inFile, KUBECONFIG: inFile } })
  assert.match(await fs.readFile(stable, 'utf8'), new RegExp(`^current-context: k3d-${PERSONAL}$`, 'm'))

  // A shell still pointed at the personal cluster: the shared one must get .mcp.json all the same.
  const shared = await just(sb, repo, ['dev-start-multi', 'share'], { KUBECONFIG: kubeconfigOf(sb, PERSONAL) })
  assert.equal(shared.code, 0, shared.stderr)
  assert.match(shared.stdout, /✓ Ready: threads-agent$/m)
  mcp = await fs.readJson(path.join(repo, '.mcp.json'))
  assert.equal(mcp.mcpServers.kubernetes.env.KUBECONFIG, inFile, 'the file does not change')
  assert.match(await fs.readFile(stable, 'utf8'), /^current-context: k3d-threads-agent$/m, 'the kubeconfig it names does')
  assert.deepEqual(mcp.mcpServers.notes, other)

  const deployed = (await fs.readFile(path.join(repo, 'deployed.txt'), 'utf8')).trim().split('\n')
  assert.deepEqual(deployed, [kubeconfigOf(sb, PERSONAL), kubeconfigOf(sb, 'threads-agent')])
  const current = await sb.run(MANAGER, ['current', '--json'], { cwd: repo })
  assert.equal(JSON.parse(current.stdout).name, 'threads-agent')
})

test('dev-start without a deploy command says so; a failing deploy is exit 1 with the command named', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  const r = await just(sb, repo, ['dev-start-multi'])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /No deploy command configured/)
  await fs.writeJson(path.join(repo, 'multi-cluster.config.json'), { deploy: 'exit 3' })
  const failed = await just(sb, repo, ['dev-start-multi'])
  assert.equal(failed.code, 1)
  assert.match(errorLine(failed), /deploy command failed \(exit 3\): exit 3/)
})

test('mcp-setup: twice changes nothing, no current cluster is exit 1, a broken .mcp.json is never overwritten', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  const none = await sb.run(MANAGER, ['mcp-setup'], { cwd: repo })
  assert.equal(none.code, 1)
  assert.match(errorLine(none), /no current cluster/)
  assert.equal(await fs.pathExists(path.join(repo, '.mcp.json')), false)

  assert.equal((await sb.run(DEV_UP, [], { cwd: repo })).code, 0)
  assert.equal((await sb.run(MANAGER, ['switch', PERSONAL], { cwd: repo })).code, 0)
  const sub = path.join(repo, 'src')
  await fs.mkdir(sub)
  assert.equal((await sb.run(MANAGER, ['mcp-setup'], { cwd: sub })).code, 0)
  const file = path.join(repo, '.mcp.json')
  const first = await fs.readFile(file, 'utf8')
  const stat = await fs.stat(file)
  const again = await sb.run(MANAGER, ['mcp-setup'], { cwd: repo })
  assert.equal(again.code, 0)
  assert.match(again.stdout, /already points/)
  assert.equal(await fs.readFile(file, 'utf8'), first)
  assert.equal((await fs.stat(file)).mtimeMs, stat.mtimeMs, 'not rewritten')
  assert.equal((await fs.stat(repo)).mode & 0o777, 0o755, 'the repository directory keeps its mode')

  await fs.writeFile(file, '{ "mcpServers": ')
  const broken = await sb.run(MANAGER, ['mcp-setup'], { cwd: repo })
  assert.equal(broken.code, 1)
  assert.match(errorLine(broken), /\.mcp\.json is not valid JSON/)
  assert.equal(await fs.readFile(file, 'utf8'), '{ "mcpServers": ')
})

test('doctor: all ✓ with the simulator; docker down, k3d missing or no git identity is ✗ and exit 1', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  const ok = await sb.run(MANAGER, ['doctor'], { cwd: repo })
  assert.equal(ok.code, 0, ok.stdout + ok.stderr)
  for (const check of ['docker: daemon reachable', 'k3d: v5.8.3', 'kubectl: ', 'git identity: Vitalii Serbyn <vitaliis@example.com>', 'just: ']) {
    assert.match(ok.stdout, new RegExp(`^✓ ${check.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'))
  }
  assert.match(ok.stdout, /^✓ ports: \d+ load balancer ports free in 8080-8179, \d+ API ports free in 6445-6544$/m)
  assert.equal((ok.stdout.match(/^✗/gm) ?? []).length, 0)

  const down = await sb.run(MANAGER, ['doctor'], { cwd: repo, env: { K3D_SIM_DOCKER_DOWN: '1' } })
  assert.equal(down.code, 1)
  assert.match(down.stdout, /^✗ docker: the Docker daemon is not running — start Docker/m)

  // A PATH with kubectl and docker but no k3d.
  const noK3d = path.join(sb.root, 'no-k3d')
  await fs.mkdir(noK3d)
  for (const tool of ['kubectl', 'docker']) await fs.symlink(path.join(BIN_DIR, tool), path.join(noK3d, tool))
  const gitDir = path.dirname((await sb.run('sh', ['-c', 'command -v git'])).stdout.trim())
  const nodeDir = path.dirname(process.execPath)
  const missing = await sb.run(MANAGER, ['doctor'], { cwd: repo, env: { PATH: [noK3d, nodeDir, gitDir, '/usr/bin', '/bin'].join(':') } })
  assert.equal(missing.code, 1, missing.stdout + missing.stderr)
  assert.match(missing.stdout, /^✗ k3d: k3d is not installed \(not on PATH\) — install k3d v5\+/m)

  const anonymous = await makeRepo(sb, { dir: 'anon', userName: null })
  const noId = await sb.run(MANAGER, ['doctor'], { cwd: anonymous })
  assert.equal(noId.code, 1)
  assert.match(noId.stdout, /^✗ git identity: git user.name is not set — git config user.name/m)
})

/** A port nothing listens on now (the kernel's choice). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

test('doctor: runtime, memory, inotify, networks and the registry, each with its fix; --json for scripts', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  const [lb, api] = [await freePort(), await freePort()]
  assert.equal((await sb.run('k3d', ['cluster', 'create', 'one', '-p', `127.0.0.1:${lb}:80@loadbalancer`, '--api-port', `127.0.0.1:${api}`, '--kubeconfig-update-default=false'])).code, 0)
  // an engine of 600 MiB: one idle k3s server (~0.5 GB) is above 80 % of it
  const env = { K3D_SIM_DOCKER_INFO: JSON.stringify({ MemTotal: 600 * 1024 ** 2 }) }
  const r = await sb.run(MANAGER, ['doctor'], { cwd: repo, env })
  assert.equal(r.code, 0, r.stdout + r.stderr)
  assert.match(r.stdout, /^✓ runtime: Docker Engine \S+ .*, local$/m)
  assert.match(r.stdout, /^⚠ memory: 1 running cluster\(s\) need ~[\d.]+ [GM]B of 600 MB \(\d+ %; idle k3s: ~0\.5 GB a server, ~0\.14 GB an agent\), room for ~0 more of .* — stop clusters you are not using \(.*cluster-manager\.ts stop NAME\), make them smaller/m)
  assert.match(r.stdout, /^[✓⚠] inotify: (\d+ running k3s node\(s\)|not checked)/m)
  assert.match(r.stdout, /^✓ networks: /m)
  assert.match(r.stdout, /^✓ registry: none configured: images are imported into each cluster/m)

  const json = await sb.run(MANAGER, ['doctor', '--json'], { cwd: repo, env })
  assert.equal(json.code, 0, json.stderr)
  const report = JSON.parse(json.stdout) as { ok: boolean; checks: Array<{ name: string; status: string; required: boolean; fix: string | null }> }
  assert.equal(report.ok, true)
  const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]))
  for (const name of ['docker', 'k3d', 'ports', 'runtime', 'memory', 'inotify', 'networks', 'registry']) assert.ok(byName[name], `no ${name} check`)
  assert.equal(byName.memory!.status, 'warn')
  assert.match(byName.memory!.fix!, /stop clusters you are not using/)
  assert.equal(byName.docker!.fix, null)

  // a rootless engine is a warning with its fix; with a registry configured, it is not made yet
  await fs.writeFile(path.join(repo, 'multi-cluster.config.json'), JSON.stringify({ registry: true }))
  const rootless = await sb.run(MANAGER, ['doctor'], { cwd: repo, env: { K3D_SIM_DOCKER_INFO: JSON.stringify({ SecurityOptions: ['name=seccomp,profile=builtin', 'name=rootless'] }) } })
  assert.match(rootless.stdout, /^⚠ runtime: Docker Engine .*rootless.* — see https:\/\/k3d\.io/m)
  assert.match(rootless.stdout, /^✓ registry: k3d-threads-agent-registry: not created yet; the next bootstrap creates it on a port of 5000-5099$/m)
})

test('a bad config file is rejected with the key named (exit 2), before anything changes', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  const cases: Array<[unknown, RegExp]> = [
    [{ image: ['x'] }, /image: unknown key/],
    [{ agents: 'two' }, /agents: expected a whole number/],
    [{ lbPortRange: '8179-8080' }, /lbPortRange: range 8179-8080 is inverted/],
  ]
  for (const [config, re] of cases) {
    await fs.writeJson(path.join(repo, 'multi-cluster.config.json'), config)
    const r = await sb.run(DEV_UP, [], { cwd: repo })
    assert.equal(r.code, 2, r.stderr)
    assert.match(errorLine(r), re)
    assert.match(errorLine(r), /multi-cluster\.config\.json/)
  }
  assert.equal(sb.calls('k3d').filter((c) => c.args[1] === 'create').length, 0)
})
