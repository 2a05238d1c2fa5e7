// Agents (issue 12): scoped credentials per namespace, the kubeconfig of a work tree that follows
// its switches, and mcp-setup writing each known MCP server's real options for each client.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import fs from 'fs-extra'
import { YAML } from 'zx'
import { sandboxFor, REPO_ROOT, ok } from './helpers/sandbox.ts'
import type { Sandbox, RunResult } from './helpers/sandbox.ts'
import { makeRepo } from './helpers/git.ts'
import { md5Prefix } from '../lib/hash.ts'
import { worktreeClusterName } from '../lib/names.ts'
import { kubectlText, fill } from './fixtures/real/recorded.ts'

const MANAGER = path.join(REPO_ROOT, 'scripts', 'cluster-manager.ts')
const DEV_UP = path.join(REPO_ROOT, 'scripts', 'dev-up-multi.ts')
const lines = (text: string) => text.replace(/\n$/, '').split('\n')
const errorLine = (r: RunResult) => r.stderr.split('\n').find((l) => l.startsWith('✗')) ?? ''
function exits(r: RunResult, code: number, line: RegExp): void {
  assert.equal(r.code, code, `expected exit ${code}, got ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
  assert.match(errorLine(r), line)
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace')
}
const manager = (sb: Sandbox, cwd: string, args: string[], env: Record<string, string | undefined> = {}) => sb.run(MANAGER, args, { cwd, env })
const kubeDir = (sb: Sandbox) => path.join(sb.home, '.kube', 'threads-agent')
const credsOf = (sb: Sandbox, name: string, ns: string) => path.join(kubeDir(sb), 'credentials', name, `config-${ns}`)
const worktreeKubeconfig = async (sb: Sandbox, dir: string) => path.join(kubeDir(sb), `worktree-${md5Prefix(await fs.realpath(dir), 16)}`)
const mode = async (file: string) => (await fs.stat(file)).mode & 0o777
const contextOf = async (file: string) => (YAML.parse(await fs.readFile(file, 'utf8')) as { 'current-context': string })['current-context']

async function create(sb: Sandbox, ...names: string[]): Promise<void> {
  for (const name of names) ok(await sb.run('k3d', ['cluster', 'create', name, '--kubeconfig-update-default=false']))
}

/** A work tree with clusters alpha and bravo, switched to alpha. */
async function setup(t: Parameters<typeof sandboxFor>[0]): Promise<{ sb: Sandbox; repo: string }> {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  await create(sb, 'alpha', 'bravo')
  ok(await manager(sb, repo, ['switch', 'alpha']))
  return { sb, repo }
}

// ---------------------------------------------------------------- credentials

test('credentials + exec --namespace: the token reaches its namespace only, in kubectl\'s own words', async (t) => {
  const { sb, repo } = await setup(t)
  const r = ok(await manager(sb, repo, ['credentials', 'alpha', '--namespace', 'agent-1']))
  const file = credsOf(sb, 'alpha', 'agent-1')
  assert.match(lines(r.stdout).find((l) => l.startsWith('✓'))!, /^✓ Credentials for namespace 'agent-1' of 'alpha' \(edit, until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)$/)
  assert.ok(lines(r.stdout).includes(`  Kubeconfig: ${file}`))
  assert.equal(await mode(file), 0o600)
  assert.equal(await mode(path.dirname(file)), 0o700)
  const doc = YAML.parse(await fs.readFile(file, 'utf8'))
  assert.equal(doc['current-context'], 'k3d-alpha')
  assert.deepEqual(doc.contexts[0].context, { cluster: 'k3d-alpha', user: 'system:serviceaccount:agent-1:threads-agent-edit', namespace: 'agent-1' })
  assert.deepEqual(Object.keys(doc.users[0].user), ['token'], 'no client certificate: the admin key is not in it')
  // the kubectl calls, as data: one idempotent apply, one token
  const calls = sb.calls('kubectl').map((c) => c.args.slice(2))
  assert.deepEqual(calls.slice(-2), [['apply', '-f', '-'], ['create', 'token', 'threads-agent-edit', '--namespace', 'agent-1', '--duration', '86400s']])

  // exec: its namespace by default; another namespace is refused by the API server
  const own = ok(await manager(sb, repo, ['exec', 'alpha', '--namespace', 'agent-1', '--', 'kubectl', 'create', 'configmap', 'notes', '--from-literal=a=b']))
  assert.equal(own.stdout, 'configmap/notes created\n')
  const env = ok(await manager(sb, repo, ['exec', '-n', 'agent-1', 'alpha', 'sh', '-c', 'printf %s "$KUBECONFIG"']))
  assert.equal(env.stdout, file)
  const other = await manager(sb, repo, ['exec', 'alpha', '--namespace', 'agent-1', '--', 'kubectl', 'get', 'pods', '-n', 'default'])
  assert.equal(other.code, 1)
  assert.equal(other.stderr, `${fill(kubectlText('forbidden-list-namespaced'), { resource: 'pods', user: 'system:serviceaccount:agent-1:threads-agent-edit', namespace: 'default' })}\n`)
  // running it again is idempotent (apply) and hands out a fresh token
  ok(await manager(sb, repo, ['credentials', 'alpha', '--namespace', 'agent-1']))
  ok(await manager(sb, repo, ['exec', 'alpha', '--namespace', 'agent-1', '--', 'kubectl', 'get', 'configmap', 'notes']))

  // --read-only: view, in the same namespace, another service account; --json
  const view = JSON.parse(ok(await manager(sb, repo, ['credentials', '--namespace', 'agent-2', '--read-only', '--duration', '90m', '--json'])).stdout)
  assert.equal(view.cluster, 'alpha', 'default: the current cluster')
  assert.deepEqual({ ...view, expires_at: null }, { cluster: 'alpha', namespace: 'agent-2', service_account: 'threads-agent-view', role: 'view', kubeconfig: credsOf(sb, 'alpha', 'agent-2'), expires_at: null })
  const lifetime = (Date.parse(view.expires_at) - Date.now()) / 1000
  assert.ok(lifetime > 5300 && lifetime <= 5400, `90 minutes, got ${lifetime}s`)
  const denied = await manager(sb, repo, ['exec', 'alpha', '-n', 'agent-2', '--', 'kubectl', 'create', 'configmap', 'x', '--from-literal=a=b'])
  assert.equal(denied.code, 1)
  assert.match(denied.stderr, /cannot create resource "configmaps" in API group "" in the namespace "agent-2"/)
  ok(await manager(sb, repo, ['exec', 'alpha', '-n', 'agent-2', '--', 'kubectl', 'get', 'configmaps']))
})

test('credentials and --namespace: bad input is exit 2, missing or expired credentials exit 1 with the command that makes them', async (t) => {
  const { sb, repo } = await setup(t)
  for (const [args, line] of [
    [['credentials', 'alpha'], /credentials needs --namespace NS/],
    [['credentials', 'alpha', '-n', 'Agent_1'], /invalid namespace "Agent_1"/],
    [['credentials', 'alpha', '-n', 'a', '--duration', 'tomorrow'], /--duration "tomorrow": not a duration/],
    [['credentials', 'alpha', '-n', 'a', '--duration', '5m'], /shorter than the 10 minutes/],
    [['exec', 'alpha', '--namespace', 'A B', '--', 'true'], /invalid namespace/],
    [['switch', 'alpha', '--namespace', 'x_y'], /invalid namespace/],
    [['mcp-setup', '--namespace', '-'], /invalid namespace/],
  ] as Array<[string[], RegExp]>) exits(await manager(sb, repo, args), 2, line)
  assert.equal(sb.calls('kubectl').length, 0, 'no kubectl call for bad input')

  exits(await manager(sb, repo, ['exec', 'alpha', '-n', 'agent-9', '--', 'true']), 1, /^✗ cluster 'alpha' has no credentials for namespace 'agent-9' — create them with: .*cluster-manager\.ts credentials alpha --namespace agent-9$/)
  exits(await manager(sb, repo, ['credentials', 'ghost', '-n', 'a']), 1, /cluster 'ghost' not found/)
  // a token past its exp claim: said before kubectl would answer Unauthorized
  ok(await manager(sb, repo, ['credentials', 'alpha', '-n', 'agent-1']))
  const file = credsOf(sb, 'alpha', 'agent-1')
  const doc = YAML.parse(await fs.readFile(file, 'utf8'))
  const [h, , s] = doc.users[0].user.token.split('.')
  doc.users[0].user.token = `${h}.${Buffer.from(JSON.stringify({ exp: 1700000000, sub: 'x' })).toString('base64url')}.${s}`
  await fs.writeFile(file, YAML.stringify(doc), { mode: 0o600 })
  exits(await manager(sb, repo, ['shell', 'alpha', '-n', 'agent-1']), 1, /the token for namespace 'agent-1' of 'alpha' expired at 2023-11-14T22:13:20\.000Z .* — get a fresh one with: .*credentials alpha --namespace agent-1$/)
  // a stopped cluster gets no token
  ok(await sb.run('k3d', ['cluster', 'stop', 'bravo']))
  exits(await manager(sb, repo, ['credentials', 'bravo', '-n', 'a']), 1, /cluster 'bravo' is stopped — start it with: .* start bravo/)
})

// ---------------------------------------------------------------- the work tree's kubeconfig

test('switch rewrites the work tree kubeconfig (0600, atomically): it follows switches, --namespace too, and current agrees', async (t) => {
  const { sb, repo } = await setup(t)
  const stable = await worktreeKubeconfig(sb, repo)
  assert.equal(await contextOf(stable), 'k3d-alpha')
  assert.equal(await mode(stable), 0o600)
  assert.equal((await fs.readFile(stable, 'utf8')).split('\n')[0], `# threads-agent work tree: ${await fs.realpath(repo)}`)
  const before = (await fs.stat(stable)).ino
  ok(await manager(sb, repo, ['switch', 'bravo']))
  assert.equal(await contextOf(stable), 'k3d-bravo')
  assert.notEqual((await fs.stat(stable)).ino, before, 'replaced by rename, not written in place')
  // a shell that exported the work tree's kubeconfig follows without re-exporting, and is not warned
  const viaStable = ok(await manager(sb, repo, ['current', '--name'], { KUBECONFIG: stable }))
  assert.equal(viaStable.stdout, 'bravo\n')
  const sw = ok(await manager(sb, repo, ['switch', 'alpha'], { KUBECONFIG: stable }))
  assert.doesNotMatch(sw.stderr, /still names/)
  assert.match(ok(await sb.run('kubectl', ['--kubeconfig', stable, 'get', 'nodes', '-o', 'name'])).stdout, /^node\/k3d-alpha-server-0$/m)

  // --namespace: the work tree uses the credentials; current says so
  ok(await manager(sb, repo, ['credentials', 'alpha', '-n', 'agent-1']))
  const scoped = ok(await manager(sb, repo, ['switch', 'alpha', '--namespace', 'agent-1']))
  assert.match(scoped.stdout, /✓ Switched to cluster 'alpha', namespace 'agent-1'/)
  assert.ok(lines(scoped.stdout).includes(`export KUBECONFIG="${credsOf(sb, 'alpha', 'agent-1')}"`))
  assert.equal((YAML.parse(await fs.readFile(stable, 'utf8')) as { users: Array<{ name: string }> }).users[0]!.name, 'system:serviceaccount:agent-1:threads-agent-edit')
  const current = ok(await manager(sb, repo, ['current']))
  assert.ok(lines(current.stdout).includes(`  Kubeconfig: ${credsOf(sb, 'alpha', 'agent-1')}`), current.stdout)
  assert.match(current.stdout, /Selected by: switch in this work tree \(.*\), namespace 'agent-1'/)
  exits(await manager(sb, repo, ['switch', 'bravo', '-n', 'agent-1']), 1, /cluster 'bravo' has no credentials for namespace 'agent-1'/)

  // another work tree has its own file, untouched by switches here
  const other = await makeRepo(sb, { dir: 'other' })
  ok(await manager(sb, other, ['switch', 'bravo']))
  ok(await manager(sb, repo, ['switch', 'alpha']))
  assert.equal(await contextOf(await worktreeKubeconfig(sb, other)), 'k3d-bravo')
  assert.equal(await contextOf(stable), 'k3d-alpha')
})

