// The doctor's machine checks (lib/machine.ts): pure functions of what docker, k3d and /proc said.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import os from 'node:os'
import path from 'node:path'
import { mkdtemp, writeFile } from 'node:fs/promises'
import {
  detectRuntime, inotifyCheck, machineChecks, memoryCheck, networksCheck, poolUsage, readInotifyLimits, registryCheck, runtimeCheck,
  DOCKER_DEFAULT_POOLS,
} from '../lib/machine.ts'
import type { K3dCluster, K3dRegistry } from '../lib/k3d.ts'
import { DEFAULT_CONFIG } from '../lib/config.ts'
import { IDLE_AGENT_BYTES, IDLE_SERVER_BYTES } from '../lib/memory.ts'

const GB = 1024 ** 3

function cluster(name: string, running = true, over: Partial<K3dCluster> = {}): K3dCluster {
  return {
    name, running, serversRunning: running ? 1 : 0, serversCount: 1, agentsRunning: running ? 2 : 0, agentsCount: 2,
    lbPort: 8080, apiPort: 6445, lbHostIp: '127.0.0.1', apiHostIp: '127.0.0.1', hostPorts: [8080, 6445],
    serversMemory: null, agentsMemory: null, network: `k3d-${name}`, ...over,
  }
}

test('the runtime, read from docker info and DOCKER_HOST', () => {
  const engine = detectRuntime({ ServerVersion: '20.10.24+dfsg1', OperatingSystem: 'Debian GNU/Linux 12 (bookworm)', Name: 'vm', SecurityOptions: ['name=seccomp,profile=default'] }, {})
  assert.deepEqual(engine, { kind: 'docker-engine', label: 'Docker Engine 20.10.24+dfsg1 (Debian GNU/Linux 12 (bookworm))', rootless: false, remote: null, vm: false })
  assert.equal(detectRuntime({ ServerVersion: '28.3.2', OperatingSystem: 'Docker Desktop' }, {}).kind, 'docker-desktop')
  assert.equal(detectRuntime({ ServerVersion: '28.3.2', OperatingSystem: 'Docker Desktop' }, {}).vm, true)
  assert.equal(detectRuntime({ ServerVersion: '27.4.0', OperatingSystem: 'Ubuntu 24.04.1 LTS', Name: 'colima' }, {}).kind, 'colima')
  assert.equal(detectRuntime({ ServerVersion: '27.4.0', Name: 'lima' }, { DOCKER_HOST: 'unix:///Users/me/.colima/default/docker.sock' }).kind, 'colima')
  assert.equal(detectRuntime({ ServerVersion: '5.2.0', Plugins: { Log: ['k8s-file', 'none', 'journald'] } }, {}).kind, 'podman')
  assert.equal(detectRuntime({ ServerVersion: '5.2.0' }, { DOCKER_HOST: 'unix:///run/user/1000/podman/podman.sock' }).kind, 'podman')
  assert.equal(detectRuntime({ ServerVersion: '28.0.1', SecurityOptions: ['name=seccomp,profile=builtin', 'name=rootless', 'name=cgroupns'] }, {}).rootless, true)
  assert.equal(detectRuntime({ ServerVersion: '28.0.1' }, { DOCKER_HOST: 'ssh://me@build-box' }).remote, 'ssh://me@build-box')
  assert.equal(detectRuntime({ ServerVersion: '' }, {}).kind, 'unknown')
})

