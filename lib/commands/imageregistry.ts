// `registry [status|delete]` and `cleanup --registry`: the image registry all clusters share
// (lib/imageregistry.ts; not lib/registry.ts, the metadata store). Which registry: the one
// "registry" of this repository's multi-cluster.config.json names, else the default name.
import { loadConfig } from '../config.ts'
import { OperationError } from '../errors.ts'
import type { K3dCluster, K3dRegistry } from '../k3d.ts'
import { DEFAULT_REGISTRY_NAME, DEFAULT_REGISTRY_RANGE, catalog, clusterRegistryRef, clustersUsing, fetchProblem, registryHost, registryNode } from '../imageregistry.ts'
import type { CatalogEntry, RegistrySettings } from '../imageregistry.ts'
import { howTo } from '../invocation.ts'
import { workTreeTop } from '../worktree.ts'
import type { OperationOf } from './args.ts'
import type { Context } from './context.ts'

/** The settings of this repository's registry, or the default one when it configures none. */
async function settingsHere(ctx: Context): Promise<{ settings: RegistrySettings; configured: boolean }> {
  const cwd = process.cwd()
  const config = await loadConfig((await workTreeTop(cwd)) ?? cwd, ctx.env)
  if (config.registry) return { settings: config.registry, configured: true }
  return { settings: { name: DEFAULT_REGISTRY_NAME, portRange: DEFAULT_REGISTRY_RANGE, proxy: null }, configured: false }
}

/** The registry (if k3d has it) and k3d's clusters. */
async function lookUp(ctx: Context, settings: RegistrySettings): Promise<{ node: string; reg: K3dRegistry | null; clusters: K3dCluster[] }> {
  const node = registryNode(settings)
  const [registries, clusters] = await Promise.all([ctx.k3d.registries(), ctx.k3d.list()])
  return { node, reg: registries.find((r) => r.node === node) ?? null, clusters }
}

/** The `registry --json` object (also what the human lines say). */
export interface RegistryStatus {
  name: string
  node: string
  exists: boolean
  running: boolean
  host_ip: string | null
  port: number | null
  /** Where `docker push` reaches it from this machine: `localhost:PORT`. */
  push_address: string | null
  /** What pods pull from: `k3d-NAME:PORT`. */
  cluster_address: string | null
  clusters: string[]
  images: CatalogEntry[] | null
  /** Why the images could not be read, when they could not. */
  images_error: string | null
}

async function status(ctx: Context, op: OperationOf<'registry'>, settings: RegistrySettings, configured: boolean): Promise<void> {
  const { node, reg, clusters } = await lookUp(ctx, settings)
  const out = ctx.out
  const host = reg ? registryHost(reg.hostIp) : null
  let images: CatalogEntry[] | null = null
  let imagesError: string | null = null
  if (reg?.running && reg.hostPort) {
    images = await catalog(host === 'localhost' ? '127.0.0.1' : host!, reg.hostPort, ctx.signal).catch((err: unknown) => {
      if (ctx.signal?.aborted) throw err
      imagesError = fetchProblem(err)
      return null
    })
  }
  const s: RegistryStatus = {
    name: settings.name,
    node,
    exists: reg !== null,
    running: reg?.running ?? false,
    host_ip: reg?.hostIp ?? null,
    port: reg?.hostPort ?? null,
    push_address: reg?.hostPort ? `${host}:${reg.hostPort}` : null,
    cluster_address: reg?.hostPort ? clusterRegistryRef(node, reg.hostPort) : null,
    clusters: reg ? clustersUsing(reg, clusters) : [],
    images,
    images_error: imagesError,
  }
  if (op.json) return out.json(s)
  if (!reg) {
    out.line(`No shared registry ${node}.`)
    out.line(configured ? `  The next ${howTo(ctx.env, 'bootstrap')} creates it.` : '  Add "registry": true to multi-cluster.config.json; the next bootstrap creates it, and every cluster made then uses it.')
    return
  }
  out.line(`📦 Shared registry ${node}: ${reg.running ? 'running' : 'stopped'}`)
  out.line(`  Push to: ${s.push_address ?? '(no port)'}   (docker tag IMAGE ${s.push_address ?? 'localhost:PORT'}/IMAGE && docker push ${s.push_address ?? 'localhost:PORT'}/IMAGE)`)
  out.line(`  Pods pull: ${s.cluster_address ?? '(no port)'}/IMAGE`)
  out.line(`  Bound to: ${reg.hostIp ?? '?'}`)
  out.line(`  Used by: ${s.clusters.length ? s.clusters.join(', ') : 'no cluster'}`)
  if (!reg.running) return out.line(`  Images: unknown while it is stopped (docker start ${node})`)
  if (images === null) return out.line(`  Images: cannot be read (${imagesError}); docker logs ${node} says why`)
  const list = images as CatalogEntry[]
  out.line(`  Images: ${list.length === 0 ? 'none yet' : ''}`)
  for (const e of list) out.line(`    ${e.repository}:${e.tags.join(', ') || '(no tags)'}`)
}

/**
 * Removes the registry; refused while clusters use it, unless FORCE (they then fail to pull
 * what they have not pulled yet). Returns false when there was none.
 */
export async function removeRegistry(ctx: Context, settings: RegistrySettings, force: boolean, refuseHint: string): Promise<{ node: string; removed: boolean; users: string[] }> {
  const { node, reg, clusters } = await lookUp(ctx, settings)
  if (!reg) return { node, removed: false, users: [] }
  const users = clustersUsing(reg, clusters)
  if (users.length > 0 && !force) {
    throw new OperationError(`the shared registry ${node} is used by ${users.length} cluster(s): ${users.join(', ')}`, refuseHint)
  }
  await ctx.k3d.deleteRegistry(node)
  return { node, removed: true, users }
}

export async function run(ctx: Context, op: OperationOf<'registry'>): Promise<void> {
  const { settings, configured } = await settingsHere(ctx)
  if (op.action === 'status') return status(ctx, op, settings, configured)
  const hint = `delete those clusters first, or remove it anyway (they can no longer pull from it): ${howTo(ctx.env, 'registry', 'delete', '--force')}`
  const r = await removeRegistry(ctx, settings, op.force, hint)
  if (op.json) return ctx.out.json({ node: r.node, removed: r.removed, clusters: r.users })
  if (!r.removed) return ctx.out.success(`No shared registry ${r.node}: nothing to delete`)
  if (r.users.length) ctx.out.warn(`${r.users.join(', ')} used ${r.node}: images not pulled yet can no longer be pulled from it`)
  ctx.out.success(`Deleted the shared registry ${r.node}`)
}

/** `cleanup --registry`: the shared registry goes when no cluster uses it. */
export async function cleanupRegistry(ctx: Context): Promise<number> {
  const { settings } = await settingsHere(ctx)
  const { node, reg, clusters } = await lookUp(ctx, settings)
  if (!reg) return 0
  const users = clustersUsing(reg, clusters)
  if (users.length > 0) {
    ctx.out.line(`Kept the shared registry ${node}: ${users.join(', ')} use(s) it`)
    return 0
  }
  await ctx.k3d.deleteRegistry(node)
  ctx.out.line(`Removed the shared registry ${node} (no cluster uses it)`)
  return 1
}