test('delete removes the credentials and every work tree kubeconfig of the cluster; cleanup those of removed work trees', async (t) => {
  const { sb, repo } = await setup(t)
  ok(await manager(sb, repo, ['credentials', 'alpha', '-n', 'agent-1']))
  const stable = await worktreeKubeconfig(sb, repo)
  const gone = await makeRepo(sb, { dir: 'gone' })
  ok(await manager(sb, gone, ['switch', 'bravo']))
  const goneStable = await worktreeKubeconfig(sb, gone)
  const del = ok(await manager(sb, repo, ['delete', 'alpha', '--yes']))
  assert.match(del.stdout, /Removed the namespace credentials of 'alpha'/)
  assert.equal(await fs.pathExists(path.join(kubeDir(sb), 'credentials', 'alpha')), false)
  assert.equal(await fs.pathExists(stable), false, 'a key to a deleted cluster is removed')
  assert.equal(await fs.pathExists(goneStable), true)
  await fs.remove(gone)
  const clean = ok(await manager(sb, repo, ['cleanup']))
  assert.ok(lines(clean.stdout).includes(`Removed the kubeconfig of work tree ${await fs.realpath(path.dirname(gone)).then((d) => path.join(d, 'gone'))} (it is gone; ${goneStable})`), clean.stdout)
  assert.equal(await fs.pathExists(goneStable), false)
  // a name like config-alpha-agent-1 never existed to confuse cleanup or delete: bravo's files stay
  assert.equal(await fs.pathExists(path.join(kubeDir(sb), 'config-bravo')), true)
})

