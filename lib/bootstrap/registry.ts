// The bootstrap's side of the shared registry (lib/imageregistry.ts): find it, or create it
// once for the machine, and push the configured images to it once.
import { OperationError } from '../errors.ts'
import { K3dError } from '../k3d.ts'
import type { K3dRegistry } from '../k3d.ts'
import { withLock } from '../lock.ts'
import type { Reservation } from '../lock.ts'
import { ownerAlive } from '../owner.ts'
import { takenPorts } from '../clusters.ts'
import { findFreePort, preferredPort } from '../ports.ts'
import type { Output } from '../output.ts'
import { NEVER, rethrowIfAborted, sleep } from '../cancel.ts'
import type { LocalImage } from '../imageref.ts'
import {
  clusterRegistryRef, manifestDigest, proxyMirrorConfig, pushRef, pushedDigest, registryHost, registryNode, registryPath,
} from '../imageregistry.ts'
import type { RegistrySettings } from '../imageregistry.ts'
import type { ClaimIO } from './claim.ts'

/** The registry a cluster is created with (or, for one that exists, was). */
export interface SharedRegistry {
  node: string
  hostIp: string
  port: number
  /** `k3d-NAME:PORT`: the document's registries.use, and what pods pull from. */
  ref: string
  /** k3s registries.yaml the clusters need with it (the Docker Hub mirror of a pull-through cache). */
  config: string | null
  /** A pull-through cache cannot take pushes (the distribution registry refuses them in proxy mode). */
  proxy: boolean
}

function shared(settings: RegistrySettings, r: { hostIp: string; port: number }): SharedRegistry {
  const node = registryNode(settings)
  return { node, hostIp: r.hostIp, port: r.port, ref: clusterRegistryRef(node, r.port), config: settings.proxy ? proxyMirrorConfig(node) : null, proxy: !!settings.proxy }
}

const fromK3d = (settings: RegistrySettings, r: K3dRegistry, bindAddress: string) => shared(settings, { hostIp: r.hostIp ?? bindAddress, port: r.hostPort ?? 0 })

/** A port of the registry's range that no cluster, metadata, reservation or listener has. */
async function chooseRegistryPort(io: ClaimIO, settings: RegistrySettings, avoid: ReadonlySet<number>): Promise<number> {
  const [clusters, { metas }, live] = await Promise.all([io.k3d.list(), io.registry.list(), io.reservations.live()])
  const taken = takenPorts(clusters, metas, live)
  for (const p of avoid) taken.add(p)
  const range = settings.portRange
  return findFreePort(range, preferredPort(registryNode(settings), range), taken, io.probe, 'registry', 'registry.port_range')
}

/**
 * What a dry run says about the registry: the one that exists, or the port it would get.
 * Takes no lock and writes nothing.
 */
export async function planRegistry(io: ClaimIO, settings: RegistrySettings, bindAddress: string): Promise<SharedRegistry & { exists: boolean }> {
  const found = (await io.k3d.registries()).find((r) => r.node === registryNode(settings))
  if (found) return { ...fromK3d(settings, found, bindAddress), exists: true }
  return { ...shared(settings, { hostIp: bindAddress, port: await chooseRegistryPort(io, settings, new Set()) }), exists: false }
}

const REGISTRY_RETRIES = 3
const WAIT_MS = 300_000

/**
 * The shared registry, created when the machine has none. Under the port lock a run finds it,
 * or reserves a port for it (a reservation named after its node, so other runs' port choices
 * leave that port alone and a second run waits instead of making a second registry); k3d
 * creates it after the lock is let go, as it may pull the registry image first. A port taken
 * meanwhile: k3d leaves the node created but stopped, which goes before another port is tried.
 * Never undone: other clusters may be using it by then (`cleanup --registry` removes an unused one).
 */
