import { JUST_ENV } from '../invocation.ts'
import { ensureKubeconfig } from '../kubeconfig.ts'
import { kubeconfigPath } from '../paths.ts'
import type { Context } from './context.ts'
import { fileExists } from './kubeconfigfile.ts'
import { requireK3dCluster } from './lookup.ts'

/**
 * NAME's kubeconfig for `exec` and `shell`: our file when it is there (no k3d call, so a
 * one-shot command costs nothing more), else written from k3d (the cluster must exist).
 */
export async function kubeconfigFor(ctx: Context, name: string): Promise<string> {
  const file = kubeconfigPath(ctx.paths, name)
  if (await fileExists(file)) return file
  const { cluster } = await requireK3dCluster(ctx, name)
  return (await ensureKubeconfig(ctx.k3d, ctx.paths, cluster)).file
}

/**
 * Pure: the environment of a program run for cluster NAME: KUBECONFIG on its file alone (never
 * merged with the caller's list), THREADS_AGENT_CLUSTER as the marker, and none of the variables
 * the justfile set for our scripts (they would make the scripts run in it believe they came through just).
 */
export function clusterEnv(env: NodeJS.ProcessEnv, name: string, file: string): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, KUBECONFIG: file, THREADS_AGENT_CLUSTER: name }
  for (const key of JUST_ENV) delete out[key]
  return out
}
