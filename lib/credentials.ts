// zx's YAML is this library; imported directly for the reason lib/kubeconfig.ts gives.
import * as YAML from 'yaml'
import { lstat, readdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { OperationError } from './errors.ts'
import type { Access } from './access.ts'
import { serviceAccountOf, tokenExpiry } from './access.ts'
import { readIfExists } from './fsutil.ts'
import type { Paths } from './paths.ts'
import { credentialsPath } from './paths.ts'
import { k3dNameProblem } from './names.ts'

/**
 * The kubeconfig of scoped credentials (lib/access.ts says what they grant) and reading it back.
 * lib/commands/credentials.ts makes them.
 */

interface KubeconfigDoc {
  clusters?: Array<{ name?: string; cluster?: Record<string, unknown> }>
  contexts?: Array<{ name?: string; context?: { cluster?: string } }>
  'current-context'?: string
}

/**
 * Pure: the kubeconfig of a token: the cluster entry of ADMIN (our kubeconfig of NAME: server and
 * CA), a user holding only TOKEN, and context `k3d-NAME` on NAMESPACE, current. The context keeps
 * k3d's name so `current` and MCP servers (K8S_CONTEXT) see which cluster it is.
 */
export function scopedKubeconfig(admin: string, name: string, namespace: string, access: Access, token: string): string {
  let doc: KubeconfigDoc
  try {
    doc = (YAML.parse(admin.replace(/^---\s*\n/, '')) ?? {}) as KubeconfigDoc
  } catch {
    throw new OperationError(`the kubeconfig of '${name}' cannot be read as YAML`)
  }
  const context = `k3d-${name}`
  const clusterName = doc.contexts?.find((c) => c.name === context)?.context?.cluster ?? context
  const cluster = doc.clusters?.find((c) => c.name === clusterName)?.cluster
  if (!cluster?.server) throw new OperationError(`the kubeconfig of '${name}' has no cluster entry for ${context}`)
  const user = `system:serviceaccount:${namespace}:${serviceAccountOf(access)}`
  return YAML.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: context, cluster }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: context, context: { cluster: context, user, namespace } }],
    'current-context': context,
    preferences: {},
  })
}

export interface Credentials {
  file: string
  namespace: string
  /** The access its service account has, read from the file's user. */
  access: Access | null
  expiresAt: Date | null
}

/** NAME's credentials for NAMESPACE, from files only; null when there are none (a file that is not a private regular file counts as none). */
export async function readCredentials(p: Paths, name: string, namespace: string): Promise<Credentials | null> {
  const file = credentialsPath(p, name, namespace)
  const st = await lstat(file).catch(() => null)
  if (!st?.isFile()) return null
  const text = await readIfExists(file)
  if (text === null) return null
  let doc: { users?: Array<{ name?: string; user?: { token?: unknown } }> }
  try {
    doc = (YAML.parse(text) ?? {}) as typeof doc
  } catch {
    return { file, namespace, access: null, expiresAt: null }
  }
  const user = doc.users?.[0]
  const token = typeof user?.user?.token === 'string' ? user.user.token : ''
  const access = user?.name?.endsWith(`:${serviceAccountOf('view')}`) ? 'view' : user?.name?.endsWith(`:${serviceAccountOf('edit')}`) ? 'edit' : null
  return { file, namespace, access, expiresAt: tokenExpiry(token) }
}

/** Removes every credentials file of cluster NAME (its directory); true when there was one. */
export async function removeCredentials(p: Paths, name: string): Promise<boolean> {
  const dir = path.join(p.credentialsDir, name)
  const st = await lstat(dir).catch(() => null)
  if (!st) return false
  await rm(dir, { recursive: true, force: true })
  return true
}

/** Cluster names that have a credentials directory. */
export async function credentialsClusters(p: Paths): Promise<string[]> {
  const entries = await readdir(p.credentialsDir, { withFileTypes: true }).catch(() => [])
  return entries.filter((e) => e.isDirectory() && k3dNameProblem(e.name) === null).map((e) => e.name)
}
