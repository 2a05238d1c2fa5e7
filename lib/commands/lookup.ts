import type { ClusterView } from '../clusters.ts'
import { clusterViews } from '../clusters.ts'
import { gitConfigReader, resolveCurrent } from '../current.ts'
import type { Current, Foreign } from '../current.ts'
import { howTo } from '../invocation.ts'
import { OperationError } from '../errors.ts'
import type { K3dCluster } from '../k3d.ts'
import type { ClusterMeta, MetaProblem } from '../registry.ts'
import { MetaFormatError } from '../registry.ts'
import type { Context } from './context.ts'

/** Everything `list` shows, from one k3d call made while the files are read. */
export interface Snapshot {
  clusters: K3dCluster[]
  metas: ClusterMeta[]
  current: string | null
  views: ClusterView[]
}

export function warnProblems(ctx: Context, problems: readonly MetaProblem[]): void {
  for (const p of problems) ctx.out.warn(`ignoring ${p.file}: ${p.reason}`)
}

/** The current cluster as `current` resolves it (the git identity step included). */
export function resolveActive(ctx: Context): Promise<Current | Foreign | null> {
  return resolveCurrent(ctx.paths, ctx.env, { git: gitConfigReader(ctx.runner) })
}

/** A $KUBECONFIG on a context that is not ours: one warning, since no cluster here is active. */
export function warnForeign(ctx: Context, current: Current | Foreign | null): void {
  if (current && current.name === null) ctx.out.warn(`$KUBECONFIG (${current.file}) selects context '${current.context}', which is not a k3d cluster managed here`)
}

export async function snapshot(ctx: Context): Promise<Snapshot> {
  const [clusters, { metas, problems }, current] = await Promise.all([
    ctx.k3d.list(),
    ctx.registry.list(),
    resolveActive(ctx),
  ])
  warnProblems(ctx, problems)
  warnForeign(ctx, current)
  const name = current?.name ?? null
  return { clusters, metas, current: name, views: clusterViews(clusters, metas, name) }
}

/** NAME's metadata; a file that cannot be read as metadata is a warning, not a failure. */
export async function readMeta(ctx: Context, name: string): Promise<ClusterMeta | null> {
  try {
    return await ctx.registry.read(name)
  } catch (err) {
    if (!(err instanceof MetaFormatError)) throw err
    ctx.out.warn(`ignoring ${err.message}`)
    return null
  }
}

/** One cluster as k3d and our metadata know it, plus every k3d cluster (one list call). */
export interface Found {
  cluster: K3dCluster | null
  meta: ClusterMeta | null
  all: K3dCluster[]
}

export async function findCluster(ctx: Context, name: string): Promise<Found> {
  const [all, meta] = await Promise.all([ctx.k3d.list(), readMeta(ctx, name)])
  return { cluster: all.find((c) => c.name === name) ?? null, meta, all }
}

export function viewOf(found: Found, current: string | null): ClusterView | null {
  return clusterViews(found.cluster ? [found.cluster] : [], found.meta ? [found.meta] : [], current)[0] ?? null
}

export function namesHint(env: NodeJS.ProcessEnv, names: readonly string[]): string {
  const sorted = [...new Set(names)].sort()
  return sorted.length > 0 ? `existing clusters: ${sorted.join(', ')}` : `there are no clusters; create one with '${howTo(env, 'bootstrap')}'`
}

/** NAME is neither in k3d nor in our metadata. */
export function notFound(env: NodeJS.ProcessEnv, name: string, names: readonly string[]): OperationError {
  return new OperationError(`cluster '${name}' not found`, namesHint(env, names))
}

/** The k3d cluster NAME; when k3d has none, an error listing those it has. */
export async function requireK3dCluster(ctx: Context, name: string): Promise<Found & { cluster: K3dCluster }> {
  const found = await findCluster(ctx, name)
  if (found.cluster) return { ...found, cluster: found.cluster }
  if (found.meta) {
    throw new OperationError(
      `cluster '${name}' has metadata but k3d has no such cluster`,
      `recreate it with '${howTo(ctx.env, 'bootstrap')}', or remove its files with '${howTo(ctx.env, 'cleanup')}'; ${namesHint(ctx.env, found.all.map((c) => c.name))}`,
    )
  }
  throw notFound(ctx.env, name, found.all.map((c) => c.name))
}

/** Every name k3d or our metadata knows, for not-found hints. */
export async function knownNames(ctx: Context, clusters: readonly K3dCluster[]): Promise<string[]> {
  const { metas } = await ctx.registry.list()
  return [...clusters.map((c) => c.name), ...metas.map((m) => m.name)]
}
