import type { ClusterView } from '../clusters.ts'
import type { Output } from '../output.ts'
import { printable } from '../output.ts'
export { exportLine } from '../kubeconfig.ts'

type Colors = Output['c']

export const UNMANAGED_NOTE = 'unmanaged: created outside this tool'

/** The Status line's value: missing clusters say what they are and how to clear them. */
export function statusText(v: ClusterView): string {
  if (v.status !== 'missing') return v.status
  return v.managed
    ? 'missing (no such k3d cluster; just cluster-cleanup removes its files)'
    : 'missing (no such k3d cluster and no metadata)'
}

/** Names from git config, with terminal control characters shown escaped. */
function developerText(v: ClusterView): string {
  if (v.developer && v.email) return printable(`${v.developer} <${v.email}>`)
  return printable(v.developer || (v.email ? `<${v.email}>` : '(unknown)'))
}

/**
 * The guide's lines for one cluster (Cluster, Repository, Developer, Type, LoadBalancer,
 * API Server, Created) plus Status. Clusters without metadata show only what k3d knows.
 */
export function detailLines(v: ClusterView, c: Colors): string[] {
  const label = (name: string, value: string) => `${c.blue(`${name}:`)} ${value}`
  const lines = [label('Cluster', v.managed ? v.name : `${v.name} (${UNMANAGED_NOTE})`)]
  if (v.managed) {
    lines.push(label('Repository', v.repository || '(unknown)'))
    lines.push(label('Developer', developerText(v)))
    lines.push(label('Type', v.shared ? 'Shared' : 'Personal'))
  }
  if (v.lb_port !== null) lines.push(label('LoadBalancer', `http://localhost:${v.lb_port}`))
  if (v.api_port !== null) lines.push(label('API Server', `https://localhost:${v.api_port}`))
  if (v.managed) lines.push(label('Created', v.created_at || '(unknown)'))
  lines.push(label('Status', statusText(v)))
  return lines
}

/** One block of `list`: `● Active:` or `○ Inactive:`, then the details indented. */
export function listBlock(v: ClusterView, c: Colors): string[] {
  const heading = v.active ? c.green('● Active:') : c.yellow('○ Inactive:')
  return [heading, ...detailLines(v, c).map((l) => `  ${l}`)]
}

/** `info` and `current`: the Cluster line, then the rest indented under it, then extras. */
export function infoBlock(v: ClusterView, c: Colors, extra: Array<[string, string]> = []): string[] {
  const [first, ...rest] = detailLines(v, c)
  const more = extra.map(([name, value]) => `${c.blue(`${name}:`)} ${value}`)
  return [first!, ...[...rest, ...more].map((l) => `  ${l}`)]
}


/** The Kubeconfig line of `info` and `current`: our file, or how to get it. */
export function kubeconfigLine(v: ClusterView, file: string, exists: boolean): [string, string] | null {
  if (exists) return ['Kubeconfig', file]
  if (v.status === 'missing') return null
  return ['Kubeconfig', `not written yet (cluster-manager switch ${v.name} writes it)`]
}
