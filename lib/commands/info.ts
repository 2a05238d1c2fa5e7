import { howTo } from '../invocation.ts'
import { kubeconfigPath } from '../paths.ts'
import type { OperationOf } from './args.ts'
import type { Context } from './context.ts'
import { infoBlock, kubeconfigLine } from './details.ts'
import { fileExists } from './kubeconfigfile.ts'
import { findCluster, knownNames, notFound, resolveActive, viewOf } from './lookup.ts'

/** `info NAME`: one cluster, managed or not. */
export async function run(ctx: Context, op: OperationOf<'info'>): Promise<void> {
  const file = kubeconfigPath(ctx.paths, op.name)
  const [found, current, hasFile] = await Promise.all([findCluster(ctx, op.name), resolveActive(ctx), fileExists(file)])
  const view = viewOf(found, current?.name ?? null)
  if (!view) throw notFound(ctx.env, op.name, await knownNames(ctx, found.all))
  if (op.json) return ctx.out.json(view)
  const kubeconfig = kubeconfigLine(view, file, hasFile, howTo(ctx.env, 'switch', op.name))
  const extra: Array<[string, string]> = kubeconfig ? [kubeconfig] : []
  if (view.active) extra.push(['Active', 'yes (current)'])
  for (const line of infoBlock(view, ctx.out.c, extra, howTo(ctx.env, 'cleanup'))) ctx.out.line(line)
}
