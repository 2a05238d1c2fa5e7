import { lstat, readdir } from 'node:fs/promises'
import { forgetCluster, pruneChoices } from '../current.ts'
import { howTo } from '../invocation.ts'
import { isWorkTreeTop } from '../worktree.ts'
import type { ClusterMeta } from '../registry.ts'
import { run as deleteClusters } from './delete.ts'
import { requireWritableDirs } from '../fsproblem.ts'
import { removeIfExists } from '../fsutil.ts'
import { Reservations, clearStaleLock, withLock } from '../lock.ts'
import { k3dNameProblem } from '../names.ts'
import { kubeconfigPath } from '../paths.ts'
import type { OperationOf } from './args.ts'
import type { Context } from './context.ts'
import { warnProblems } from './lookup.ts'

/** Cluster names of our kubeconfig files (`config-NAME`); anything else there is left alone. */
async function kubeconfigNames(dir: string): Promise<string[]> {
  const entries = await readdir(dir).catch(() => [] as string[])
  return entries
    .filter((e) => e.startsWith('config-'))
    .map((e) => e.slice('config-'.length))
    .filter((n) => k3dNameProblem(n) === null)
}

/**
 * Reservations of bootstraps that died, and a port lock whose owner died. A dead run's
 * reservation whose cluster k3d has is kept: it tells the next bootstrap of that name to finish the cluster.
 */
async function clearStale(ctx: Context, existing: ReadonlySet<string>): Promise<number> {
  const out = ctx.out
  const deadHolder = await clearStaleLock(ctx.paths.lockDir)
  if (deadHolder) out.line(`Removed the stale port lock of pid ${deadHolder.pid} (that run is gone)`)
  const reservations = new Reservations(ctx.paths.reservationsDir)
  const scan = await reservations.scan()
  if (scan.dead.length === 0 && scan.unreadable.length === 0) return deadHolder ? 1 : 0
  const { removed, kept, junk } = await withLock(ctx.paths.lockDir, () => reservations.removeDead((r) => existing.has(r.name)), { signal: ctx.signal })
  for (const r of removed) out.line(`Removed stale port reservation of '${r.name}' (pid ${r.pid} is gone; ${reservations.file(r.name)})`)
  for (const file of junk) out.line(`Removed unreadable reservation file ${file}`)
  for (const r of kept) out.line(`Kept the reservation of '${r.name}': its run (pid ${r.pid}) died before the cluster was finished; 'dev-up-multi --name ${r.name}' finishes it`)
  return (deadHolder ? 1 : 0) + removed.length + junk.length
}

/** Clusters made for a work tree (`--worktree`) that k3d has and whose work tree is gone. */
async function abandoned(metas: readonly ClusterMeta[], existing: ReadonlySet<string>): Promise<Array<{ name: string; worktree: string }>> {
  const perWorktree = metas.flatMap((m) => (typeof m.worktree === 'string' && existing.has(m.name) ? [{ name: m.name, worktree: m.worktree }] : []))
  const gone = await Promise.all(perWorktree.map(async (c) => !(await isWorkTreeTop(c.worktree))))
  return perWorktree.filter((_, i) => gone[i])
}

/**
 * `cleanup`: files of clusters k3d no longer has (metadata, our kubeconfigs, pointers) and
 * what bootstraps that died left (reservations, the port lock). A cluster that exists is never touched.
 */
export async function run(ctx: Context, op: OperationOf<'cleanup'>): Promise<void> {
  const out = ctx.out
  // Cleanup removes files in both trees: a file where one should be is one line, before anything.
  requireWritableDirs(ctx.paths.configDir, ctx.paths.kubeDir)
  out.log('Checking for orphaned cluster files...')
  const [clusters, { metas, problems }, kubeNames] = await Promise.all([
    ctx.k3d.list(),
    ctx.registry.list(),
    kubeconfigNames(ctx.paths.kubeDir),
  ])
  warnProblems(ctx, problems)
  const existing = new Set(clusters.map((c) => c.name))
  const orphans = new Set([...metas.map((m) => m.name), ...kubeNames].filter((n) => !existing.has(n)))
  let removed = 0
  for (const name of [...orphans].sort()) {
    if (await ctx.registry.remove(name)) {
      out.line(`Removed orphaned metadata for '${name}' (${ctx.registry.file(name)})`)
      removed++
    }
    const kubeFile = kubeconfigPath(ctx.paths, name)
    if ((await lstat(kubeFile).catch(() => null))?.isDirectory()) out.warn(`left ${kubeFile} alone: it is a directory, not a kubeconfig`)
    else if (await removeIfExists(kubeFile)) {
      out.line(`Removed orphaned kubeconfig for '${name}' (${kubeFile})`)
      removed++
    }
    await forgetCluster(ctx.paths, name)
  }
  removed += await clearStale(ctx, existing)
  // Clusters of work trees removed since (`git worktree remove`): a cluster is deleted only when asked.
  const left = await abandoned(metas, existing)
  if (left.length > 0 && op.yes) {
    await deleteClusters(ctx, { kind: 'delete', names: left.map((c) => c.name), yes: true })
  } else {
    for (const c of left) out.warn(`cluster '${c.name}' belongs to work tree ${c.worktree}, which is gone; delete it with: ${howTo(ctx.env, 'cleanup', '--yes')}`)
  }
  // The choices `switch` recorded for git work trees that have been removed since.
  for (const { file, worktree, what } of await pruneChoices(ctx.paths)) {
    if (what === 'kubeconfig') out.line(`Removed the kubeconfig of work tree ${worktree} (it is gone; ${file})`)
    else out.line(worktree ? `Removed the choice of work tree ${worktree} (it is gone)` : `Removed unreadable work tree choice ${file}`)
    removed++
  }
  // Only when asked: a registry no cluster uses now still holds the images the next cluster pulls.
  if (op.registry) removed += await (await import('./imageregistry.ts')).cleanupRegistry(ctx)
  out.success(removed === 0 ? 'Cleanup complete: nothing to remove' : `Cleanup complete: ${removed} file(s) removed`)
}
