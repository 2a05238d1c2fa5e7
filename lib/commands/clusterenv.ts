import { readCredentials } from '../credentials.ts'
import type { Credentials } from '../credentials.ts'
import { OperationError } from '../errors.ts'
import { JUST_ENV, howTo } from '../invocation.ts'
import { ensureKubeconfig } from '../kubeconfig.ts'
import { kubeconfigPath } from '../paths.ts'
import type { Context } from './context.ts'
import { fileExists } from './kubeconfigfile.ts'
import { requireK3dCluster } from './lookup.ts'

/**
 * NAME's kubeconfig for `exec` and `shell`: our file when it is there (no k3d call, so a
 * one-shot command costs nothing more), else written from k3d (the cluster must exist). With
 * NAMESPACE, NAME's credentials for it (`credentials`), which must exist and not have expired.
 */
export async function kubeconfigFor(ctx: Context, name: string, namespace: string | null = null): Promise<string> {
  if (namespace) return (await requireCredentials(ctx, name, namespace)).file
  const file = kubeconfigPath(ctx.paths, name)
  if (await fileExists(file)) return file
  const { cluster } = await requireK3dCluster(ctx, name)
  return (await ensureKubeconfig(ctx.k3d, ctx.paths, cluster)).file
}

/** NAME's credentials for NAMESPACE, usable now; else what is wrong and the command that makes fresh ones. */
export async function requireCredentials(ctx: Context, name: string, namespace: string, now = new Date()): Promise<Credentials> {
  const found = await readCredentials(ctx.paths, name, namespace)
  const fresh = howTo(ctx.env, 'credentials', name, '--namespace', namespace)
  if (!found) throw new OperationError(`cluster '${name}' has no credentials for namespace '${namespace}'`, `create them with: ${fresh}`)
  if (found.expiresAt && found.expiresAt <= now) {
    throw new OperationError(`the token for namespace '${namespace}' of '${name}' expired at ${found.expiresAt.toISOString()} (${found.file})`, `get a fresh one with: ${fresh}`)
  }
  return found
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
