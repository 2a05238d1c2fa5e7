import { clusterViews } from '../clusters.ts'
import type { ClusterView } from '../clusters.ts'
import type { Selection } from '../current.ts'
import { gitConfigReader, resolveCurrent } from '../current.ts'
import { OperationError } from '../errors.ts'
import { howTo } from '../invocation.ts'
import { credentialsPath, kubeconfigPath } from '../paths.ts'
import type { OperationOf } from './args.ts'
import type { Context } from './context.ts'
import { detailLines } from './details.ts'
import { fileExists } from './kubeconfigfile.ts'
import { readMeta } from './lookup.ts'

/** `current --json`: the list object, with status null: `current` asks no k3d whether it runs. */
export type CurrentView = Omit<ClusterView, 'status'> & { status: null }

/** Pure: what the user reads after "Selected by:". */
export function selectionText(s: Selection): string {
  switch (s.kind) {
    case 'KUBECONFIG':
      return `$KUBECONFIG (${s.file})`
    case 'worktree':
      return `switch in this work tree (${s.worktree})${s.namespace ? `, namespace '${s.namespace}'` : ''}`
    case 'identity':
      return s.perWorktree ? `your cluster for this work tree (${s.worktree})` : `your ${s.shared ? 'shared' : 'personal'} cluster for this repository (${s.worktree})`
    case 'pointer':
      return `last switch (${s.file})`
  }
}

/**
 * `current`: files only (no k3d, no docker), so it answers with Docker down and fast enough
 * for a prompt: `current --name` prints only the name.
 */
export async function run(ctx: Context, op: OperationOf<'current'>): Promise<number | void> {
  const current = await resolveCurrent(ctx.paths, ctx.env, { git: gitConfigReader(ctx.runner) })
  if (current === null || current.name === null) {
    if (op.nameOnly) return 1
    if (op.json) return ctx.out.json(null)
    if (current === null) {
      ctx.out.warn(`No active cluster — switch to one with: ${howTo(ctx.env, 'switch', 'NAME')} (list them with: ${howTo(ctx.env, 'list')})`)
    } else {
      ctx.out.warn(`No active cluster: $KUBECONFIG (${current.file}) selects context '${current.context}', which is not a k3d cluster managed here`)
    }
    return
  }
  const { name } = current
  if (op.nameOnly) return ctx.out.raw(name)
  const namespace = current.source.kind === 'worktree' ? (current.source.namespace ?? null) : null
  const file = namespace ? credentialsPath(ctx.paths, name, namespace) : kubeconfigPath(ctx.paths, name)
  const [meta, hasFile] = await Promise.all([readMeta(ctx, name), fileExists(file)])
  const view = clusterViews([], meta ? [meta] : [], name)[0]
  const result: CurrentView = {
    ...(view ?? { name, active: true, status: null, managed: false, repository: null, developer: null, email: null, shared: null, lb_port: null, api_port: null, bind_address: null, registry: null, kubeconfig: null, created_at: null }),
    status: null,
    kubeconfig: hasFile ? file : (view?.kubeconfig ?? null),
  }
  if (op.json) return ctx.out.json(result)
  const [first, ...rest] = detailLines(result, ctx.out.c)
  const label = (k: string, v: string) => `${ctx.out.c.blue(`${k}:`)} ${v}`
  const lines = [...rest, label('Kubeconfig', hasFile ? file : `not written yet (${howTo(ctx.env, 'switch', name)} writes it)`), label('Selected by', selectionText(current.source))]
  ctx.out.line(first!)
  for (const l of lines) ctx.out.line(`  ${l}`)
}

/** The current cluster's name for commands that default to it; a clear error when there is none. */
export async function requireCurrent(ctx: Context, fallback: string): Promise<string> {
  const current = await resolveCurrent(ctx.paths, ctx.env, { git: gitConfigReader(ctx.runner) })
  if (current && current.name !== null) return current.name
  if (current) throw new OperationError(`no active cluster: $KUBECONFIG (${current.file}) selects context '${current.context}', which is not managed here`, fallback)
  throw new OperationError(`no active cluster`, `${howTo(ctx.env, 'switch', 'NAME')} (or ${howTo(ctx.env, 'bootstrap')}) first, ${fallback}`)
}