// ---------------------------------------------------------------- mcp-setup

/** The one server entry of a client file. */
const entry = async (file: string, key = 'mcpServers') => (await fs.readJson(file))[key].kubernetes

test('mcp-setup writes each known server\'s real options, pinned to its major, for each client', async (t) => {
  const { sb, repo } = await setup(t)
  const hash = md5Prefix(await fs.realpath(repo), 16)
  const home = (v: string) => `${v}/.kube/threads-agent/worktree-${hash}`
  const file = path.join(repo, '.mcp.json')

  // Flux159's mcp-server-kubernetes (the default): KUBECONFIG_PATH and KUBECONFIG, ${HOME}-relative for Claude Code
  const r = ok(await manager(sb, repo, ['mcp-setup']))
  assert.match(r.stdout, new RegExp(`✓ \\.mcp\\.json: the kubernetes server \\(mcp-server-kubernetes@4, read-write\\) uses \\$\\{HOME\\}/\\.kube/threads-agent/worktree-${hash}, this work tree's kubeconfig \\(now 'alpha'; a switch here moves it\\)`))
  assert.deepEqual(await fs.readJson(file), { mcpServers: { kubernetes: { command: 'npx', args: ['-y', 'mcp-server-kubernetes@4'], env: { KUBECONFIG_PATH: home('${HOME}'), KUBECONFIG: home('${HOME}') } } } })
  assert.match(r.stderr, /⚠ \.mcp\.json names a kubeconfig of this machine .*; keep it out of commits: add \.mcp\.json to \.gitignore/)
  ok(await manager(sb, repo, ['mcp-setup', '--read-only']))
  assert.deepEqual((await entry(file)).env, { KUBECONFIG_PATH: home('${HOME}'), KUBECONFIG: home('${HOME}'), ALLOW_ONLY_READONLY_TOOLS: 'true' })
  // no mode flag: the mode stays (dev-start never lifts it); --non-destructive replaces it; --read-write lifts it
  ok(await manager(sb, repo, ['mcp-setup']))
  assert.equal((await entry(file)).env.ALLOW_ONLY_READONLY_TOOLS, 'true')
  ok(await manager(sb, repo, ['mcp-setup', '--non-destructive']))
  assert.deepEqual((await entry(file)).env, { KUBECONFIG_PATH: home('${HOME}'), KUBECONFIG: home('${HOME}'), ALLOW_ONLY_NON_DESTRUCTIVE_TOOLS: 'true' })
  ok(await manager(sb, repo, ['mcp-setup', '--read-write']))
  assert.deepEqual((await entry(file)).env, { KUBECONFIG_PATH: home('${HOME}'), KUBECONFIG: home('${HOME}') })

  // a switch changes the kubeconfig the server reads, never the file
  const text = await fs.readFile(file, 'utf8')
  ok(await manager(sb, repo, ['switch', 'bravo']))
  assert.equal(await fs.readFile(file, 'utf8'), text)
  assert.equal(await contextOf(await worktreeKubeconfig(sb, repo)), 'k3d-bravo')
  assert.match(ok(await manager(sb, repo, ['mcp-setup'])).stdout, /already points the kubernetes server at \$\{HOME\}\/\.kube\/threads-agent\/worktree-/)

  // containers' kubernetes-mcp-server: --kubeconfig and its own switches, in Cursor's and VS Code's files
  await fs.writeJson(path.join(repo, 'multi-cluster.config.json'), { mcp: { server: 'kubernetes-mcp-server' } })
  ok(await manager(sb, repo, ['mcp-setup', '--client', 'cursor', '--read-only']))
  assert.deepEqual(await fs.readJson(path.join(repo, '.cursor', 'mcp.json')), {
    mcpServers: { kubernetes: { command: 'npx', args: ['-y', 'kubernetes-mcp-server@0', '--kubeconfig', home('${userHome}'), '--read-only'] } },
  })
  ok(await manager(sb, repo, ['mcp-setup', '--client', 'vscode', '--non-destructive']))
  assert.deepEqual(await fs.readJson(path.join(repo, '.vscode', 'mcp.json')), {
    servers: { kubernetes: { type: 'stdio', command: 'npx', args: ['-y', 'kubernetes-mcp-server@0', '--kubeconfig', home('${userHome}'), '--disable-destructive'] } },
  })
  // switching server kinds drops the other server's variables (Flux159 → containers in .mcp.json)
  ok(await manager(sb, repo, ['mcp-setup']))
  assert.deepEqual(await entry(file), { command: 'npx', args: ['-y', 'kubernetes-mcp-server@0', '--kubeconfig', home('${HOME}')] })

  // a pinned major of our choosing
  await fs.writeJson(path.join(repo, 'multi-cluster.config.json'), { mcp: { server: 'mcp-server-kubernetes', version: '3' } })
  ok(await manager(sb, repo, ['mcp-setup']))
  assert.deepEqual((await entry(file)).args, ['-y', 'mcp-server-kubernetes@3'])
})

