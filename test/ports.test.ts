import { test } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { choosePorts, findFreePort, parseRange, preferredPort, probeHostPort, searchOrder, DEFAULT_API_RANGE, DEFAULT_LB_RANGE } from '../lib/ports.ts'
import { takenPorts } from '../lib/clusters.ts'
import { parseClusterList } from '../lib/k3d.ts'
import { OperationError, UsageError } from '../lib/errors.ts'
import type { ClusterMeta } from '../lib/registry.ts'

const ranges = { lb: DEFAULT_LB_RANGE, api: DEFAULT_API_RANGE }
const allFree = async () => true

test('preferred ports are the old script\'s 8080/6445 + cksum(name) mod 100', () => {
  assert.equal(preferredPort('threads-agent-vitalii-se-c18b4c', DEFAULT_LB_RANGE), 8142)
  assert.equal(preferredPort('threads-agent-vitalii-se-c18b4c', DEFAULT_API_RANGE), 6507)
})

test('free preferred ports are chosen as they are', async () => {
  const plan = await choosePorts('threads-agent-vitalii-se-c18b4c', ranges, new Set(), allFree)
  assert.deepEqual([plan.lbPort, plan.apiPort], [8142, 6507])
})

test('busy listeners, metadata ports and k3d ports (stopped clusters too) are skipped', async () => {
  const k3d = parseClusterList(JSON.stringify([
    { name: 'stopped', serversRunning: 0, serversCount: 1, nodes: [
      { role: 'server', State: { Running: false }, serverOpts: { kubeAPI: { Binding: { HostIp: '0.0.0.0', HostPort: '6507' } } } },
      { role: 'loadbalancer', State: { Running: false }, portMappings: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8142' }] } },
    ] },
  ]))
  const meta = { name: 'm', lb_port: 8143, api_port: 6508 } as ClusterMeta
  const taken = takenPorts(k3d, [meta], [{ name: 'r', pid: 1, lb_port: 8144, api_port: 6509, created_at: '' }])
  const busy = new Set([8145, 6510])
  const plan = await choosePorts('threads-agent-vitalii-se-c18b4c', ranges, taken, async (p) => !busy.has(p))
  assert.deepEqual([plan.lbPort, plan.apiPort], [8146, 6511])
  assert.deepEqual([plan.preferredLb, plan.preferredApi], [8142, 6507])
})

test('the search wraps inside the range and never leaves it', async () => {
  const range = { start: 9000, end: 9009 }
  assert.deepEqual(searchOrder(range, 9008), [9008, 9009, 9000, 9001, 9002, 9003, 9004, 9005, 9006, 9007])
  const taken = new Set([9008, 9009])
  assert.equal(await findFreePort(range, 9008, taken, allFree, 'load balancer', 'LB_PORT_RANGE'), 9000)
})

test('the preferred port is probed alone; only when it is busy do the batches start', async () => {
  const range = { start: 9000, end: 9099 }
  const probed: number[][] = []
  let batch: number[] = []
  const recording = (busy: ReadonlySet<number>) => async (p: number) => {
    batch.push(p)
    await Promise.resolve()
    if (batch.length) probed.push(batch)
    batch = []
    return !busy.has(p)
  }
  assert.equal(await findFreePort(range, 9040, new Set(), recording(new Set()), 'load balancer', 'LB_PORT_RANGE'), 9040)
  assert.deepEqual(probed, [[9040]])
  probed.length = 0
  assert.equal(await findFreePort(range, 9040, new Set(), recording(new Set([9040, 9041])), 'load balancer', 'LB_PORT_RANGE'), 9042)
  assert.deepEqual(probed.map((b) => b.length), [1, 16], 'then 16 at once')
  assert.deepEqual(probed[1]!.slice(0, 3), [9041, 9042, 9043])
})

test('an exhausted range is a clear error naming the range and how to widen it', async () => {
  const range = { start: 9000, end: 9004 }
  await assert.rejects(
    findFreePort(range, 9002, new Set([9000, 9001]), async (p) => p > 9004, 'load balancer', 'LB_PORT_RANGE'),
    (err: unknown) => err instanceof OperationError && /9000-9004/.test(err.message) && /LB_PORT_RANGE=9000-9104/.test(err.hint ?? ''),
  )
})

test('overlapping ranges never give the same port twice', async () => {
  const same = { start: 9000, end: 9001 }
  const plan = await choosePorts('x', { lb: same, api: same }, new Set(), allFree)
  assert.notEqual(plan.lbPort, plan.apiPort)
})

test('a recreated cluster prefers its own ports', async () => {
  const plan = await choosePorts('threads-agent-vitalii-se-c18b4c', ranges, new Set(), allFree, { lb: 8100, api: 6500 })
  assert.deepEqual([plan.lbPort, plan.apiPort], [8100, 6500])
  const outside = await choosePorts('threads-agent-vitalii-se-c18b4c', ranges, new Set(), allFree, { lb: 80, api: 1 })
  assert.deepEqual([outside.lbPort, outside.apiPort], [8142, 6507])
})

test('parseRange accepts START-END and rejects the rest as usage errors', () => {
  assert.deepEqual(parseRange('8080-8179', 'LB_PORT_RANGE'), { start: 8080, end: 8179 })
  assert.deepEqual(parseRange(' 10 - 20 ', 'X'), { start: 10, end: 20 })
  for (const bad of ['8179-8080', 'abc', '0-10', '1-70000', '8080']) assert.throws(() => parseRange(bad, 'LB_PORT_RANGE'), UsageError, bad)
})

function listen(host: string, port = 0): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(port, host, () => resolve(s))
  })
}

