import { OperationError } from '../errors.ts'
import { howTo } from '../invocation.ts'
import { Kubectl } from '../kubectl.ts'
import type { OperationOf } from './args.ts'
import type { Context } from './context.ts'
import { ensureKubeconfig } from '../kubeconfig.ts'
import { requireCurrent } from './current.ts'
import { requireK3dCluster } from './lookup.ts'

const SECTIONS: Array<[title: string, args: string[]]> = [
  ['Nodes', ['nodes', '-o', 'wide']],
  ['Namespaces', ['namespaces']],
  ['Deployments (all namespaces)', ['deployments', '-A']],
  ['Services (all namespaces)', ['services', '-A']],
]

async function clusterName(ctx: Context, op: OperationOf<'resources'>): Promise<string> {
  if (op.name) return op.name
  return requireCurrent(ctx, `or name one: ${howTo(ctx.env, 'resources', 'NAME')}`)
}

/** `resources [NAME]`: kubectl on that cluster's own kubeconfig only, never the default one. */
export async function run(ctx: Context, op: OperationOf<'resources'>): Promise<void> {
  const name = await clusterName(ctx, op)
  const { cluster } = await requireK3dCluster(ctx, name)
  if (!cluster.running) throw new OperationError(`cluster '${name}' is stopped`, `start it with: ${howTo(ctx.env, 'start', name)}`)
  const { file } = await ensureKubeconfig(ctx.k3d, ctx.paths, cluster)
  const kubectl = new Kubectl(file, ctx.runner)
  const outputs = await Promise.all(SECTIONS.map(([, args]) => kubectl.get(args)))
  ctx.out.line(`Resources in cluster '${name}':`)
  SECTIONS.forEach(([title], i) => {
    ctx.out.line()
    ctx.out.line(ctx.out.c.cyan(`${title}:`))
    ctx.out.line(outputs[i]!.trimEnd())
  })
}