export async function ensureRegistry(io: ClaimIO, out: Output, settings: RegistrySettings, bindAddress: string): Promise<SharedRegistry> {
  const node = registryNode(settings)
  const deadline = Date.now() + WAIT_MS
  const avoid = new Set<number>()
  for (let attempt = 0; ; ) {
    const step = await withLock(
      io.lockDir,
      async (): Promise<{ use: K3dRegistry } | { wait: Reservation } | { create: number; mine: Reservation }> => {
        const found = (await io.k3d.registries()).find((r) => r.node === node)
        if (found) return { use: found }
        const held = await io.reservations.read(node)
        if (held && ownerAlive(held)) return { wait: held }
        const port = await chooseRegistryPort(io, settings, avoid)
        return { create: port, mine: await io.reservations.reserve(node, { lb: port, api: port }) }
      },
      { signal: io.signal },
    )
    if ('use' in step) {
      if (!step.use.running) throw new OperationError(`the shared registry ${node} exists but is not running`, `docker start ${node}`)
      return fromK3d(settings, step.use, bindAddress)
    }
    if ('wait' in step) {
      if (Date.now() > deadline) throw new OperationError(`the shared registry ${node} is still being created by pid ${step.wait.pid}`, 'run this again when that run is done')
      await sleep(250, io.signal)
      continue
    }
    try {
      await out.step(`Creating the shared registry ${node} on ${bindAddress}:${step.create}`, () => io.k3d.createRegistry(settings.name, bindAddress, step.create, settings.proxy))
      return shared(settings, { hostIp: bindAddress, port: step.create })
    } catch (err) {
      // k3d creates the node and then starts it; a failed start leaves the node behind.
      const left = await io.k3d.registries().then((all) => all.some((r) => r.node === node && !r.running), () => false)
      if (left) await io.k3d.deleteRegistry(node).catch(() => undefined)
      rethrowIfAborted(err, io.signal)
      if (!(err instanceof K3dError && err.kind === 'port-conflict') || ++attempt > REGISTRY_RETRIES) throw err
      avoid.add(step.create)
      out.warn(`the registry's port was taken between the check and the create (${err.reason}); choosing again`)
    } finally {
      await withLock(io.lockDir, () => io.reservations.release(step.mine), { signal: NEVER })
    }
  }
}

/** The registry a cluster that exists was created with, if it is the shared one (its network is connected to it). */
export async function registryOfCluster(io: Pick<ClaimIO, 'k3d'>, settings: RegistrySettings, network: string | null, bindAddress: string): Promise<SharedRegistry | null> {
  const found = (await io.k3d.registries()).find((r) => r.node === registryNode(settings))
  return found && network && found.networks.includes(network) && found.running ? fromK3d(settings, found, bindAddress) : null
}

export interface PushIO {
  docker: { tag(source: string, target: string): Promise<void>; push(ref: string): Promise<void> }
  /** The registry's digest of PATH:TAG, null when it has none (lib/imageregistry.ts manifestDigest). */
  digest(pathAndTag: string): Promise<string | null>
  out: Output
  signal: AbortSignal
}

/**
 * Pushes each present image the registry does not already serve, once: an image whose repo
 * digest for the registry's repository (docker records it on a push) is what the registry
 * serves for that tag is skipped, so the second and third clusters push nothing.
 * Returns what was pushed and what was already there; a failed push is a warning.
 */
export async function pushImages(reg: SharedRegistry, present: readonly string[], listed: readonly LocalImage[], io: PushIO): Promise<{ pushed: string[]; current: string[]; failed: string[] }> {
  const host = registryHost(reg.hostIp)
  const result = { pushed: [] as string[], current: [] as string[], failed: [] as string[] }
  for (const image of present) {
    const target = pushRef(image, host, reg.port)
    const path = registryPath(image)!
    const repo = target.slice(0, target.lastIndexOf(':'))
    const mine = pushedDigest(image, listed, repo)
    const served = mine ? await io.digest(path).catch((err: unknown) => (rethrowIfAborted(err, io.signal), null)) : null
    if (mine && served === mine) {
      result.current.push(image)
      continue
    }
    try {
      await io.out.step(`Pushing ${image} to ${target}`, async () => {
        await io.docker.tag(image, target)
        await io.docker.push(target)
      })
      result.pushed.push(image)
    } catch (err) {
      rethrowIfAborted(err, io.signal)
      io.out.warn(`${(err as Error).message}; push it later with: docker tag ${image} ${target} && docker push ${target}`)
      result.failed.push(image)
    }
  }
  return result
}

/** The registry's HTTP address from this machine, for pushImages' digests. */
export const digestOf = (reg: SharedRegistry, signal: AbortSignal) => (pathAndTag: string) =>
  manifestDigest(registryHost(reg.hostIp) === 'localhost' ? '127.0.0.1' : registryHost(reg.hostIp), reg.port, pathAndTag, signal)
