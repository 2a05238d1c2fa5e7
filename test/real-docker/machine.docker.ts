// Issue 13's machine-facing behaviour against the private daemon: the probe for a bind address
// against ports docker publishes on 127.0.0.1 or on every interface, what `docker info` and
// `docker network` say (the doctor's runtime and networks checks), and pushing the configured images
// to a registry once (docker tag + push, then skipped while the registry serves that digest).
import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { Docker } from '../../lib/docker.ts'
import { DOCKER_DEFAULT_POOLS, detectRuntime, networksCheck, poolUsage, runtimeCheck } from '../../lib/machine.ts'
import { probeFor } from '../../lib/ports.ts'
import { Output } from '../../lib/output.ts'
import { run } from '../../lib/proc.ts'
import { pushImages, digestOf } from '../../lib/bootstrap/registry.ts'
import type { SharedRegistry } from '../../lib/bootstrap/registry.ts'
import { docker, skipReason, tier } from './tier.ts'

process.env.DOCKER_HOST = tier.host
delete process.env.DOCKER_CONTEXT

const loopback = probeFor('127.0.0.1')
const everywhere = probeFor('0.0.0.0')

async function freePort(): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const port = 20000 + Math.floor(Math.random() * 9000)
    if ((await everywhere(port)) && (await loopback(port))) return port
  }
  throw new Error('no free port found')
}

let containers = 0
async function publish(t: TestContext, spec: string) {
  const name = `mc-tier-bind-${process.pid}-${++containers}`
  const r = await docker(['run', '-d', '--name', name, '--network', tier.network, '-p', spec, tier.image, '/bin/sleep', '600'])
  t.after(async () => {
    await docker(['rm', '-f', name])
  })
  return r
}

test('bind addresses: docker publishing on 127.0.0.1 or 0.0.0.0 blocks the port for both probes; each probe sees what the other binds', { skip: skipReason }, async (t) => {
  const [onLoopback, onAll, plain] = [await freePort(), await freePort(), await freePort()]
  assert.equal((await publish(t, `127.0.0.1:${onLoopback}:80`)).code, 0)
  assert.equal((await publish(t, `${onAll}:80`)).code, 0)
  const srv = net.createServer()
  await new Promise<void>((resolve) => srv.listen(plain, '0.0.0.0', resolve))
  t.after(() => new Promise<void>((resolve) => srv.close(() => resolve())))
  for (const port of [onLoopback, onAll, plain]) {
    assert.equal(await loopback(port), false, `127.0.0.1 probe of ${port}`)
    assert.equal(await everywhere(port), false, `0.0.0.0 probe of ${port}`)
  }
  // and docker agrees: a second publish on the other address of a port taken is refused
  const clash = await publish(t, `0.0.0.0:${onLoopback}:80`)
  assert.notEqual(clash.code, 0)
  assert.match(clash.stderr, /address already in use|port is already allocated/)
  const clash2 = await publish(t, `127.0.0.1:${onAll}:80`)
  assert.notEqual(clash2.code, 0)
})

test('docker info and docker network: the runtime, its pools and the subnets in use', { skip: skipReason }, async () => {
  const d = new Docker(run)
  const info = await d.info()
  const rt = detectRuntime(info, { DOCKER_HOST: tier.host })
  assert.equal(rt.kind, 'docker-engine')
  assert.equal(rt.remote, null, 'a unix socket is this machine')
  assert.equal(rt.rootless, false)
  assert.match(rt.label, new RegExp(`^Docker Engine ${(process.env.REAL_DOCKER_SERVER_VERSION ?? '').replace(/[.+]/g, '\\$&')}`))
  assert.equal(runtimeCheck(rt, '127.0.0.1').ok, true)
  // a remote engine with loopback-bound clusters is a warning with its fix
  const remote = runtimeCheck(detectRuntime(info, { DOCKER_HOST: 'tcp://10.0.0.5:2376' }), '127.0.0.1')
  assert.equal(remote.ok, false)
  assert.match(remote.fix!, /bind_address/)

  const networks = await d.networks()
  const mine = networks.find((n) => n.name === tier.network)
  assert.ok(mine, `${tier.network} among ${networks.map((n) => n.name).join(', ')}`)
  assert.equal(mine.subnets.length, 1, 'a user-defined network gets one subnet of the pools')
  // no pools configured: docker's defaults, as networksCheck assumes
  const usage = poolUsage(info.DefaultAddressPools?.length ? info.DefaultAddressPools : DOCKER_DEFAULT_POOLS, networks)
  assert.ok(usage.used >= 1 && usage.capacity > usage.used, JSON.stringify(usage))
  assert.equal(networksCheck(info.DefaultAddressPools, networks, 0).ok, true)
})

test('the configured images are pushed to the registry once: tag + push, then skipped while it serves that digest', { skip: skipReason || process.env.REAL_DOCKER_REGISTRY_SKIP || false }, async (t) => {
  const port = Number(tier.registry.split(':')[1])
  const image = `mc-tier/pushme:${process.pid}`
  assert.equal((await docker(['tag', tier.image, image])).code, 0)
  t.after(async () => {
    await docker(['rmi', '-f', image, `localhost:${port}/${image}`])
  })
  const reg: SharedRegistry = { node: 'k3d-tier', hostIp: '127.0.0.1', port, ref: `k3d-tier:${port}`, config: null, proxy: false }
  const d = new Docker(run)
  const out = new Output({ machine: true })
  const signal = new AbortController().signal
  const io = { docker: d, digest: digestOf(reg, signal), out, signal }
  const first = await pushImages(reg, [image], (await d.localImages([image])).listed, io)
  assert.deepEqual(first, { pushed: [image], current: [], failed: [] })
  const tags = await (await fetch(`http://127.0.0.1:${port}/v2/mc-tier/pushme/tags/list`)).json()
  assert.deepEqual((tags as { tags: string[] }).tags, [String(process.pid)])
  // a second cluster's run: docker recorded the pushed digest, the registry serves it, nothing pushed
  const second = await pushImages(reg, [image], (await d.localImages([image])).listed, io)
  assert.deepEqual(second, { pushed: [], current: [image], failed: [] })
})