test('runtime line: fine locally; a remote engine with loopback clusters, Podman and rootless are warnings with their fix', () => {
  const local = runtimeCheck(detectRuntime({ ServerVersion: '28.2.2', OperatingSystem: 'Ubuntu' }, {}), '127.0.0.1')
  assert.deepEqual([local.ok, local.detail], [true, 'Docker Engine 28.2.2 (Ubuntu), local'])
  const desktop = runtimeCheck(detectRuntime({ ServerVersion: '28.3.2', OperatingSystem: 'Docker Desktop' }, {}), '127.0.0.1')
  assert.equal(desktop.detail, "Docker Desktop (engine 28.3.2), local, in a VM: memory and kernel limits are the VM's")
  const remote = runtimeCheck(detectRuntime({ ServerVersion: '28.2.2' }, { DOCKER_HOST: 'tcp://10.0.0.5:2376' }), '127.0.0.1')
  assert.equal(remote.ok, false)
  assert.match(remote.detail, /remote at tcp:\/\/10\.0\.0\.5:2376: clusters publish on 127\.0\.0\.1 of that host/)
  assert.match(remote.fix!, /"bind_address"/)
  assert.equal(runtimeCheck(detectRuntime({ ServerVersion: '28.2.2' }, { DOCKER_HOST: 'tcp://10.0.0.5:2376' }), '0.0.0.0').ok, true)
  assert.match(runtimeCheck(detectRuntime({ ServerVersion: '5.2.0' }, { DOCKER_HOST: 'unix:///run/podman/podman.sock' }), '127.0.0.1').fix!, /k3d\.io\/stable\/usage\/advanced\/podman/)
  assert.equal(runtimeCheck(detectRuntime({ ServerVersion: '28', SecurityOptions: ['name=rootless'] }, {}), '127.0.0.1').ok, false)
})

test('memory: running clusters at their idle size (or limit) against the engine, a warning above 80 %', () => {
  const next = { servers: 1, agents: 2, memory: null }
  const one = IDLE_SERVER_BYTES + 2 * IDLE_AGENT_BYTES
  const fine = memoryCheck([cluster('a'), cluster('b', false)], 8 * GB, next, 'just cluster-stop NAME')
  assert.equal(fine.ok, true)
  assert.match(fine.detail, /^1 running cluster\(s\) need ~792 MB of 8\.0 GB \(10 %; idle k3s: ~0\.5 GB a server, ~0\.14 GB an agent\), room for ~\d+ more of 792 MB$/)
  const tight = memoryCheck(['a', 'b', 'c'].map((n) => cluster(n)), Math.floor((3 * one) / 0.85), next, 'just cluster-stop NAME')
  assert.equal(tight.ok, false)
  assert.match(tight.detail, /^3 running cluster\(s\) need ~2\.3 GB of 2\.7 GB \(85 %/)
  assert.match(tight.fix!, /just cluster-stop NAME/)
  // a node's memory limit caps its share
  const small = memoryCheck([cluster('a', true, { serversMemory: 256 * 1024 ** 2 })], 8 * GB, next, 'x')
  assert.match(small.detail, /need ~536 MB/)
})

test('inotify: the nodes that run and the next cluster\'s against the limits, with the sysctl that fixes it', () => {
  const ok = inotifyCheck({ instances: 512, watches: 524288 }, 9, 3, null)
  assert.equal(ok.ok, true)
  assert.match(ok.detail, /^9 running k3s node\(s\) and the next cluster's 3 need ~192 instances and ~98304 watches \(estimate\); max_user_instances=512, max_user_watches=524288$/)
  const low = inotifyCheck({ instances: 128, watches: 8192 }, 9, 3, null)
  assert.equal(low.ok, false)
  assert.equal(low.fix, 'sudo sysctl fs.inotify.max_user_instances=512 fs.inotify.max_user_watches=524288 (to keep it: put both in /etc/sysctl.d/99-k3d.conf)')
  // many nodes: more than kind's values, a power of two above the need
  assert.match(inotifyCheck({ instances: 512, watches: 524288 }, 60, 3, null).fix!, /max_user_instances=2048 fs\.inotify\.max_user_watches=1048576/)
  assert.match(inotifyCheck(null, 3, 3, null).detail, /not Linux/)
  const vm = inotifyCheck({ instances: 1, watches: 1 }, 3, 3, detectRuntime({ ServerVersion: '28', OperatingSystem: 'Docker Desktop' }, {}))
  assert.deepEqual([vm.ok, /in a VM/.test(vm.detail)], [true, true])
})

test('inotify limits are read from /proc/sys/fs/inotify', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'inotify-'))
  await writeFile(path.join(dir, 'max_user_instances'), '128\n')
  await writeFile(path.join(dir, 'max_user_watches'), '65536\n')
  assert.deepEqual(await readInotifyLimits(dir), { instances: 128, watches: 65536 })
  assert.equal(await readInotifyLimits(path.join(dir, 'nope')), null)
})

