import { OperationError } from '../errors.ts'
import type { Identity } from '../identity.ts'
import type { ProjectConfig } from '../config.ts'
import type { K3d, K3dCluster } from '../k3d.ts'
import { K3dError } from '../k3d.ts'
import type { Kubectl } from '../kubectl.ts'
import { labelValue } from '../kubectl.ts'
import type { Docker } from '../docker.ts'
import type { Registry, ClusterMeta } from '../registry.ts'
import type { Paths } from '../paths.ts'
import { ensureKubeconfig, rewriteKubeconfig, writeKubeconfig } from '../kubeconfig.ts'
import { removeIfExists } from '../fsutil.ts'
import type { Output } from '../output.ts'
import { rethrowIfAborted, sleep } from '../cancel.ts'
import type { BootstrapOptions } from './args.ts'
import type { Plan } from './plan.ts'
import type { Step } from './pipeline.ts'
import type { ClaimIO } from './claim.ts'
import { documentFor } from './document.ts'
import { digestOf, ensureRegistry, pushImages, registryOfCluster } from './registry.ts'
import type { SharedRegistry } from './registry.ts'
import { podImage } from '../imageregistry.ts'

/** Everything the steps share: read once by the flow, plus the ports, which a port clash may move. */
export interface Flow {
  readonly name: string
  readonly opts: BootstrapOptions
  readonly identity: Identity
  readonly config: ProjectConfig
  readonly paths: Paths
  /** The work tree of a per-work-tree cluster (`--worktree`), recorded in its metadata; else null. */
  readonly worktree: string | null
  readonly out: Output
  readonly signal: AbortSignal
  /** k3d whose programs die with the signal, and one for undos, which must finish after it. */
  readonly k3d: K3d
  readonly calm: K3d
  readonly kubectl: Kubectl
  readonly docker: Docker
  readonly registry: Registry
  readonly kubeconfig: string
  readonly k3dVersion: string
  readonly readyTimeout: number
  readonly createdAt: string
  /** The metadata the cluster already had (reuse), or null. */
  readonly meta: ClusterMeta | null
  /** Host ports of the cluster (0: k3d reports none). */
  ports: { lb: number; api: number }
  /** Chooses other ports under the lock after k3d found one taken; updates the reservation. */
  rechoose(avoid: ReadonlySet<number>): Promise<{ lb: number; api: number }>
  /** Records in the reservation that k3d created the cluster (a later run then finishes it). */
  markCreated(): Promise<void>
  /** The port lock, reservations and probe: what creating the shared registry needs. */
  readonly claim: ClaimIO
  /** The shared registry this cluster is created with (or was), once the registry step found it. */
  imageRegistry: SharedRegistry | null
  /** Which configured images exist locally (`docker image inspect`): begun by the first call, then shared. */
  localImages(): Promise<LocalImages>
}

export type LocalImages = Awaited<ReturnType<Docker['localImages']>>

/** How many times a port lost between probe and create is chosen again. */
const PORT_RETRIES = 3
const READY_POLL_MS = 500

/** The cluster and its kubeconfig, gone (k3d rewrites that file on delete, and may create it). */
async function discard(f: Flow, k3d: K3d): Promise<void> {
  await k3d.delete(f.name, f.kubeconfig)
  await removeIfExists(f.kubeconfig)
}

async function stillThere(f: Flow): Promise<boolean> {
  return (await f.k3d.list()).some((c) => c.name === f.name)
}

const deletedMeanwhile = (f: Flow) =>
  new OperationError(`cluster '${f.name}' was deleted while this run was making it`, 'run this again to create it anew')

/** --force, or a cluster a dead run left half-made: it goes first, and its metadata before it. */
const deleteOld: Step<Flow> = {
  title: 'k3d cluster delete',
  async run(f) {
    await f.registry.remove(f.name)
    try {
      await f.out.step(`Deleting cluster '${f.name}'`, () => discard(f, f.k3d))
    } catch (err) {
      // A delete cut short leaves a broken cluster: once begun, it is finished even after an abort.
      if (f.signal.aborted) await discard(f, f.calm)
      throw err
    }
  },
}

const create: Step<Flow> = {
  title: 'k3d cluster create',
  async run(f) {
    const avoid = new Set<number>()
    for (let attempt = 0; ; attempt++) {
      f.out.log(`LoadBalancer port: ${f.ports.lb}`)
      f.out.log(`API port: ${f.ports.api}`)
      try {
        const doc = documentFor(f.config, f.name, f.ports, f.imageRegistry)
        await f.out.step(`Creating k3d cluster '${f.name}'`, () => f.k3d.createFromDocument(doc, f.k3dVersion))
        break
      } catch (err) {
        // k3d rolls a clash back itself, and a taken name is another's cluster: neither is ours
        // to delete. Anything else, an abort too, may have left parts: they go before we throw.
        const clash = err instanceof K3dError && (err.kind === 'port-conflict' || err.kind === 'name-taken')
        if (!clash) await discard(f, f.calm).catch(() => undefined)
        if (!(err instanceof K3dError && err.kind === 'port-conflict') || attempt >= PORT_RETRIES || f.signal.aborted) throw err
        avoid.add(f.ports.lb).add(f.ports.api)
        f.out.warn(`a port was taken between the check and the create (${err.reason}); choosing again`)
        f.ports = await f.rechoose(avoid)
      }
    }
    await f.markCreated()
  },
  undo: (f) => discard(f, f.calm),
}

