// The shared image registry end to end, against the simulator (k3d's registry nodes, docker tag and
// push, the registry's HTTP API): "registry": true makes one registry for every cluster, each
// configured image present locally is pushed once, and the registry outlives the clusters that
// used it until `registry delete` or `cleanup --registry` removes it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { fs } from 'zx'
import { REPO_ROOT, sandboxFor, ok } from './helpers/sandbox.ts'
import type { Sandbox } from './helpers/sandbox.ts'
import { makeRepo } from './helpers/git.ts'

const DEV_UP = path.join(REPO_ROOT, 'scripts', 'dev-up-multi.ts')
const MANAGER = path.join(REPO_ROOT, 'scripts', 'cluster-manager.ts')
const NODE = 'k3d-threads-agent-registry'


async function registryNodes(sb: Sandbox): Promise<Array<{ name: string; Networks: string[] }>> {
  return JSON.parse(ok(await sb.run('k3d', ['registry', 'list', '-o', 'json'])).stdout)
}

test('"registry": true: three clusters share one registry, each present image pushed once; deleting two leaves it serving the third', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  await fs.writeJson(path.join(repo, 'multi-cluster.config.json'), { registry: true, images: ['ghcr.io/org/app:{tag}', 'docker.io/library/redis:7', 'absent/thing:1'] })
  await fs.writeFile(path.join(sb.state, 'images'), 'ghcr.io/org/app:local\nredis:7\n')

  const first = ok(await sb.run(DEV_UP, ['--json'], { cwd: repo }))
  const a = JSON.parse(first.stdout)
  const b = JSON.parse(ok(await sb.run(DEV_UP, ['--share', '--json'], { cwd: repo })).stdout)
  const c = JSON.parse(ok(await sb.run(DEV_UP, ['--name', 'third', '--json'], { cwd: repo })).stdout)

  // one registry, made by the first run, on loopback, used by all three
  const creates = sb.calls('k3d').filter((x) => x.args[0] === 'registry' && x.args[1] === 'create')
  assert.equal(creates.length, 1)
  const port = Number(/127\.0\.0\.1:(\d+)/.exec(creates[0]!.args.join(' '))?.[1])
  assert.ok(port >= 5000 && port <= 5099, `port ${port} of 5000-5099`)
  for (const r of [a, b, c]) assert.equal(r.registry, `${NODE}:${port}`)
  assert.deepEqual(a.k3d_config.registries, { use: [`${NODE}:${port}`] })
  const nodes = await registryNodes(sb)
  assert.deepEqual(nodes.map((n) => n.name), [NODE])
  assert.deepEqual(nodes[0]!.Networks.filter((n) => n.startsWith('k3d-')).sort(), [`k3d-${a.name}`, `k3d-${b.name}`, 'k3d-third'].sort())

  // each present image pushed once (not per cluster), none imported; the absent one named once per run
  const pushes = sb.calls('docker').filter((x) => x.args[0] === 'push').map((x) => x.args[1])
  assert.deepEqual(pushes.sort(), [`localhost:${port}/org/app:local`, `localhost:${port}/redis:7`])
  assert.equal(sb.calls('k3d').filter((x) => x.args[0] === 'image').length, 0)
  assert.match(first.stderr, /1 configured image\(s\) not found locally, not pushed: absent\/thing:1 — /)
  assert.match(first.stderr, new RegExp(`Pods pull them from the registry as ${NODE}:${port}/PATH:TAG, e\\.g\\. image: ${NODE}:${port}/org/app:local`))

  // list and status say who uses it
  const list = ok(await sb.run(MANAGER, ['list', '--json'], { cwd: repo }))
  assert.deepEqual(JSON.parse(list.stdout).map((v: { registry: string | null }) => v.registry), [`${NODE}:${port}`, `${NODE}:${port}`, `${NODE}:${port}`])
  assert.match(ok(await sb.run(MANAGER, ['list'], { cwd: repo })).stdout, new RegExp(`^  Registry: ${NODE}:${port}$`, 'm'))
  const status = JSON.parse(ok(await sb.run(MANAGER, ['registry', '--json'], { cwd: repo })).stdout)
  assert.deepEqual(status.clusters, [a.name, b.name, 'third'].sort())
  assert.equal(status.push_address, `localhost:${port}`)
  assert.equal(status.host_ip, '127.0.0.1')
  // docker.io/library/redis:7 is `redis:7` in the registry, as docker names it
  assert.deepEqual(status.images, [{ repository: 'org/app', tags: ['local'] }, { repository: 'redis', tags: ['7'] }])

  // deleting two clusters leaves the registry serving the third
  ok(await sb.run(MANAGER, ['delete', a.name, b.name, '--yes'], { cwd: repo }))
  assert.deepEqual((await registryNodes(sb)).map((n) => n.name), [NODE])
  const catalog = await (await fetch(`http://127.0.0.1:${port}/v2/_catalog`)).json()
  assert.deepEqual((catalog as { repositories: string[] }).repositories.sort(), ['org/app', 'redis'])
  const human = ok(await sb.run(MANAGER, ['registry'], { cwd: repo })).stdout
  assert.match(human, /^  Used by: third$/m)
  assert.match(human, new RegExp(`^  Push to: localhost:${port} `, 'm'))

  // refused while used (exit 1, one line with the fix); cleanup --registry keeps a used one
  const refused = await sb.run(MANAGER, ['registry', 'delete'], { cwd: repo })
  assert.equal(refused.code, 1)
  assert.match(refused.stderr, new RegExp(`^✗ the shared registry ${NODE} is used by 1 cluster\\(s\\): third — delete those clusters first, or remove it anyway .*registry delete --force`, 'm'))
  assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr)
  assert.match(ok(await sb.run(MANAGER, ['cleanup', '--registry'], { cwd: repo })).stdout, /Kept the shared registry k3d-threads-agent-registry: third use\(s\) it/)
  assert.equal((await registryNodes(sb)).length, 1)

  // the last cluster gone, the registry stays until cleanup --registry removes it
  ok(await sb.run(MANAGER, ['delete', 'third', '--yes'], { cwd: repo }))
  assert.equal((await registryNodes(sb)).length, 1)
  assert.match(ok(await sb.run(MANAGER, ['cleanup', '--registry'], { cwd: repo })).stdout, /Removed the shared registry k3d-threads-agent-registry \(no cluster uses it\)/)
  assert.deepEqual(await registryNodes(sb), [])
  assert.match(ok(await sb.run(MANAGER, ['registry', 'delete'], { cwd: repo })).stdout, /No shared registry k3d-threads-agent-registry: nothing to delete/)
})

test('registry delete --force removes a registry clusters use, saying which; without a registry, status says how to get one', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  const none = ok(await sb.run(MANAGER, ['registry'], { cwd: repo }))
  assert.match(none.stdout, /^No shared registry k3d-threads-agent-registry\.$/m)
  assert.match(none.stdout, /"registry": true/)
  await fs.writeJson(path.join(repo, 'multi-cluster.config.json'), { registry: { name: 'team-cache', port_range: '5100-5199' } })
  const made = JSON.parse(ok(await sb.run(DEV_UP, ['--json'], { cwd: repo })).stdout)
  assert.match(made.registry, /^k3d-team-cache:51\d\d$/)
  const forced = ok(await sb.run(MANAGER, ['registry', 'delete', '--force'], { cwd: repo }))
  assert.match(forced.stderr, new RegExp(`${made.name} used k3d-team-cache: images not pulled yet can no longer be pulled from it`))
  assert.match(forced.stdout, /Deleted the shared registry k3d-team-cache/)
  assert.deepEqual(await registryNodes(sb), [])
})
