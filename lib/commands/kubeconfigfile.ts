import { access, chmod } from 'node:fs/promises'
import { OperationError } from '../errors.ts'
import { ensurePrivateDir, readIfExists } from '../fsutil.ts'
import type { K3dCluster } from '../k3d.ts'
import { currentContext, currentServer, rewriteKubeconfig, writeKubeconfig } from '../kubeconfig.ts'
import { kubeconfigPath } from '../paths.ts'
import type { Context } from './context.ts'

function serverUrl(server: string | null): URL | null {
  if (!server) return null
  try {
    return new URL(server)
  } catch {
    return null
  }
}

function serverPort(server: string | null): number | null {
  const port = Number(serverUrl(server)?.port)
  return Number.isInteger(port) && port > 0 ? port : null
}

/** Our file still reaches CLUSTER: its context is current and its server is localhost:API_PORT. */
export function kubeconfigIsFresh(text: string, cluster: K3dCluster): boolean {
  if (cluster.apiPort === null || currentContext(text) !== `k3d-${cluster.name}`) return false
  const server = currentServer(text)
  return serverUrl(server)?.hostname === 'localhost' && serverPort(server) === cluster.apiPort
}

/**
 * `~/.kube/threads-agent/config-NAME`, written from `k3d kubeconfig get` when it is missing
 * or stale (a recreated cluster has another API port). Never anywhere else: the old
 * script's /tmp fallback left a cluster-admin key readable by every user.
 */
export async function ensureKubeconfig(ctx: Context, cluster: K3dCluster): Promise<{ file: string; written: boolean }> {
  const file = kubeconfigPath(ctx.paths, cluster.name)
  const existing = await readIfExists(file)
  if (existing !== null && kubeconfigIsFresh(existing, cluster)) {
    // Files the old script wrote were world-readable, in a world-readable directory.
    await ensurePrivateDir(ctx.paths.kubeDir)
    await chmod(file, 0o600)
    return { file, written: false }
  }
  const raw = await ctx.k3d.kubeconfig(cluster.name)
  const apiPort = cluster.apiPort ?? serverPort(currentServer(raw))
  if (apiPort === null) throw new OperationError(`cannot tell the API port of cluster '${cluster.name}' from k3d`)
  await writeKubeconfig(file, rewriteKubeconfig(raw, cluster.name, apiPort))
  return { file, written: true }
}

export async function fileExists(file: string): Promise<boolean> {
  return access(file).then(() => true, () => false)
}
