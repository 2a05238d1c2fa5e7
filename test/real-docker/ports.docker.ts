// lib/ports.ts's probe and lib/docker.ts / lib/k3d.ts's reading of port conflicts, against ports a
// real daemon publishes (docker-proxy on 0.0.0.0 and [::], or on 127.0.0.1 only) and plain listeners.
import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { dockerFailure } from '../../lib/docker.ts'
import { k3dFailure } from '../../lib/k3d.ts'
import { findFreePort, probeHostPort } from '../../lib/ports.ts'
import { capture, docker, noRecording, skipReason, tier } from './tier.ts'

const WIDTH = 6

/** WIDTH consecutive ports that are free right now, chosen at random (never fixed numbers). */
async function freeWindow(): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const base = 20000 + Math.floor(Math.random() * 9000)
    const free = await Promise.all(Array.from({ length: WIDTH }, (_, i) => probeHostPort(base + i)))
    if (free.every(Boolean)) return base
  }
  throw new Error('no window of free ports found')
}

async function listen(t: TestContext, port: number, host: string, ipv6Only = false): Promise<void> {
  const srv = net.createServer()
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject)
    srv.listen({ port, host, ipv6Only }, resolve)
  })
  t.after(() => new Promise<void>((resolve) => srv.close(() => resolve())))
}

let containers = 0
/** `docker run -d -p PUBLISH` of a sleeper on the tier's network; removed when T ends. */
async function publish(t: TestContext, publishSpec: string) {
  const name = `mc-tier-${process.pid}-${++containers}`
  const args = ['run', '-d', '--name', name, '--network', tier.network, '-p', publishSpec, tier.image, '/bin/sleep', '600']
  const r = await docker(args)
  t.after(async () => {
    await docker(['rm', '-f', name])
  })
  return { name, args: ['docker', ...args], r }
}

test('the port probe sees what the daemon publishes, inside and at the edges of a range', { skip: skipReason }, async (t) => {
  const base = await freeWindow()
  const range = { start: base, end: base + WIDTH - 1 }
  for (const spec of [`${base}:80`, `127.0.0.1:${base + 1}:80`, `${range.end}:80`]) {
    const { r } = await publish(t, spec)
    assert.equal(r.code, 0, `docker run -p ${spec}: ${r.stderr}`)
  }
  await listen(t, base + 2, '0.0.0.0')
  await listen(t, base + 4, '127.0.0.1')
  const probed = await Promise.all(Array.from({ length: WIDTH }, (_, i) => probeHostPort(base + i)))
  assert.deepEqual(probed, [false, false, false, true, false, false], `probe of ${base}..${range.end}`)
  // docker-proxy holds [::]:P too: an IPv6-only bind of a published port fails
  await assert.rejects(listen(t, base, '::', true), /EADDRINUSE/)
  // the search: from the start, from the last port (wrapping), from the middle
  const never = new Set<number>()
  for (const preferred of [range.start, range.end, base + 4, base + 3]) {
    assert.equal(await findFreePort(range, preferred, never, probeHostPort, 'load balancer', 'LB_PORT_RANGE'), base + 3, `from ${preferred}`)
  }
  // the last free port taken by an IPv6-only listener: the range is exhausted, and says so
  await listen(t, base + 3, '::', true)
  assert.equal(await probeHostPort(base + 3), false)
  await assert.rejects(findFreePort(range, base, never, probeHostPort, 'load balancer', 'LB_PORT_RANGE'), new RegExp(`no free load balancer port left in ${base}-${range.end}`))
})

test('a port freed by the daemon is free again for the probe', { skip: skipReason }, async (t) => {
  const base = await freeWindow()
  const { name, r } = await publish(t, `${base}:80`)
  assert.equal(r.code, 0, r.stderr)
  assert.equal(await probeHostPort(base), false)
  assert.equal((await docker(['rm', '-f', name])).code, 0)
  assert.equal(await probeHostPort(base), true)
})

/** The line k3d would log for a create whose load balancer could not publish: the daemon's words inside k3d's. */
const k3dCreateFailure = (daemonLine: string) => ({
  code: 1,
  stdout: "INFO[0000] Prep: Network\nINFO[0001] Starting cluster 'x'\n",
  stderr:
    "ERRO[0002] Failed Cluster Start: Failed to add one or more helper nodes: runtime failed to start node 'k3d-x-serverlb': " +
    `docker failed to start container for node 'k3d-x-serverlb': ${daemonLine}\n` +
    'ERRO[0002] Failed to create cluster >>> Rolling Back\nINFO[0002] Deleting cluster \'x\'\nFATA[0003] Cluster creation FAILED, all changes have been rolled back!\n',
})

/** The daemon's own error line out of `docker run`'s stderr (the CLI adds `docker: ` and a usage hint). */
const daemonLine = (stderr: string) => /Error response from daemon: .*/.exec(stderr)?.[0] ?? ''

test('the daemon\'s port-conflict messages are read as port conflicts with their port', { skip: skipReason }, async (t) => {
  const base = await freeWindow()
  const held = await publish(t, `${base}:80`)
  assert.equal(held.r.code, 0, held.r.stderr)
  await listen(t, base + 1, '0.0.0.0')
  await listen(t, base + 2, '127.0.0.1')
  const provoked: Array<[string, string, number]> = [
    ['run-port-allocated', `${base}:80`, base], // another container holds it
    ['run-port-allocated-loopback', `127.0.0.1:${base}:80`, base], // ... on 0.0.0.0, asked for 127.0.0.1
    ['run-userland-proxy', `${base + 1}:80`, base + 1], // a process listens on 0.0.0.0
    ['run-userland-proxy-loopback', `${base + 2}:80`, base + 2], // a process listens on 127.0.0.1 only
  ]
  for (const [id, spec, port] of provoked) {
    const { name, args, r } = await publish(t, spec)
    assert.notEqual(r.code, 0, `docker run -p ${spec} should fail`)
    const line = daemonLine(r.stderr)
    assert.deepEqual(dockerFailure(r.stderr), { kind: 'port-conflict', port }, r.stderr)
    const f = k3dFailure(k3dCreateFailure(line))
    assert.equal(f.kind, 'port-conflict', id)
    assert.equal(f.port, port, id)
    assert.ok(f.reason.includes(line), `the reason is the daemon's line, not k3d's rollback line: ${f.reason}`)
    const exchange = capture(id, args, r, { port, endpoint: name })
    await t.test(`${id}: the daemon still answers as recorded`, { skip: noRecording() }, () => assert.deepEqual(exchange.live, exchange.recorded))
  }
})
