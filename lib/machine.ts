// What `doctor` knows about the machine many clusters share: which container runtime it talks
// to, memory, inotify limits, docker's network address pools and the shared registry. Each check
// is a pure function of what was read (docker info, networks, k3d's clusters, /proc), so tests
// give it data; machineChecks() at the end reads it. Warnings only: none of these stops a bootstrap.
import { readFile } from 'node:fs/promises'
import os from 'node:os'
import type { Check } from './preflight.ts'
import type { DockerInfo, DockerNetwork } from './docker.ts'
import type { K3dCluster, K3dRegistry } from './k3d.ts'
import { clusterEstimate, formatBytes, parseMemory } from './memory.ts'
import type { ProjectConfig } from './config.ts'
import { clustersUsing, registryHost, registryNode } from './imageregistry.ts'
import { formatRange } from './ports.ts'

// ---------------------------------------------------------------- runtime

export type RuntimeKind = 'docker-engine' | 'docker-desktop' | 'colima' | 'podman' | 'unknown'

export interface Runtime {
  kind: RuntimeKind
  /** How it is named to the user: `Docker Engine 20.10.24`, `Docker Desktop (engine 28.3.2)`. */
  label: string
  rootless: boolean
  /** The daemon is not on this machine (DOCKER_HOST over tcp:// or ssh://): its ports are published there. */
  remote: string | null
  /** The engine runs in a VM (Desktop, Colima, a podman machine): memory and kernel limits are the VM's. */
  vm: boolean
}

/**
 * Reads which runtime answers from `docker info` (moby api/types/system.Info) and DOCKER_HOST:
 * Docker Desktop names itself in OperatingSystem; Colima's VM is named colima[-PROFILE] (its
 * docker context too, and its socket lives in ~/.colima); Podman's compat API lists its own log
 * driver k8s-file, or is reached through a podman socket; rootless engines report
 * `name=rootless` among SecurityOptions (what kind's docker provider checks).
 */
export function detectRuntime(info: DockerInfo, env: NodeJS.ProcessEnv): Runtime {
  const host = env.DOCKER_HOST ?? ''
  const context = info.ClientInfo?.Context ?? env.DOCKER_CONTEXT ?? 'default'
  const os_ = info.OperatingSystem ?? ''
  const name = info.Name ?? ''
  const version = info.ServerVersion ?? ''
  const logDrivers = ((info.Plugins as { Log?: string[] } | undefined)?.Log ?? []) as string[]
  const remote = /^(tcp|ssh|https?):\/\//.test(host) ? host : null
  const rootless = (info.SecurityOptions ?? []).some((o) => /(^|,)name=rootless(,|$)/.test(o))
  let kind: RuntimeKind = 'docker-engine'
  if (/podman/i.test(host) || logDrivers.includes('k8s-file') || /podman/i.test(context)) kind = 'podman'
  else if (/docker desktop/i.test(os_) || context === 'desktop-linux') kind = 'docker-desktop'
  else if (/^colima(-|$)/.test(name) || /^colima(-|$)/.test(context) || host.includes('/.colima/')) kind = 'colima'
  else if (!version) kind = 'unknown'
  const labels: Record<RuntimeKind, string> = {
    'docker-engine': `Docker Engine ${version}${os_ ? ` (${os_})` : ''}`,
    'docker-desktop': `Docker Desktop (engine ${version})`,
    colima: `Colima (Docker Engine ${version}${name ? `, VM ${name}` : ''})`,
    podman: `Podman (Docker-compatible API ${version})`,
    unknown: 'an engine that did not say what it is',
  }
  return { kind, label: labels[kind], rootless, remote, vm: kind === 'docker-desktop' || kind === 'colima' || (kind === 'podman' && process.platform !== 'linux') }
}

const K3D_PODMAN = 'https://k3d.io/stable/usage/advanced/podman/'

