import { resolveCurrent } from '../current.ts'
import { kubeconfigPath } from '../paths.ts'
import type { OperationOf } from './args.ts'
import type { Context } from './context.ts'
import { infoBlock, kubeconfigLine } from './details.ts'
import { fileExists } from './kubeconfigfile.ts'
import { findCluster, knownNames, notFound, viewOf } from './lookup.ts'

/** `info NAME`: one cluster, managed or not. */
export async function run(ctx: Context, op: OperationOf<'info'>): Promise<void> {
  const file = kubeconfigPath(ctx.paths, op.name)
  const [found, current, hasFile] = await Promise.all([
    findCluster(ctx, op.name),
    resolveCurrent(ctx.paths, ctx.env),
    fileExists(file),
  ])
  const view = viewOf(found, current?.name ?? null)
  if (!view) throw notFound(op.name, await knownNames(ctx, found.all))
  if (op.json) return ctx.out.json(view)
  const kubeconfig = kubeconfigLine(view, file, hasFile)
  const extra: Array<[string, string]> = kubeconfig ? [kubeconfig] : []
  if (view.active) extra.push(['Active', 'yes'])
  for (const line of infoBlock(view, ctx.out.c, extra)) ctx.out.line(line)
}
