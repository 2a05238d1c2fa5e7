import type { OperationOf } from './args.ts'
import type { Context } from './context.ts'
import { listBlock } from './details.ts'
import { snapshot } from './lookup.ts'

/** `list`: every k3d cluster and every metadata file, one k3d call. */
export async function run(ctx: Context, op: OperationOf<'list'>): Promise<void> {
  const { views } = await snapshot(ctx)
  if (op.json) return ctx.out.json(views)
  if (views.length === 0) {
    ctx.out.warn('No k3d clusters found')
    ctx.out.line("Run 'just bootstrap-multi' to create a cluster")
    return
  }
  ctx.out.line('Available k3d clusters:')
  for (const view of views) {
    ctx.out.line()
    for (const line of listBlock(view, ctx.out.c)) ctx.out.line(line)
  }
}