export function runtimeCheck(rt: Runtime, bindAddress: string): Check {
  const notes = [rt.rootless ? 'rootless' : '', rt.remote ? `remote at ${rt.remote}` : 'local', rt.vm ? 'in a VM: memory and kernel limits are the VM\'s' : ''].filter(Boolean)
  const detail = `${rt.label}, ${notes.join(', ')}`
  if (rt.remote && bindAddress.startsWith('127.')) {
    return { name: 'runtime', ok: false, required: false, detail: `${detail}: clusters publish on 127.0.0.1 of that host, unreachable from here`, fix: 'use a local engine, or set "bind_address" to an address of that host you can reach (and trust its network)' }
  }
  if (rt.kind === 'podman') return { name: 'runtime', ok: false, required: false, detail: `${detail}: k3d on Podman needs its socket and cgroup v2 set up`, fix: `see ${K3D_PODMAN}` }
  if (rt.rootless) return { name: 'runtime', ok: false, required: false, detail: `${detail}: k3s nodes need cgroup v2 with delegated controllers`, fix: `see ${K3D_PODMAN} (rootless) and https://docs.docker.com/engine/security/rootless/` }
  return { name: 'runtime', ok: true, required: false, detail }
}

// ---------------------------------------------------------------- memory

/** Running clusters' expected memory against what the engine has: a warning above this share. */
export const MEMORY_WARN_SHARE = 0.8

export function memoryCheck(clusters: readonly K3dCluster[], total: number, next: { servers: number; agents: number; memory: ProjectConfig['memory'] }, howToStop: string): Check {
  const running = clusters.filter((c) => c.serversRunning > 0 || c.agentsRunning > 0)
  const need = running.reduce((sum, c) => sum + clusterEstimate(c.serversRunning, c.agentsRunning, { servers: c.serversMemory, agents: c.agentsMemory }), 0)
  const one = clusterEstimate(next.servers, next.agents, { servers: parseMemory(next.memory?.servers ?? '') ?? null, agents: parseMemory(next.memory?.agents ?? '') ?? null })
  const share = total > 0 ? need / total : 0
  const room = total > 0 ? Math.max(0, Math.floor((total * MEMORY_WARN_SHARE - need) / one)) : 0
  const detail = `${running.length} running cluster(s) need ~${formatBytes(need)} of ${formatBytes(total)} (${Math.round(share * 100)} %; idle k3s: ~0.5 GB a server, ~0.14 GB an agent), room for ~${room} more of ${formatBytes(one)}`
  if (share <= MEMORY_WARN_SHARE) return { name: 'memory', ok: true, required: false, detail }
  return {
    name: 'memory',
    ok: false,
    required: false,
    detail,
    fix: `stop clusters you are not using (${howToStop}), make them smaller ("agents", "memory" in multi-cluster.config.json), or give the engine more memory`,
  }
}

// ---------------------------------------------------------------- inotify

/**
 * What one k3s node takes of the host's inotify limits, an estimate: kubelet, containerd and a
 * shim per pod watch files and cgroups. kind's known issues: Ubuntu's 128 instances and 8192
 * watches are "not enough to create a cluster with many nodes"; kind's fix is 512 and 524288.
 */
export const INOTIFY_INSTANCES_PER_NODE = 16
export const INOTIFY_WATCHES_PER_NODE = 8192
const KIND_INSTANCES = 512
const KIND_WATCHES = 524288

const atLeast = (need: number, floor: number) => Math.max(floor, 2 ** Math.ceil(Math.log2(Math.max(1, need * 1.25))))

export function inotifyCheck(limits: { instances: number; watches: number } | null, runningNodes: number, nextNodes: number, rt: Runtime | null): Check {
  if (rt && (rt.vm || rt.remote)) return { name: 'inotify', ok: true, required: false, detail: `not checked here: the nodes run ${rt.remote ? 'on a remote host' : 'in a VM'}, whose kernel has its own limits` }
  if (!limits) return { name: 'inotify', ok: true, required: false, detail: 'not checked: this is not Linux (no /proc/sys/fs/inotify)' }
  const nodes = runningNodes + nextNodes
  const needInstances = nodes * INOTIFY_INSTANCES_PER_NODE
  const needWatches = nodes * INOTIFY_WATCHES_PER_NODE
  const detail = `${runningNodes} running k3s node(s) and the next cluster's ${nextNodes} need ~${needInstances} instances and ~${needWatches} watches (estimate); max_user_instances=${limits.instances}, max_user_watches=${limits.watches}`
  if (limits.instances >= needInstances && limits.watches >= needWatches) return { name: 'inotify', ok: true, required: false, detail }
  const instances = Math.max(limits.instances, atLeast(needInstances, KIND_INSTANCES))
  const watches = Math.max(limits.watches, atLeast(needWatches, KIND_WATCHES))
  return {
    name: 'inotify',
    ok: false,
    required: false,
    detail: `${detail}: pods fail with "too many open files"`,
    fix: `sudo sysctl fs.inotify.max_user_instances=${instances} fs.inotify.max_user_watches=${watches} (to keep it: put both in /etc/sysctl.d/99-k3d.conf)`,
  }
}