test('mcp-setup --namespace: bound to those credentials, with K8S_CONTEXT and K8S_NAMESPACE for Flux159\'s server', async (t) => {
  const { sb, repo } = await setup(t)
  ok(await manager(sb, repo, ['credentials', 'alpha', '-n', 'agent-1']))
  ok(await manager(sb, repo, ['mcp-setup', '--namespace', 'agent-1', '--read-only']))
  const creds = '${HOME}/.kube/threads-agent/credentials/alpha/config-agent-1'
  assert.deepEqual(await entry(path.join(repo, '.mcp.json')), {
    command: 'npx',
    args: ['-y', 'mcp-server-kubernetes@4'],
    env: { KUBECONFIG_PATH: creds, KUBECONFIG: creds, K8S_CONTEXT: 'k3d-alpha', K8S_NAMESPACE: 'agent-1', ALLOW_ONLY_READONLY_TOOLS: 'true' },
  })
  exits(await manager(sb, repo, ['mcp-setup', '--namespace', 'agent-2']), 1, /cluster 'alpha' has no credentials for namespace 'agent-2'/)
})

test('mcp-setup keeps what is not its own, refuses a tracked file without --force, and a custom server cannot be made read-only', async (t) => {
  const { sb, repo } = await setup(t)
  const file = path.join(repo, '.mcp.json')
  const notes = { command: 'node', args: ['notes.js'], env: { TOKEN: 'x' } }
  await fs.writeJson(file, { mcpServers: { notes, kubernetes: { command: 'old', env: { MASK_SECRETS: 'false', KUBECONFIG: '/old', K8S_CONTEXT: 'k3d-old' }, disabled: false } }, extra: 1 })
  await fs.chmod(file, 0o600)
  ok(await manager(sb, repo, ['mcp-setup']))
  const doc = await fs.readJson(file)
  assert.deepEqual(doc.mcpServers.notes, notes)
  assert.equal(doc.extra, 1)
  assert.equal(doc.mcpServers.kubernetes.disabled, false)
  assert.equal(doc.mcpServers.kubernetes.env.MASK_SECRETS, 'false', "the server's other settings are kept")
  assert.equal(doc.mcpServers.kubernetes.env.K8S_CONTEXT, undefined, 'a stale context of ours is dropped')
  assert.equal(await mode(file), 0o600, 'keeps its mode')

  // tracked by git: not rewritten silently
  ok(await sb.run('git', ['add', '.mcp.json'], { cwd: repo }))
  ok(await manager(sb, repo, ['mcp-setup'])) // unchanged: nothing to write, nothing to refuse
  const text = await fs.readFile(file, 'utf8')
  exits(await manager(sb, repo, ['mcp-setup', '--read-only']), 1, /^✗ \.mcp\.json is tracked by git: writing it would commit a path of this machine \(\$\{HOME\}\/\.kube\/threads-agent\/worktree-[0-9a-f]{16}, this work tree's kubeconfig\) that no one else has — keep it out of git \(git rm --cached \.mcp\.json, and list it in \.gitignore\), or pass --force to write it anyway$/)
  assert.equal(await fs.readFile(file, 'utf8'), text)
  ok(await manager(sb, repo, ['mcp-setup', '--read-only', '--force']))
  assert.equal((await entry(file)).env.ALLOW_ONLY_READONLY_TOOLS, 'true')

  // not an object, or servers that are not an object: left alone
  await fs.writeFile(file, '[1, 2]\n')
  exits(await manager(sb, repo, ['mcp-setup']), 1, /\.mcp\.json is not a JSON object; it was left as it is/)
  assert.equal(await fs.readFile(file, 'utf8'), '[1, 2]\n')
  await fs.writeFile(file, '{"mcpServers": []}\n')
  exits(await manager(sb, repo, ['mcp-setup', '--force']), 2, /"mcpServers" is not a JSON object; the file was left as it is/)
  assert.equal(await fs.readFile(file, 'utf8'), '{"mcpServers": []}\n')
  await fs.remove(file)

  // the older custom form still works (KUBECONFIG only); a read-only promise it cannot keep is refused
  await fs.writeJson(path.join(repo, 'multi-cluster.config.json'), { mcpServer: { command: 'node', args: ['k8s.js'] } })
  ok(await manager(sb, repo, ['mcp-setup']))
  assert.deepEqual(await entry(file), { command: 'node', args: ['k8s.js'], env: { KUBECONFIG: `\${HOME}/.kube/threads-agent/worktree-${md5Prefix(await fs.realpath(repo), 16)}` } })
  exits(await manager(sb, repo, ['mcp-setup', '--read-only']), 2, /--read-only needs a server whose switch is known: the configured MCP server is the custom command 'node'/)
  // unknown names exit 2 listing the known ones
  exits(await manager(sb, repo, ['mcp-setup', '--client', 'zed']), 2, /unknown MCP client "zed" \(known: claude, cursor, vscode\)/)
  await fs.writeJson(path.join(repo, 'multi-cluster.config.json'), { mcp: { server: 'k8s-mcp' } })
  exits(await manager(sb, repo, ['mcp-setup']), 2, /mcp\.server: unknown MCP server "k8s-mcp" \(known: mcp-server-kubernetes, kubernetes-mcp-server/)
})

// ---------------------------------------------------------------- one cluster per work tree

test('--worktree: two work trees of one identity get two clusters and distinct ports; current, mcp-setup and the stable kubeconfig follow each one; cleanup finds the cluster of a removed work tree', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  const git = async (cwd: string, ...args: string[]) => ok(await sb.run('git', args, { cwd }))
  await git(repo, 'commit', '-q', '--allow-empty', '-m', 'start')
  const second = path.join(sb.root, 'second')
  await git(repo, 'worktree', 'add', '-q', second)
  const trees = [await fs.realpath(repo), await fs.realpath(second)]

  // The identity's own name and parts: --worktree appends the work tree's hash (names.test.ts tests the shortening).
  const planned = JSON.parse(ok(await sb.run(DEV_UP, ['--dry-run', '--json'], { cwd: repo })).stdout)
  const personal = planned.name as string
  const parts = { repository: planned.repository, emailHash: planned.email_hash, user: personal.slice(planned.repository.length + 1, -(planned.email_hash.length + 1)) }
  const first = JSON.parse(ok(await sb.run(DEV_UP, ['--worktree', '--json'], { cwd: repo })).stdout)
  const other = JSON.parse(ok(await sb.run(DEV_UP, ['--json'], { cwd: second, env: { CLUSTER_ISOLATION: 'worktree' } })).stdout)
  const made = [first, other]
  made.forEach((r, i) => {
    assert.equal(r.name, worktreeClusterName(parts, trees[i]!))
    assert.ok(r.name.endsWith(`-${planned.email_hash}-${md5Prefix(trees[i]!, 4)}`) && r.name.length <= 32, r.name)
    assert.equal(r.worktree, trees[i])
  })
  assert.notEqual(first.lb_port, other.lb_port)
  assert.notEqual(first.api_port, other.api_port)
  for (const [i, r] of made.entries()) {
    const meta = await fs.readJson(path.join(sb.home, '.config', 'threads-agent', 'clusters', `${r.name}.json`))
    assert.equal(meta.worktree, trees[i])
  }
  // Without the setting the name is the identity's, as before.
  assert.equal(JSON.parse(ok(await sb.run(DEV_UP, ['--dry-run', '--json', '--no-worktree'], { cwd: second, env: { CLUSTER_ISOLATION: 'worktree' } })).stdout).name, personal)
  exits(await sb.run(DEV_UP, [], { cwd: repo, env: { CLUSTER_ISOLATION: 'tree' } }), 2, /CLUSTER_ISOLATION: expected "identity" or "worktree", got "tree"/)

  for (const [i, dir] of [repo, second].entries()) {
    const name = made[i].name as string
    assert.equal(ok(await manager(sb, dir, ['current', '--name'])).stdout, `${name}\n`)
    ok(await manager(sb, dir, ['mcp-setup']))
    const stable = await worktreeKubeconfig(sb, dir)
    const entry = (await fs.readJson(path.join(dir, '.mcp.json'))).mcpServers.kubernetes
    assert.equal(entry.env.KUBECONFIG_PATH, `\${HOME}/.kube/threads-agent/${path.basename(stable)}`)
    assert.equal(await contextOf(stable), `k3d-${name}`)
    assert.equal(await mode(stable), 0o600)
    assert.match(ok(await manager(sb, dir, ['info', name])).stdout, new RegExp(`^  Work tree: ${trees[i]}$`, 'm'))
  }
  assert.equal(JSON.parse(ok(await manager(sb, repo, ['info', other.name, '--json'])).stdout).worktree, trees[1])

  // The second work tree goes: cleanup names its cluster and keeps it; --yes deletes it.
  await git(repo, 'worktree', 'remove', '--force', second)
  const listed = ok(await manager(sb, repo, ['cleanup']))
  assert.match(listed.stderr, new RegExp(`cluster '${other.name}' belongs to work tree ${trees[1]}, which is gone; delete it with: .*cleanup --yes`))
  assert.ok(ok(await sb.run('k3d', ['cluster', 'list', other.name])).stdout.includes(other.name))
  ok(await manager(sb, repo, ['cleanup', '--yes']))
  assert.equal((await sb.run('k3d', ['cluster', 'list', other.name])).code, 1)
  assert.ok(ok(await sb.run('k3d', ['cluster', 'list', first.name])).stdout.includes(first.name), 'the live work tree keeps its cluster')
})

test('dev-start share --namespace: each agent on the shared cluster gets its own namespace, credentials and MCP kubeconfig', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  ok(await sb.run('git', ['commit', '-q', '--allow-empty', '-m', 'start'], { cwd: repo }))
  const second = path.join(sb.root, 'second')
  ok(await sb.run('git', ['worktree', 'add', '-q', second], { cwd: repo }))
  exits(await manager(sb, repo, ['dev-start', 'share', '--namespace', 'Agent 1']), 2, /invalid namespace "Agent 1"/)
  assert.equal(sb.calls('k3d').length, 0, 'bad input stops before any work')

  for (const [dir, ns] of [[repo, 'agent-1'], [second, 'agent-2']] as const) {
    const r = ok(await manager(sb, dir, ['dev-start', 'share', '--namespace', ns]))
    const creds = credsOf(sb, 'threads-agent', ns)
    assert.match(r.stdout, new RegExp(`^  Namespace: ${ns} \\(edit only there, until \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\)$`, 'm'))
    assert.ok(lines(r.stdout).includes(`  export KUBECONFIG="${creds}"`), r.stdout)
    assert.match(ok(await manager(sb, dir, ['current'])).stdout, new RegExp(`namespace '${ns}'`))
    const stable = await worktreeKubeconfig(sb, dir)
    const doc = YAML.parse(await fs.readFile(stable, 'utf8'))
    assert.equal(doc.users[0].name, `system:serviceaccount:${ns}:threads-agent-edit`)
    const entry = (await fs.readJson(path.join(dir, '.mcp.json'))).mcpServers.kubernetes
    assert.equal(entry.env.KUBECONFIG_PATH, `\${HOME}/.kube/threads-agent/${path.basename(stable)}`)
  }
  // What the MCP server of the first work tree holds reaches agent-1 and not agent-2.
  const kubeconfig = await worktreeKubeconfig(sb, repo)
  ok(await sb.run('kubectl', ['create', 'configmap', 'mine', '--from-literal=a=b'], { cwd: repo, env: { KUBECONFIG: kubeconfig } }))
  const denied = await sb.run('kubectl', ['get', 'configmaps', '-n', 'agent-2'], { cwd: repo, env: { KUBECONFIG: kubeconfig } })
  assert.equal(denied.code, 1)
  assert.match(denied.stderr, /User "system:serviceaccount:agent-1:threads-agent-edit" cannot list resource "configmaps" in API group "" in the namespace "agent-2"/)
})
