// What `--dry-run -o yaml` prints is what a run gives k3d: the simulator's `k3d cluster create
// --config -` accepts it, and it makes the same cluster as the flags of `--dry-run --json`
// (k3d_args, what a k3d before v5.5 runs).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { fs } from 'zx'
import { REPO_ROOT, sandboxFor, ok } from './helpers/sandbox.ts'
import type { Sandbox } from './helpers/sandbox.ts'
import { makeRepo } from './helpers/git.ts'

const DEV_UP = path.join(REPO_ROOT, 'scripts', 'dev-up-multi.ts')


interface Node {
  name: string
  role: string
  Memory: string
  extraArgs?: string[] | null
  portMappings?: Record<string, Array<{ HostIp: string; HostPort: string }>>
}

async function cluster(sb: Sandbox, name: string): Promise<{ name: string; nodes: Node[] }> {
  const all = JSON.parse(ok(await sb.run('k3d', ['cluster', 'list', '-o', 'json'])).stdout) as Array<{ name: string; nodes: Node[] }>
  const found = all.find((c) => c.name === name)
  assert.ok(found, `no cluster ${name}`)
  return found
}

/** A cluster without its name and port numbers: roles, memory, k3s args, and the addresses it is bound to. */
const shape = (c: { name: string; nodes: Node[] }) =>
  c.nodes.map((n) => ({
    role: n.role,
    name: n.name.replace(c.name, 'NAME'),
    memory: n.Memory,
    args: n.extraArgs,
    bindings: Object.fromEntries(Object.entries(n.portMappings ?? {}).map(([k, v]) => [k, v.map((b) => b.HostIp)])),
  }))

test('--dry-run -o yaml: a document k3d --config - accepts, making the same cluster as the flags', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  await fs.writeJson(path.join(repo, 'multi-cluster.config.json'), {
    agents: 1,
    memory: { servers: '1g', agents: '512m' },
    k3d: { options: { k3s: { nodeLabels: [{ label: 'tier=dev', nodeFilters: ['agent:*'] }] } } },
  })
  const yaml = ok(await sb.run(DEV_UP, ['--name', 'by-config', '--dry-run', '-o', 'yaml'], { cwd: repo }))
  assert.match(yaml.stdout, /^apiVersion: k3d\.io\/v1alpha5\nkind: Simple\nmetadata:\n {2}name: by-config\n/)
  assert.equal(yaml.stdout.includes('Dry run'), false, 'the document alone on stdout')
  const flags = JSON.parse(ok(await sb.run(DEV_UP, ['--name', 'by-flags', '--dry-run', '--json'], { cwd: repo })).stdout)
  assert.deepEqual(flags.k3d_config.options.runtime, { serversMemory: '1g', agentsMemory: '512m' })
  assert.equal(sb.calls('k3d').filter((c) => c.args[1] === 'create').length, 0, 'a dry run creates nothing')

  ok(await sb.run('k3d', ['cluster', 'create', 'by-config', '--config', '-'], { input: yaml.stdout }))
  ok(await sb.run('k3d', flags.k3d_args))
  const byConfig = await cluster(sb, 'by-config')
  assert.deepEqual(shape(byConfig), shape(await cluster(sb, 'by-flags')))
  // loopback, the memory limits and the project's node label all reached k3d
  const lb = byConfig.nodes.find((n) => n.role === 'loadbalancer')!
  assert.deepEqual(Object.values(lb.portMappings!).flat().map((b) => b.HostIp), ['127.0.0.1', '127.0.0.1'])
  assert.deepEqual(byConfig.nodes.filter((n) => n.role !== 'loadbalancer').map((n) => n.Memory), ['1.074GB', '536.9MB'])
  assert.ok(flags.k3d_args.includes('--k3s-node-label') && flags.k3d_args.includes('tier=dev@agent:*'), flags.k3d_args.join(' '))
})

test('a "k3d" object that sets what this tool manages, or a key k3d does not have, is exit 2 naming it', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  const file = path.join(repo, 'multi-cluster.config.json')
  for (const [k3d, message] of [
    [{ ports: [{ port: '9000:80' }] }, /k3d\.ports: set by this tool, not here \(the load balancer port is chosen by the tool/],
    [{ options: { kubeconfig: { switchCurrentContext: true } } }, /k3d\.options\.kubeconfig: set by this tool, not here/],
    [{ registries: { use: ['k3d-other:5000'] } }, /k3d\.registries\.use: set by this tool, not here/],
    [{ volumez: [] }, /k3d\.volumez: not a key of k3d's config/],
  ] as const) {
    await fs.writeJson(file, { k3d })
    const r = await sb.run(DEV_UP, ['--dry-run'], { cwd: repo })
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, message)
  }
  await fs.writeJson(file, { memory: '1 gig' })
  const bad = await sb.run(DEV_UP, ['--dry-run'], { cwd: repo })
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /memory/)
})
