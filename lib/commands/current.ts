import { clusterViews } from '../clusters.ts'
import type { ClusterView } from '../clusters.ts'
import { resolveCurrent } from '../current.ts'
import { kubeconfigPath } from '../paths.ts'
import type { OperationOf } from './args.ts'
import type { Context } from './context.ts'
import { infoBlock, kubeconfigLine } from './details.ts'
import { fileExists } from './kubeconfigfile.ts'
import { readMeta } from './lookup.ts'

/** A current cluster that neither k3d nor our metadata knows (deleted behind our back). */
function unknownView(name: string): ClusterView {
  return {
    name, active: true, status: 'missing', managed: false, repository: null, developer: null, email: null,
    shared: null, lb_port: null, api_port: null, kubeconfig: null, created_at: null,
  }
}

/** `current`: cheap by design (no kubectl; k3d only when there is a current cluster). */
export async function run(ctx: Context, op: OperationOf<'current'>): Promise<void> {
  const current = await resolveCurrent(ctx.paths, ctx.env)
  if (!current) {
    if (op.json) return ctx.out.json(null)
    ctx.out.warn('No active cluster')
    ctx.out.line("Switch to one with: cluster-manager switch NAME (list them with 'cluster-manager list')")
    return
  }
  const file = kubeconfigPath(ctx.paths, current.name)
  const [clusters, meta, hasFile] = await Promise.all([ctx.k3d.list(), readMeta(ctx, current.name), fileExists(file)])
  const cluster = clusters.find((c) => c.name === current.name)
  const view = clusterViews(cluster ? [cluster] : [], meta ? [meta] : [], current.name)[0] ?? unknownView(current.name)
  if (op.json) return ctx.out.json(view)
  const source = current.source === 'KUBECONFIG' ? '$KUBECONFIG' : `last switch (${ctx.paths.currentFile})`
  const extra: Array<[string, string]> = [['Selected by', source]]
  const kubeconfig = kubeconfigLine(view, file, hasFile)
  if (kubeconfig) extra.push(kubeconfig)
  for (const line of infoBlock(view, ctx.out.c, extra)) ctx.out.line(line)
}
