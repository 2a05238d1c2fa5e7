import type { K3dCluster } from './k3d.ts'
import type { ClusterMeta } from './registry.ts'
import type { Reservation } from './lock.ts'

export type ClusterStatus = 'running' | 'stopped' | 'missing'

/** One row of `list` (and the object of `list/current/info --json`). */
export interface ClusterView {
  name: string
  active: boolean
  status: ClusterStatus
  managed: boolean // has a metadata file
  repository: string | null
  developer: string | null
  email: string | null
  shared: boolean | null
  lb_port: number | null
  api_port: number | null
  /** The host address its ports are published on: k3d's HostIp, else what the metadata recorded. */
  bind_address: string | null
  /** `k3d-NAME:PORT` of the shared image registry it was created with (metadata), or null. */
  registry: string | null
  kubeconfig: string | null
  created_at: string | null
  /** A per-work-tree cluster's work tree (`--worktree`); absent for the others. */
  worktree?: string
}

/** A text field of the metadata that this tool added later (files of older runs lack it). */
const metaText = (m: ClusterMeta | undefined, key: string): string | null => (typeof m?.[key] === 'string' ? (m[key] as string) : null)

/** Joins what k3d knows and what our metadata says, one row per name, sorted by name. */
export function clusterViews(k3d: readonly K3dCluster[], metas: readonly ClusterMeta[], current: string | null): ClusterView[] {
  const byName = new Map<string, { k?: K3dCluster; m?: ClusterMeta }>()
  for (const k of k3d) byName.set(k.name, { ...byName.get(k.name), k })
  for (const m of metas) byName.set(m.name, { ...byName.get(m.name), m })
  return [...byName.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, { k, m }]) => ({
      name,
      active: name === current,
      status: !k ? 'missing' : k.running ? 'running' : 'stopped',
      managed: !!m,
      repository: m?.repository ?? null,
      developer: m?.developer ?? null,
      email: m?.email ?? null,
      shared: m ? m.shared : null,
      // k3d's ports are the truth for a cluster that exists; metadata may be stale.
      lb_port: k?.lbPort ?? m?.lb_port ?? null,
      api_port: k?.apiPort ?? m?.api_port ?? null,
      bind_address: k?.lbHostIp ?? k?.apiHostIp ?? metaText(m, 'bind_address'),
      registry: metaText(m, 'registry'),
      kubeconfig: m?.kubeconfig || null,
      created_at: m?.created_at || null,
      ...(typeof m?.worktree === 'string' ? { worktree: m.worktree } : {}),
    }))
}

/**
 * Every host port no new cluster may use: those of every k3d cluster (stopped ones too:
 * docker lets another cluster take them, then the stopped one cannot start), those our
 * metadata records, and those live bootstraps have reserved.
 */
export function takenPorts(
  k3d: readonly K3dCluster[],
  metas: readonly ClusterMeta[],
  reservations: ReadonlyArray<Pick<Reservation, 'lb_port' | 'api_port'> & Partial<Reservation>>,
): Set<number> {
  const taken = new Set<number>()
  for (const k of k3d) for (const p of k.hostPorts) taken.add(p)
  for (const m of metas) {
    taken.add(m.lb_port)
    taken.add(m.api_port)
  }
  for (const r of reservations) {
    taken.add(r.lb_port)
    taken.add(r.api_port)
  }
  return taken
}