export async function readInotifyLimits(root = '/proc/sys/fs/inotify'): Promise<{ instances: number; watches: number } | null> {
  try {
    const [instances, watches] = await Promise.all(['max_user_instances', 'max_user_watches'].map(async (f) => Number((await readFile(`${root}/${f}`, 'utf8')).trim())))
    return Number.isFinite(instances) && Number.isFinite(watches) ? { instances: instances!, watches: watches! } : null
  } catch {
    return null
  }
}

// ---------------------------------------------------------------- docker networks

/**
 * docker's default address pools for new networks (moby libnetwork/ipamutils/utils.go,
 * localScopeDefaultNetworks): each base split into subnets of /size, 31 in all; the daemon's
 * `default-address-pools` replaces them, and `docker info` then lists them (DefaultAddressPools).
 */
export const DOCKER_DEFAULT_POOLS = [
  { Base: '172.17.0.0/16', Size: 16 }, { Base: '172.18.0.0/16', Size: 16 }, { Base: '172.19.0.0/16', Size: 16 },
  { Base: '172.20.0.0/14', Size: 16 }, { Base: '172.24.0.0/14', Size: 16 }, { Base: '172.28.0.0/14', Size: 16 },
  { Base: '192.168.0.0/16', Size: 20 },
]

interface Cidr { address: number; prefix: number }
function cidr(text: string): Cidr | null {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(text)
  if (!m) return null
  const octets = m.slice(1, 5).map(Number)
  if (octets.some((o) => o > 255) || Number(m[5]) > 32) return null
  return { address: octets.reduce((n, o) => n * 256 + o, 0), prefix: Number(m[5]) }
}
const inside = (inner: Cidr, outer: Cidr) => inner.prefix >= outer.prefix && Math.floor(inner.address / 2 ** (32 - outer.prefix)) === Math.floor(outer.address / 2 ** (32 - outer.prefix))

/** How many subnets the pools give, and how many of them existing networks hold. */
export function poolUsage(pools: ReadonlyArray<{ Base: string; Size: number }>, networks: readonly DockerNetwork[]): { capacity: number; used: number } {
  const parsed = pools.map((p) => ({ base: cidr(p.Base), size: p.Size })).filter((p): p is { base: Cidr; size: number } => p.base !== null && p.size >= p.base.prefix)
  const capacity = parsed.reduce((n, p) => n + 2 ** (p.size - p.base.prefix), 0)
  const held = new Set<string>()
  for (const n of networks) {
    for (const s of n.subnets) {
      const c = cidr(s)
      if (c && parsed.some((p) => inside(c, p.base))) held.add(s)
    }
  }
  return { capacity, used: held.size }
}

/** Warn when fewer subnets are left than this (each cluster takes one network). */
export const FEW_SUBNETS = 3

export function networksCheck(pools: ReadonlyArray<{ Base: string; Size: number }> | null | undefined, networks: readonly DockerNetwork[], k3dNetworks: number): Check {
  const { capacity, used } = poolUsage(pools?.length ? pools : DOCKER_DEFAULT_POOLS, networks)
  const left = Math.max(0, capacity - used)
  const detail = `${used} of ${capacity} address-pool subnets in use (${k3dNetworks} by k3d clusters, one network each); ${left} left`
  if (left >= FEW_SUBNETS) return { name: 'networks', ok: true, required: false, detail }
  return {
    name: 'networks',
    ok: false,
    required: false,
    detail: left === 0 ? `${detail}: the next cluster cannot get a network` : detail,
    fix: 'delete clusters you no longer use, remove unused networks (docker network prune), or give docker more pools: "default-address-pools": [{"base": "10.201.0.0/16", "size": 24}] in its daemon.json',
  }
}

// ---------------------------------------------------------------- the shared registry