test('probeHostPort sees listeners on 127.0.0.1 and 0.0.0.0, and frees ports after probing', async () => {
  for (const host of ['127.0.0.1', '0.0.0.0']) {
    const server = await listen(host)
    const port = (server.address() as net.AddressInfo).port
    assert.equal(await probeHostPort(port), false, host)
    await new Promise((r) => server.close(r))
    assert.equal(await probeHostPort(port), true, `${host} after close`)
    assert.equal(await probeHostPort(port), true, 'the probe itself released the port')
  }
})

/** Listeners on all 20 ports of a range we hold ourselves (another base is tried when one is taken). */
async function holdRange(size: number): Promise<{ base: number; servers: net.Server[] }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = await listen('0.0.0.0')
    const base = (first.address() as net.AddressInfo).port
    const servers = [first]
    for (let p = base + 1; p < base + size && p < 65536; p++) {
      const s = net.createServer()
      const ok = await new Promise<boolean>((r) => { s.once('error', () => r(false)); s.listen(p, '0.0.0.0', () => r(true)) })
      if (!ok) break
      servers.push(s)
    }
    if (servers.length === size) return { base, servers }
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  }
  throw new Error(`found no ${size} consecutive free ports in 50 tries`)
}

test('port choice with 95% of a range held by real listeners finds the one free port', async () => {
  // Every port of the range is ours, so which one is free is known: the check is exact (it used
  // to accept any port it had not itself held, which a port held by someone else also passed).
  const { base, servers } = await holdRange(20)
  try {
    const range = { start: base, end: base + 19 }
    const freeOne = base + 13
    const victim = servers.find((s) => (s.address() as net.AddressInfo).port === freeOne)!
    await new Promise((r) => victim.close(r))
    assert.equal(await findFreePort(range, base, new Set(), probeHostPort, 'load balancer', 'LB_PORT_RANGE'), freeOne)
    const again = await listen('0.0.0.0', freeOne)
    servers.push(again)
    await assert.rejects(findFreePort(range, base, new Set(), probeHostPort, 'load balancer', 'LB_PORT_RANGE'), /no free load balancer port left in/)
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  }
})
