import path from 'node:path'
import { removeCredentials } from '../credentials.ts'
import { forgetCluster } from '../current.ts'
import { CliError, InterruptedError, OperationError, UsageError } from '../errors.ts'
import { requireWritableDirs } from '../fsproblem.ts'
import { removeIfExists } from '../fsutil.ts'
import { kubeconfigPath } from '../paths.ts'
import type { OperationOf } from './args.ts'
import type { Context } from './context.ts'
import { fileExists } from './kubeconfigfile.ts'
import { knownNames, namesHint } from './lookup.ts'

const quoted = (names: readonly string[]) => names.map((n) => `'${n}'`).join(', ')

async function confirmed(ctx: Context, names: readonly string[]): Promise<boolean> {
  const answer = await ctx.ask(`Are you sure you want to delete ${names.length === 1 ? 'cluster' : 'clusters'} ${quoted(names)}? (y/N) `).catch((err: unknown) => {
    throw err instanceof InterruptedError ? new InterruptedError('interrupted: nothing was deleted') : err
  })
  return /^y(es)?$/i.test(answer)
}

interface Target {
  name: string
  inK3d: boolean
  metaFile: string
  kubeFile: string
}

/** Deletes one cluster and its files; only files derived from NAME, never a path read from metadata. */
async function deleteOne(ctx: Context, t: Target): Promise<void> {
  if (t.inK3d) await ctx.out.step(`Deleting k3d cluster '${t.name}'`, () => ctx.k3d.delete(t.name, t.kubeFile))
  if (await ctx.registry.remove(t.name)) ctx.out.line(`Removed metadata ${t.metaFile}`)
  if (await removeIfExists(t.kubeFile)) ctx.out.line(`Removed kubeconfig ${t.kubeFile}`)
  if (await removeCredentials(ctx.paths, t.name)) ctx.out.line(`Removed the namespace credentials of '${t.name}' (${path.join(ctx.paths.credentialsDir, t.name)})`)
  await forgetCluster(ctx.paths, t.name)
  ctx.out.success(t.inK3d ? `Cluster '${t.name}' deleted` : `Removed the files of '${t.name}' (k3d had no such cluster)`)
}

/**
 * `delete NAME...`: the k3d clusters, their metadata, our kubeconfig files and every pointer
 * naming them. Asks once on a terminal (declined: exit 1, Ctrl-C: 130); without one, --yes is
 * required. A name with nothing left anywhere is "nothing to delete", as k3d says it.
 */
export async function run(ctx: Context, op: OperationOf<'delete'>): Promise<void> {
  const { names } = op
  if (!op.yes && !ctx.isTTY) {
    throw new UsageError(`not deleting ${quoted(names)}: stdin is not a terminal, so nobody can confirm`, 'pass --yes to delete without asking')
  }
  // Files of ours in a directory that is not one: say so before any cluster is deleted.
  requireWritableDirs(ctx.paths.configDir, ctx.paths.kubeDir)
  const clusters = await ctx.k3d.list()
  const found = await Promise.all(
    names.map(async (name) => {
      const t: Target = { name, inK3d: clusters.some((c) => c.name === name), metaFile: ctx.registry.file(name), kubeFile: kubeconfigPath(ctx.paths, name) }
      const [hasMeta, hasKubeconfig, hasCredentials] = await Promise.all([fileExists(t.metaFile), fileExists(t.kubeFile), fileExists(path.join(ctx.paths.credentialsDir, name))])
      return { t, any: t.inK3d || hasMeta || hasKubeconfig || hasCredentials }
    }),
  )
  const targets = found.filter((f) => f.any).map((f) => f.t)
  const gone = found.filter((f) => !f.any).map((f) => f.t.name)
  for (const name of gone) await forgetCluster(ctx.paths, name)
  if (gone.length > 0) {
    ctx.out.success(`Nothing to delete for ${quoted(gone)}: no k3d cluster, metadata or kubeconfig of that name`)
    if (targets.length === 0) ctx.out.warn(namesHint(ctx.env, await knownNames(ctx, clusters)))
  }
  if (targets.length === 0) return
  if (!op.yes && !(await confirmed(ctx, targets.map((t) => t.name)))) {
    throw new OperationError('Cancelled: nothing was deleted')
  }
  for (const [i, t] of targets.entries()) {
    try {
      await deleteOne(ctx, t)
    } catch (err) {
      if (!(err instanceof CliError) || targets.length === 1) throw err
      const done = targets.slice(0, i).map((x) => x.name)
      const left = targets.slice(i + 1).map((x) => x.name)
      const rest = [done.length > 0 ? `deleted: ${quoted(done)}` : '', left.length > 0 ? `not touched: ${quoted(left)}` : ''].filter(Boolean).join('; ')
      throw new OperationError(`deleting '${t.name}' failed: ${err.message}${rest ? ` (${rest})` : ''}`, err.hint)
    }
  }
}
