import path from 'node:path'
import { clusterViews } from '../clusters.ts'
import { previousCluster, setCurrent } from '../current.ts'
import { OperationError } from '../errors.ts'
import type { OperationOf } from './args.ts'
import type { Context } from './context.ts'
import { exportLine, infoBlock } from './details.ts'
import { ensureKubeconfig } from '../kubeconfig.ts'
import { requireK3dCluster } from './lookup.ts'

async function targetName(ctx: Context, op: OperationOf<'switch'>): Promise<string> {
  if (op.name !== null) return op.name
  const previous = await previousCluster(ctx.paths)
  if (!previous) throw new OperationError('no previous cluster', "'switch -' returns to the cluster in use before the last switch")
  return previous
}

/**
 * `switch NAME`: (re)writes NAME's kubeconfig in our directory and records NAME as current.
 * The default kubeconfig is never touched: the shell follows only when it evals the line.
 */
export async function run(ctx: Context, op: OperationOf<'switch'>): Promise<void> {
  const name = await targetName(ctx, op)
  const found = await requireK3dCluster(ctx, name)
  const { file, written } = await ensureKubeconfig(ctx.k3d, ctx.paths, found.cluster)
  await setCurrent(ctx.paths, name)
  const out = ctx.out
  if (written) out.log(`Wrote kubeconfig ${file}`)
  if (!found.cluster.running) out.warn(`cluster '${name}' is stopped; start it with: cluster-manager start ${name}`)
  out.success(`Switched to cluster '${name}'`)
  if (op.shell) return out.raw(exportLine(file))
  out.line()
  const view = clusterViews([found.cluster], found.meta ? [found.meta] : [], name)[0]!
  for (const line of infoBlock(view, out.c)) out.line(line)
  out.line()
  out.line('Run this in your shell:')
  out.line(`  ${exportLine(file)}`)
  const inShell = ctx.env.KUBECONFIG
  if (inShell && path.resolve(inShell) !== file) {
    out.line(`(this shell's KUBECONFIG still names ${inShell}; kubectl and 'current' follow it until you run the line above)`)
  }
}