const kubeconfig: Step<Flow> = {
  title: 'kubeconfig',
  async run(f) {
    await writeKubeconfig(f.kubeconfig, rewriteKubeconfig(await f.k3d.kubeconfig(f.name), f.name, f.ports.api))
  },
  undo: async (f) => void (await removeIfExists(f.kubeconfig)),
}

/** Polls /readyz (bounded); a cluster deleted meanwhile (cluster-manager delete) ends the wait at once. */
async function waitReady(f: Flow): Promise<void> {
  const deadline = Date.now() + f.readyTimeout * 1000
  for (;;) {
    if (await f.kubectl.ready()) return
    if (!(await stillThere(f))) throw deletedMeanwhile(f)
    if (Date.now() >= deadline) throw new OperationError(`the API server did not answer /readyz within ${f.readyTimeout}s`, 'check `docker ps` for the k3d containers, or raise READY_TIMEOUT')
    await sleep(READY_POLL_MS, f.signal)
  }
}

const ready: Step<Flow> = {
  title: 'readiness wait',
  run: (f) => f.out.step('Waiting for the cluster to be ready', () => waitReady(f)),
}

const labels: Step<Flow> = {
  title: 'node labels',
  run: (f) =>
    f.kubectl.labelAllNodes({
      developer: labelValue(f.identity.user),
      'email-hash': f.identity.emailHash,
      repository: labelValue(f.identity.repository),
    }),
}

/** The configmap needs nothing of the labels: both kubectl calls run at once. */
const clusterInfo: Step<Flow> = {
  title: 'cluster-info configmap',
  alongside: true,
  run: (f) =>
    f.kubectl.applyConfigMap('cluster-info', 'default', {
      'cluster-name': f.name,
      developer: f.identity.developer,
      email: f.identity.email,
      repository: f.identity.repository,
      'created-at': f.createdAt,
    }),
}

/** One line for every configured image that is not there, with the two ways to fix it. */
export function missingImagesLine(absent: readonly string[], verb: 'imported' | 'pushed' = 'imported'): string {
  return `${absent.length} configured image(s) not found locally, not ${verb}: ${absent.join(', ')} — build them (docker build -t IMAGE ...), pick another --tag, or list only the images you use under "images" in multi-cluster.config.json`
}

/**
 * The shared registry (when the project has one), made first: the cluster is created using it,
 * and an old cluster is not deleted for a registry that cannot be had. No undo: others may use it.
 */
const sharedRegistry: Step<Flow> = {
  title: 'shared registry',
  async run(f) {
    if (f.config.registry) f.imageRegistry = await ensureRegistry(f.claim, f.out, f.config.registry, f.config.bindAddress)
  },
}

/** A cluster that exists uses the shared registry if it was created with it (its network is connected). */
const existingRegistry = (c: K3dCluster): Step<Flow> => ({
  title: 'shared registry',
  async run(f) {
    if (!f.config.registry) return
    f.imageRegistry = await registryOfCluster(f.claim, f.config.registry, c.network, f.config.bindAddress)
    if (!f.imageRegistry) f.out.warn(`'${f.name}' was not created with the shared registry k3d-${f.config.registry.name}: its images are imported into it (--force recreates it with the registry)`)
  },
})

/**
 * The configured images present locally: pushed once to the shared registry (a pull-through
 * cache cannot take pushes: imported then), else in one `k3d image import`. A failed import or
 * push is a warning (the cluster works without them); an aborted one is not, nor a cluster
 * deleted meanwhile.
 */
const images: Step<Flow> = {
  title: 'image import',
  async run(f) {
    const later = `import them later with: k3d image import IMAGE... -c ${f.name}`
    let found: LocalImages
    try {
      found = await f.localImages()
    } catch (err) {
      rethrowIfAborted(err, f.signal)
      return f.out.warn(`cannot tell which images exist locally (${(err as Error).message}); ${later}`)
    }
    const reg = f.imageRegistry
    if (found.absent.length > 0) f.out.warn(missingImagesLine(found.absent, reg && !reg.proxy ? 'pushed' : 'imported'))
    if (found.present.length === 0) return
    if (reg && !reg.proxy) {
      const { pushed, current } = await pushImages(reg, found.present, found.listed, { docker: f.docker, digest: digestOf(reg, f.signal), out: f.out, signal: f.signal })
      if (current.length > 0) f.out.log(`Already in ${reg.ref}: ${current.join(', ')}`)
      const example = [...pushed, ...current][0]
      if (example) f.out.log(`Pods pull them from the registry as ${reg.ref}/PATH:TAG, e.g. image: ${podImage(example, reg.node, reg.port)}`)
      return
    }
    try {
      await f.out.step(`Importing ${found.present.length} image(s) into '${f.name}': ${found.present.join(', ')}`, () => f.k3d.importImages(found.present, f.name))
    } catch (err) {
      rethrowIfAborted(err, f.signal)
      if (!(await stillThere(f))) throw deletedMeanwhile(f)
      f.out.warn(`${(err as Error).message}; ${later}`)
    }
  },
}

