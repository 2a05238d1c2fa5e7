import { forgetCluster } from '../current.ts'
import { UsageError } from '../errors.ts'
import { removeIfExists } from '../fsutil.ts'
import { kubeconfigPath } from '../paths.ts'
import type { OperationOf } from './args.ts'
import type { Context } from './context.ts'
import { fileExists } from './kubeconfigfile.ts'
import { knownNames, notFound } from './lookup.ts'

async function confirmed(ctx: Context, name: string): Promise<boolean> {
  const answer = await ctx.ask(`Are you sure you want to delete cluster '${name}'? (y/N) `)
  return /^y(es)?$/i.test(answer)
}

/**
 * `delete NAME`: the k3d cluster, its metadata, our kubeconfig file and the current/previous
 * pointers that name it. Only files derived from NAME are removed, never a path read from
 * metadata. A cluster k3d no longer has still gets its files removed.
 */
export async function run(ctx: Context, op: OperationOf<'delete'>): Promise<number | void> {
  const { name } = op
  if (!op.yes && !ctx.isTTY) {
    throw new UsageError(`not deleting '${name}': stdin is not a terminal, so nobody can confirm`, 'pass --yes to delete without asking')
  }
  const metaFile = ctx.registry.file(name)
  const kubeFile = kubeconfigPath(ctx.paths, name)
  const [clusters, hasMeta, hasKubeconfig] = await Promise.all([ctx.k3d.list(), fileExists(metaFile), fileExists(kubeFile)])
  const inK3d = clusters.some((c) => c.name === name)
  if (!inK3d && !hasMeta && !hasKubeconfig) throw notFound(name, await knownNames(ctx, clusters))
  if (!op.yes && !(await confirmed(ctx, name))) {
    ctx.out.line('Cancelled')
    return
  }
  if (inK3d) await ctx.out.step(`Deleting k3d cluster '${name}'`, () => ctx.k3d.delete(name, kubeFile))
  if (await ctx.registry.remove(name)) ctx.out.line(`Removed metadata ${metaFile}`)
  if (await removeIfExists(kubeFile)) ctx.out.line(`Removed kubeconfig ${kubeFile}`)
  await forgetCluster(ctx.paths, name)
  ctx.out.success(inK3d ? `Cluster '${name}' deleted` : `Removed the files of '${name}' (k3d had no such cluster)`)
}
