import { runInteractive } from '../interactive.ts'
import type { OperationOf } from './args.ts'
import { clusterEnv, kubeconfigFor } from './clusterenv.ts'
import type { Context } from './context.ts'

/**
 * `exec NAME -- CMD [ARGS...]` (kubie's `exec`): CMD runs with NAME's kubeconfig as its only
 * KUBECONFIG; its exit status is ours, signals are passed on to it.
 */
export async function run(ctx: Context, op: OperationOf<'exec'>): Promise<number> {
  const file = await kubeconfigFor(ctx, op.name, op.namespace)
  const [cmd, ...args] = op.command as [string, ...string[]]
  return runInteractive(cmd, args, { env: clusterEnv(ctx.env, op.name, file) })
}