function metaOf(f: Flow, extra: Partial<ClusterMeta> = {}): ClusterMeta {
  const { repository, developer, email } = f.identity
  return {
    name: f.name, repository, developer, email, lb_port: f.ports.lb, api_port: f.ports.api, kubeconfig: f.kubeconfig, created_at: f.createdAt, k3d_version: f.k3dVersion, shared: f.opts.share,
    bind_address: f.config.bindAddress,
    ...(f.imageRegistry ? { registry: f.imageRegistry.ref } : {}),
    ...(f.worktree ? { worktree: f.worktree } : {}),
    ...extra,
  }
}

/** Metadata last. A `cluster-manager delete` that ran meanwhile takes it away again. */
const metadata: Step<Flow> = {
  title: 'metadata',
  async run(f) {
    if (!f.ports.lb) return f.out.warn(`'${f.name}' has no load balancer port mapping; not recording metadata for it`)
    await f.registry.write(metaOf(f))
    try {
      if (!(await stillThere(f))) throw deletedMeanwhile(f)
    } catch (err) {
      await f.registry.remove(f.name)
      throw err
    }
  },
  undo: async (f) => void (await f.registry.remove(f.name)),
}

const start = (c: K3dCluster): Step<Flow> => ({
  title: 'k3d cluster start',
  run: async (f) => void (c.running ? undefined : await f.out.step(`Starting stopped cluster '${f.name}'`, () => f.k3d.start(f.name))),
})

const refreshKubeconfig = (c: K3dCluster): Step<Flow> => ({
  title: 'kubeconfig',
  async run(f) {
    if (!f.ports.api) throw new OperationError(`cluster '${f.name}' has no API port mapping that k3d reports`, 'recreate it with --force')
    await ensureKubeconfig(f.k3d, f.paths, c)
  },
})

/** An existing cluster: metadata written for one that has none (adoption), corrected where k3d says otherwise. */
const adopt: Step<Flow> = {
  title: 'metadata',
  async run(f) {
    const { meta, ports } = f
    if (!meta && ports.lb) {
      await f.registry.write(metaOf(f, { adopted: true }))
      f.out.log(`Adopted '${f.name}' (it had no metadata)`)
    } else if (meta && (meta.lb_port !== ports.lb || meta.api_port !== ports.api || meta.kubeconfig !== f.kubeconfig)) {
      // k3d's ports are the truth; an old file may name a /tmp kubeconfig or stale ports.
      await f.registry.write({ ...meta, lb_port: ports.lb || meta.lb_port, api_port: ports.api, kubeconfig: f.kubeconfig })
    } else if (!ports.lb) {
      f.out.warn(`'${f.name}' has no load balancer port mapping; not recording metadata for it`)
    }
  },
}

/**
 * Begins now what STEPS will ask for that needs no cluster: the image step's `docker image
 * inspect` is then done by the time the step comes, instead of after the readiness wait.
 */
export function startLookups(steps: ReadonlyArray<Step<Flow>>, f: Flow): void {
  if (steps.includes(images)) void f.localImages()
}

/**
 * The steps of each plan, in the old script's order (dev-up-multi.sh: create, kubeconfig,
 * wait, label, configmap, import, metadata). A cluster a dead run left unfinished gets the
 * steps after create; an existing one is started, its kubeconfig refreshed, its metadata kept true.
 */
export function stepsFor(plan: Plan, opts: Pick<BootstrapOptions, 'tagGiven'>, shared = false): Array<Step<Flow>> {
  // The registry steps only for a project that has one: a step that does nothing would still name itself in an interruption.
  const registry = shared ? [sharedRegistry] : []
  const existing = (c: K3dCluster) => (shared ? [existingRegistry(c)] : [])
  switch (plan.kind) {
    case 'create':
      return [...registry, create, kubeconfig, ready, labels, clusterInfo, images, metadata]
    case 'recreate':
      return [...registry, deleteOld, create, kubeconfig, ready, labels, clusterInfo, images, metadata]
    case 'reuse':
      if (plan.finish) return [start(plan.cluster), refreshKubeconfig(plan.cluster), ready, labels, clusterInfo, ...existing(plan.cluster), images, metadata]
      return [start(plan.cluster), refreshKubeconfig(plan.cluster), ...(opts.tagGiven ? [...existing(plan.cluster), images] : []), adopt]
  }
}
