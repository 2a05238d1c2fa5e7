import type { ClusterStatus, ClusterView } from '../clusters.ts'
import type { Output } from '../output.ts'
import { printable } from '../output.ts'
import { bindingText } from '../ports.ts'
export { exportLine } from '../kubeconfig.ts'

type Colors = Output['c']

/** A view whose status may be unknown (`current` asks no k3d). */
export type ViewLike = Omit<ClusterView, 'status'> & { status: ClusterStatus | null }

export const UNMANAGED_NOTE = 'unmanaged: created outside this tool'

/** The Status line's value: missing clusters say what they are and how to clear them (CLEANUP: that command). */
export function statusText(v: ClusterView, cleanup: string): string {
  if (v.status !== 'missing') return v.status
  return v.managed ? `missing (no such k3d cluster; ${cleanup} removes its files)` : 'missing (no such k3d cluster and no metadata)'
}

/** Names from git config, with terminal control characters shown escaped. */
function developerText(v: ViewLike): string {
  if (v.developer && v.email) return printable(`${v.developer} <${v.email}>`)
  return printable(v.developer || (v.email ? `<${v.email}>` : '(unknown)'))
}

/**
 * The guide's lines for one cluster (Cluster, Repository, Developer, Type, LoadBalancer,
 * API Server, Created) plus Status when it is known. Clusters without metadata show only what
 * k3d knows.
 */
export function detailLines(v: ViewLike, c: Colors, cleanup = 'cleanup'): string[] {
  const label = (name: string, value: string) => `${c.blue(`${name}:`)} ${value}`
  const lines = [label('Cluster', v.managed ? v.name : `${v.name} (${UNMANAGED_NOTE})`)]
  if (v.managed) {
    lines.push(label('Repository', v.repository || '(unknown)'))
    lines.push(label('Developer', developerText(v)))
    lines.push(label('Type', v.shared ? 'Shared' : 'Personal'))
    if (v.worktree) lines.push(label('Work tree', printable(v.worktree)))
  }
  if (v.lb_port !== null) lines.push(label('LoadBalancer', `http://localhost:${v.lb_port}`))
  if (v.api_port !== null) lines.push(label('API Server', `https://localhost:${v.api_port}`))
  if (v.bind_address) lines.push(label('Bound to', bindingText(v.bind_address)))
  if (v.registry) lines.push(label('Registry', v.registry))
  if (v.managed) lines.push(label('Created', v.created_at || '(unknown)'))
  if (v.status !== null) lines.push(label('Status', statusText(v as ClusterView, cleanup)))
  return lines
}

/**
 * `list`'s default layout, the guide's: `● Active (current):` over the current cluster and one
 * `○ Inactive (not current):` over all the others, each cluster's details indented, a blank
 * line between clusters. "Active" means current, never running: that is the Status line.
 */
export function listBlocks(views: readonly ClusterView[], c: Colors, cleanup: string): string[] {
  const lines: string[] = []
  const group = (heading: string, members: readonly ClusterView[]) => {
    if (members.length === 0) return
    lines.push('', heading)
    members.forEach((v, i) => {
      if (i > 0) lines.push('')
      lines.push(...detailLines(v, c, cleanup).map((l) => `  ${l}`))
    })
  }
  group(c.green('● Active (current):'), views.filter((v) => v.active))
  group(c.yellow('○ Inactive (not current):'), views.filter((v) => !v.active))
  return lines
}

/** `list -o table`: k3d's table style, one line per cluster, columns padded to the widest cell. */
export function tableLines(views: readonly ClusterView[], headers: boolean): string[] {
  const rows = views.map((v) => [
    v.name,
    v.status,
    v.managed ? (v.shared ? 'shared' : 'personal') : 'unmanaged',
    v.lb_port === null ? '-' : String(v.lb_port),
    v.api_port === null ? '-' : String(v.api_port),
    v.active ? '*' : '',
  ])
  if (headers) rows.unshift(['NAME', 'STATUS', 'TYPE', 'LB', 'API', 'CURRENT'])
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i]!.length))) ?? []
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]! + 3))).join('').trimEnd())
}

/** `info` and `current`: the Cluster line, then the rest indented under it, then extras. */
export function infoBlock(v: ViewLike, c: Colors, extra: Array<[string, string]> = [], cleanup = 'cleanup'): string[] {
  const [first, ...rest] = detailLines(v, c, cleanup)
  const more = extra.map(([name, value]) => `${c.blue(`${name}:`)} ${value}`)
  return [first!, ...[...rest, ...more].map((l) => `  ${l}`)]
}

/** The Kubeconfig line of `info`: our file, or how to get it (SWITCH: the switch command for it). */
export function kubeconfigLine(v: ClusterView, file: string, exists: boolean, switchCommand: string): [string, string] | null {
  if (exists) return ['Kubeconfig', file]
  if (v.status === 'missing') return null
  return ['Kubeconfig', `not written yet (${switchCommand} writes it)`]
}
