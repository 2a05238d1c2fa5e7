// zx's YAML is this library (yaml 2), but reaching it through zx loads all of zx's vendor bundle
// (~700 kB: globby, fs-extra, ...), ~100 ms; yaml alone, in the bundle, costs a few ms
// (docs/performance.md).
import * as YAML from 'yaml'
import path from 'node:path'
import { OperationError } from './errors.ts'
import { chmod, lstat, rmdir, unlink } from 'node:fs/promises'
import { ensurePrivateDir, readIfExists, writeFileAtomic } from './fsutil.ts'
import type { K3d, K3dCluster } from './k3d.ts'
import { kubeconfigPath } from './paths.ts'
import type { Paths } from './paths.ts'

/** Hosts k3d writes into a kubeconfig's server URL that we point at localhost instead. */
const REWRITTEN_HOSTS = new Set(['0.0.0.0', '127.0.0.1', 'host.docker.internal', 'localhost'])

interface KubeconfigDoc {
  clusters?: Array<{ name?: string; cluster?: { server?: string } }>
  contexts?: Array<{ name?: string; context?: { cluster?: string } }>
  'current-context'?: string
  [key: string]: unknown
}

function parseDoc(text: string, source: string): KubeconfigDoc {
  let doc: unknown
  try {
    doc = YAML.parse(text.replace(/^---\s*\n/, ''))
  } catch (err) {
    throw new OperationError(`${source} is not a valid kubeconfig: ${(err as Error).message.split('\n')[0]}`)
  }
  if (typeof doc !== 'object' || doc === null) throw new OperationError(`${source} is not a valid kubeconfig`)
  return doc as KubeconfigDoc
}

/**
 * Takes the output of `k3d kubeconfig get NAME` and returns the kubeconfig we store: every
 * server of ours on `https://localhost:API_PORT` (the old sed only caught 127.0.0.1 and
 * host.docker.internal, and left k3d's default 0.0.0.0, which TLS then rejects), and
 * context `k3d-NAME` current.
 */
export function rewriteKubeconfig(text: string, name: string, apiPort: number): string {
  const doc = parseDoc(text, `kubeconfig of ${name}`)
  for (const entry of doc.clusters ?? []) {
    const server = entry.cluster?.server
    if (!server) continue
    let url: URL
    try {
      url = new URL(server)
    } catch {
      continue
    }
    if (REWRITTEN_HOSTS.has(url.hostname)) entry.cluster!.server = `https://localhost:${apiPort}`
  }
  const context = `k3d-${name}`
  if (!(doc.contexts ?? []).some((c) => c.name === context)) {
    throw new OperationError(`kubeconfig from k3d has no context ${context}`)
  }
  doc['current-context'] = context
  return YAML.stringify(doc)
}

/** current-context of a kubeconfig text, or null. */
export function currentContext(text: string): string | null {
  try {
    const ctx = parseDoc(text, 'kubeconfig')['current-context']
    return typeof ctx === 'string' && ctx !== '' ? ctx : null
  } catch {
    return null
  }
}

/** The server URL of the current context, or null. */
export function currentServer(text: string): string | null {
  try {
    const doc = parseDoc(text, 'kubeconfig')
    const ctx = (doc.contexts ?? []).find((c) => c.name === doc['current-context'])
    const cluster = (doc.clusters ?? []).find((c) => c.name === ctx?.context?.cluster)
    return cluster?.cluster?.server ?? null
  } catch {
    return null
  }
}

/** `k3d-NAME` → NAME; anything else → null. */
export function clusterOfContext(context: string | null): string | null {
  return context?.startsWith('k3d-') ? context.slice(4) : null
}

export async function writeKubeconfig(file: string, text: string): Promise<void> {
  await writeFileAtomic(file, text, 0o600)
}

/** A line a POSIX shell can eval: the path double-quoted with its specials escaped. */
export function exportLine(file: string): string {
  return `export KUBECONFIG="${file.replace(/[\\"$`]/g, '\\$&')}"`
}

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
 * script's /tmp fallback left a cluster-admin key readable by every user. Used by bootstrap's
 * reuse, switch and resources alike.
 */
export async function ensureKubeconfig(k3d: K3d, p: Paths, cluster: K3dCluster): Promise<{ file: string; written: boolean }> {
  const file = kubeconfigPath(p, cluster.name)
  // Only a private regular file of ours is reused; a symlink is never read through or chmod'ed.
  const existing = (await isPrivateFile(file)) ? await readIfExists(file) : null
  if (existing !== null && kubeconfigIsFresh(existing, cluster)) {
    // Files the old script wrote were world-readable, in a world-readable directory.
    await ensurePrivateDir(p.kubeDir)
    await chmod(file, 0o600)
    return { file, written: false }
  }
  const raw = await k3d.kubeconfig(cluster.name)
  const apiPort = cluster.apiPort ?? serverPort(currentServer(raw))
  if (apiPort === null) throw new OperationError(`cannot tell the API port of cluster '${cluster.name}' from k3d`)
  await writeKubeconfig(file, rewriteKubeconfig(raw, cluster.name, apiPort))
  return { file, written: true }
}

/** An empty kubeconfig: what k3d may rewrite in place of a file that was not ours to give it. */
const EMPTY_KUBECONFIG = 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\ncurrent-context: ""\npreferences: {}\n'

/** FILE is a regular file with no other name (a hard link to ~/.kube/config would be written through). */
async function isPrivateFile(file: string): Promise<boolean> {
  const st = await lstat(file).catch(() => null)
  return !!st && st.isFile() && st.nlink === 1
}

/**
 * Makes FILE safe to hand to k3d as KUBECONFIG, which k3d rewrites in place (`k3d cluster
 * delete` always does, pkg/client/kubeconfig.go): a private regular file of ours stays; a
 * symlink (say, to ~/.kube/config), a hard link, a FIFO or an empty directory is replaced by a
 * fresh private file, so what it pointed at is never written; a missing one stays missing (k3d
 * creates it 0600) in our private directory. A directory with content is not ours to remove:
 * an error naming it.
 */
export async function privateKubeconfigTarget(file: string): Promise<void> {
  await ensurePrivateDir(path.dirname(file))
  const st = await lstat(file).catch(() => null)
  if (!st) return
  if (st.isFile() && st.nlink === 1) {
    if ((st.mode & 0o777) !== 0o600) await chmod(file, 0o600)
    return
  }
  if (st.isDirectory()) {
    await rmdir(file).catch(() => {
      throw new OperationError(`${file} is a directory, not a kubeconfig file`, `move it away (mv "${file}" "${file}.bak") and run this again`)
    })
  } else {
    await unlink(file)
  }
  await writeFileAtomic(file, EMPTY_KUBECONFIG, 0o600)
}
