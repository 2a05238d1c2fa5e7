import { accessManifest, serviceAccountOf, tokenExpiry } from '../access.ts'
import { scopedKubeconfig } from '../credentials.ts'
import { OperationError } from '../errors.ts'
import { requireWritableDirs } from '../fsproblem.ts'
import { readIfExists, writeFileAtomic } from '../fsutil.ts'
import { howTo } from '../invocation.ts'
import { ensureKubeconfig, exportLine } from '../kubeconfig.ts'
import { Kubectl } from '../kubectl.ts'
import { credentialsPath } from '../paths.ts'
import type { OperationOf } from './args.ts'
import type { Context } from './context.ts'
import { requireCurrent } from './current.ts'
import { requireK3dCluster } from './lookup.ts'

/** `credentials --json`. */
export interface CredentialsResult {
  cluster: string
  namespace: string
  service_account: string
  role: 'edit' | 'view'
  kubeconfig: string
  expires_at: string | null
}

/**
 * `credentials [NAME] --namespace NS [--read-only] [--duration D]`: a kubeconfig that reaches NS
 * of NAME and nothing else. With the cluster's admin kubeconfig: the namespace (if new), a
 * ServiceAccount and a RoleBinding to the built-in `edit` (or `view`) in NS, applied in one
 * idempotent `kubectl apply`; then `kubectl create token`; then the file, 0600, written atomically.
 * Run again, it hands out a fresh token (the old one stays valid until it expires).
 */
export async function makeCredentials(ctx: Context, name: string, op: Pick<OperationOf<'credentials'>, 'namespace' | 'access' | 'duration'>): Promise<CredentialsResult> {
  requireWritableDirs(ctx.paths.kubeDir)
  const { cluster } = await requireK3dCluster(ctx, name)
  if (!cluster.running) throw new OperationError(`cluster '${name}' is stopped`, `start it with: ${howTo(ctx.env, 'start', name)}`)
  const { file: admin } = await ensureKubeconfig(ctx.k3d, ctx.paths, cluster)
  const kubectl = new Kubectl(admin, ctx.runner)
  const sa = serviceAccountOf(op.access)
  await ctx.out.step(`Granting '${op.access}' in namespace '${op.namespace}' of '${name}' to service account ${sa}`, () => kubectl.apply(`namespace ${op.namespace}`, accessManifest(op.namespace, op.access)))
  const token = await kubectl.createToken(op.namespace, sa, op.duration)
  const adminText = await readIfExists(admin)
  if (adminText === null) throw new OperationError(`the kubeconfig of '${name}' vanished while the credentials were made (${admin})`, `run ${howTo(ctx.env, 'switch', name)}, then this again`)
  const file = credentialsPath(ctx.paths, name, op.namespace)
  await writeFileAtomic(file, scopedKubeconfig(adminText, name, op.namespace, op.access, token))
  const expires = tokenExpiry(token)
  const result: CredentialsResult = { cluster: name, namespace: op.namespace, service_account: sa, role: op.access, kubeconfig: file, expires_at: expires ? expires.toISOString().replace(/\.\d{3}Z$/, 'Z') : null }
  return result
}

export async function run(ctx: Context, op: OperationOf<'credentials'>): Promise<void> {
  const name = op.name ?? (await requireCurrent(ctx, `or name the cluster: ${howTo(ctx.env, 'credentials', 'NAME', '--namespace', op.namespace)}`))
  const result = await makeCredentials(ctx, name, op)
  const { sa, file } = { sa: result.service_account, file: result.kubeconfig }
  if (op.json) return ctx.out.json(result)
  const out = ctx.out
  out.success(`Credentials for namespace '${op.namespace}' of '${name}' (${op.access === 'view' ? 'read-only: view' : 'edit'}${result.expires_at ? `, until ${result.expires_at}` : ''})`)
  out.line(`  Kubeconfig: ${file}`)
  out.line(`  Service account: system:serviceaccount:${op.namespace}:${sa}`)
  out.line(`  Use: ${howTo(ctx.env, 'exec', name, '--namespace', op.namespace, '--', 'kubectl', 'get', 'pods')}`)
  out.line(`  ${exportLine(file)}`)
}
