// Loopback by default: the bind address of multi-cluster.config.json / BIND_ADDRESS, and a port
// probe that tries exactly what docker binds for that address (lib/ports.ts).
import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { isLoopback, parseBindAddress, probeFor } from '../lib/ports.ts'
import { UsageError } from '../lib/errors.ts'

async function listen(t: TestContext, host: string, port = 0, ipv6Only = false): Promise<number | null> {
  const s = net.createServer()
  const ok = await new Promise<boolean>((resolve) => {
    s.once('error', () => resolve(false))
    s.listen({ host, port, ipv6Only }, () => resolve(true))
  })
  if (!ok) return null
  t.after(() => new Promise<void>((resolve) => s.close(() => resolve())))
  return (s.address() as net.AddressInfo).port
}

test('a listener on 0.0.0.0:P blocks 127.0.0.1:P, and one on 127.0.0.1:P blocks 0.0.0.0:P', async (t) => {
  const loopback = probeFor('127.0.0.1')
  const all = probeFor('0.0.0.0')
  const onAll = (await listen(t, '0.0.0.0'))!
  assert.equal(await loopback(onAll), false)
  assert.equal(await all(onAll), false)
  const onLoopback = (await listen(t, '127.0.0.1'))!
  assert.equal(await all(onLoopback), false)
  assert.equal(await loopback(onLoopback), false)
  // a port nobody holds is free for both, and each probe gives it back
  const spare = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '0.0.0.0', () => {
      const p = (s.address() as net.AddressInfo).port
      s.close(() => resolve(p))
    })
  })
  assert.equal(await loopback(spare), true)
  assert.equal(await all(spare), true)
  assert.equal(await loopback(spare), true, 'the probe released the port')
})

test('an IPv6 listener holds localhost for a loopback cluster (its kubeconfig names localhost)', async (t) => {
  const port = await listen(t, '::1', 0, true)
  if (port === null) return t.skip('no IPv6 loopback on this machine')
  assert.equal(await probeFor('127.0.0.1')(port), false)
})

test('bind addresses: IPv4 only, loopback told apart', () => {
  assert.equal(parseBindAddress(' 0.0.0.0 ', 'bind_address'), '0.0.0.0')
  assert.equal(parseBindAddress('192.168.1.20', 'BIND_ADDRESS'), '192.168.1.20')
  for (const bad of ['localhost', '::1', '256.1.1.1', '1.2.3', '']) {
    assert.throws(() => parseBindAddress(bad, 'BIND_ADDRESS'), (e: unknown) => e instanceof UsageError && /^BIND_ADDRESS: expected an IPv4 address/.test(e.message), bad)
  }
  assert.equal(isLoopback('127.0.0.1'), true)
  assert.equal(isLoopback('127.1.2.3'), true)
  assert.equal(isLoopback('0.0.0.0'), false)
})