export function registryCheck(settings: ProjectConfig['registry'], registries: readonly K3dRegistry[] | null, clusters: readonly K3dCluster[], reachable: boolean | null, howToStatus: string): Check {
  if (!settings) return { name: 'registry', ok: true, required: false, detail: 'none configured: images are imported into each cluster ("registry": true in multi-cluster.config.json shares one)' }
  const node = registryNode(settings)
  if (registries === null) return { name: 'registry', ok: true, required: false, detail: `${node}: not checked (k3d unavailable)` }
  const reg = registries.find((r) => r.node === node)
  if (!reg) return { name: 'registry', ok: true, required: false, detail: `${node}: not created yet; the next bootstrap creates it on a port of ${formatRange(settings.portRange)}` }
  const users = clustersUsing(reg, clusters)
  const where = `${registryHost(reg.hostIp)}:${reg.hostPort ?? '?'}`
  const detail = `${node} at ${where} (${reg.hostIp ?? '?'}), used by ${users.length} cluster(s)${users.length ? `: ${users.join(', ')}` : ''}`
  if (!reg.running) return { name: 'registry', ok: false, required: false, detail: `${detail}; not running`, fix: `docker start ${node}` }
  if (reachable === false) return { name: 'registry', ok: false, required: false, detail: `${detail}; its API does not answer at http://${where}/v2/`, fix: `docker logs ${node}; ${howToStatus} shows it` }
  return { name: 'registry', ok: true, required: false, detail }
}

// ---------------------------------------------------------------- the machine's memory

/** What the engine can give containers: docker's MemTotal (the VM's for Desktop and Colima), else this machine's. */
export const engineMemory = (info: DockerInfo | null) => (info?.MemTotal && info.MemTotal > 0 ? info.MemTotal : os.totalmem())

// ---------------------------------------------------------------- gathering

export interface MachineIO {
  docker: { info(): Promise<DockerInfo>; networks(): Promise<DockerNetwork[]> }
  k3d: { registries(): Promise<K3dRegistry[]> }
  /** k3d's clusters, or null when k3d or docker is unavailable. */
  clusters: K3dCluster[] | null
  config: ProjectConfig
  env: NodeJS.ProcessEnv
  /** Commands the user can type here, for the fixes. */
  howTo: { stop: string; registry: string }
  inotifyRoot?: string
}

/** Whether the registry API answers at HOST:PORT (GET /v2/, the distribution API's version check). */
export async function registryAnswers(host: string, port: number): Promise<boolean> {
  try {
    return (await fetch(`http://${host}:${port}/v2/`, { signal: AbortSignal.timeout(2000) })).ok
  } catch {
    return false
  }
}

/** The doctor's machine checks: runtime, memory, inotify, networks, the shared registry. */
export async function machineChecks(io: MachineIO): Promise<Check[]> {
  const [info, networks, registries, limits] = await Promise.all([
    io.docker.info().catch(() => null),
    io.docker.networks().catch(() => null),
    io.config.registry && io.clusters ? io.k3d.registries().catch(() => null) : Promise.resolve(null),
    readInotifyLimits(io.inotifyRoot),
  ])
  const clusters = io.clusters ?? []
  const rt = info ? detectRuntime(info, io.env) : null
  const { servers, agents, memory } = io.config
  const runningNodes = clusters.reduce((n, c) => n + c.serversRunning + c.agentsRunning, 0)
  const checks: Check[] = [
    rt ? runtimeCheck(rt, io.config.bindAddress) : { name: 'runtime', ok: true, required: false, detail: 'not checked (docker unavailable)' },
    memoryCheck(clusters, engineMemory(info), { servers, agents, memory }, io.howTo.stop),
    inotifyCheck(limits, runningNodes, servers + agents, rt),
    networks ? networksCheck(info?.DefaultAddressPools, networks, clusters.length) : { name: 'networks', ok: true, required: false, detail: 'not checked (docker unavailable)' },
  ]
  const node = io.config.registry ? registryNode(io.config.registry) : null
  const reg = node && registries ? registries.find((r) => r.node === node) : undefined
  const reachable = reg?.running && reg.hostPort ? await registryAnswers(registryHost(reg.hostIp) === 'localhost' ? '127.0.0.1' : registryHost(reg.hostIp), reg.hostPort) : null
  checks.push(registryCheck(io.config.registry, io.clusters ? registries : null, clusters, reachable, io.howTo.registry))
  return checks
}
