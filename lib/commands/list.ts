import { howTo } from '../invocation.ts'
import type { OperationOf } from './args.ts'
import type { Context } from './context.ts'
import { listBlocks, tableLines } from './details.ts'
import { snapshot } from './lookup.ts'

/** `list`: every k3d cluster and every metadata file, one k3d call. */
export async function run(ctx: Context, op: OperationOf<'list'>): Promise<void> {
  const { views } = await snapshot(ctx)
  if (op.json) return ctx.out.json(views)
  if (op.format === 'name') return views.forEach((v) => ctx.out.line(v.name))
  if (op.format === 'table') {
    if (views.length > 0 || op.headers) for (const line of tableLines(views, op.headers)) ctx.out.line(line)
    return
  }
  if (views.length === 0) {
    ctx.out.warn('No k3d clusters found')
    ctx.out.line(`Run '${howTo(ctx.env, 'bootstrap')}' to create a cluster`)
    return
  }
  ctx.out.line('Available k3d clusters:')
  for (const line of listBlocks(views, ctx.out.c, howTo(ctx.env, 'cleanup'))) ctx.out.line(line)
}