test('networks: subnets of docker\'s address pools held, against what they give (31 by default)', () => {
  assert.deepEqual(poolUsage(DOCKER_DEFAULT_POOLS, []), { capacity: 31, used: 0 })
  const nets = [
    { name: 'bridge', driver: 'bridge', subnets: ['172.17.0.0/16'] },
    { name: 'host', driver: 'host', subnets: [] },
    { name: 'k3d-a', driver: 'bridge', subnets: ['172.18.0.0/16'] },
    { name: 'k3d-b', driver: 'bridge', subnets: ['192.168.16.0/20'] },
    { name: 'vpn', driver: 'bridge', subnets: ['10.8.0.0/24'] }, // outside the pools
  ]
  assert.deepEqual(poolUsage(DOCKER_DEFAULT_POOLS, nets), { capacity: 31, used: 3 })
  const check = networksCheck(null, nets, 2)
  assert.deepEqual([check.ok, check.detail], [true, '3 of 31 address-pool subnets in use (2 by k3d clusters, one network each); 28 left'])
  const full = networksCheck([{ Base: '10.10.0.0/15', Size: 16 }], [{ name: 'bridge', driver: 'bridge', subnets: ['10.10.0.0/16'] }, { name: 'k3d-a', driver: 'bridge', subnets: ['10.11.0.0/16'] }], 1)
  assert.equal(full.ok, false)
  assert.match(full.detail, /2 of 2 .*; 0 left: the next cluster cannot get a network$/)
  assert.match(full.fix!, /default-address-pools/)
})

test('the shared registry: none, not yet made, used, stopped, not answering', () => {
  const settings = { name: 'threads-agent-registry', portRange: { start: 5000, end: 5099 }, proxy: null }
  const reg = (over: Partial<K3dRegistry> = {}): K3dRegistry => ({ node: 'k3d-threads-agent-registry', running: true, hostIp: '127.0.0.1', hostPort: 5000, networks: ['k3d-a', 'k3d-b', 'bridge'], ...over })
  assert.match(registryCheck(null, [], [], null, 'x').detail, /^none configured/)
  assert.match(registryCheck(settings, [], [], null, 'x').detail, /not created yet; the next bootstrap creates it on a port of 5000-5099/)
  const used = registryCheck(settings, [reg()], [cluster('a'), cluster('b'), cluster('c')], true, 'x')
  assert.deepEqual([used.ok, used.detail], [true, 'k3d-threads-agent-registry at localhost:5000 (127.0.0.1), used by 2 cluster(s): a, b'])
  assert.equal(registryCheck(settings, [reg({ running: false })], [], null, 'x').fix, 'docker start k3d-threads-agent-registry')
  assert.match(registryCheck(settings, [reg()], [], false, 'just registry').fix!, /just registry/)
})

test('machineChecks puts them together, and says what it could not check', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'inotify-'))
  await writeFile(path.join(dir, 'max_user_instances'), '8192\n')
  await writeFile(path.join(dir, 'max_user_watches'), '1048576\n')
  const io = {
    docker: { info: async () => ({ ServerVersion: '20.10.24', OperatingSystem: 'Debian', MemTotal: 16 * GB }), networks: async () => [] },
    k3d: { registries: async () => [] },
    clusters: [cluster('a')],
    config: { ...DEFAULT_CONFIG, registry: { name: 'r', portRange: { start: 5000, end: 5099 }, proxy: null } },
    env: {},
    howTo: { stop: 'just cluster-stop NAME', registry: 'just registry' },
    inotifyRoot: dir,
  }
  const checks = await machineChecks(io)
  assert.deepEqual(checks.map((c) => [c.name, c.ok]), [['runtime', true], ['memory', true], ['inotify', true], ['networks', true], ['registry', true]])
  const down = await machineChecks({ ...io, docker: { info: async () => { throw new Error('down') }, networks: async () => { throw new Error('down') } }, clusters: null })
  assert.match(down.find((c) => c.name === 'runtime')!.detail, /not checked/)
  assert.match(down.find((c) => c.name === 'registry')!.detail, /not checked \(k3d unavailable\)/)
})
