import { readdir } from 'node:fs/promises'
import { forgetCluster, pruneChoices } from '../current.ts'
import { removeIfExists } from '../fsutil.ts'
import { Reservations } from '../lock.ts'
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
 * `cleanup`: files of clusters k3d no longer has (metadata, our kubeconfigs, pointers) and
 * reservations of bootstraps that died. A cluster that exists is never touched.
 */
export async function run(ctx: Context, _op: OperationOf<'cleanup'>): Promise<void> {
  const out = ctx.out
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
    if (await removeIfExists(kubeFile)) {
      out.line(`Removed orphaned kubeconfig for '${name}' (${kubeFile})`)
      removed++
    }
    await forgetCluster(ctx.paths, name)
  }
  for (const name of await new Reservations(ctx.paths.reservationsDir).prune()) {
    out.line(`Removed stale port reservation of '${name}'`)
    removed++
  }
  // The choices `switch` recorded for git work trees that have been removed since.
  for (const { file, worktree, what } of await pruneChoices(ctx.paths)) {
    if (what === 'kubeconfig') out.line(`Removed the kubeconfig of work tree ${worktree} (it is gone; ${file})`)
    else out.line(worktree ? `Removed the choice of work tree ${worktree} (it is gone)` : `Removed unreadable work tree choice ${file}`)
    removed++
  }
  out.success(removed === 0 ? 'Cleanup complete: nothing to remove' : `Cleanup complete: ${removed} file(s) removed`)
}
