import type { K3dCluster } from '../k3d.ts'
import type { Reservation } from '../lock.ts'
import type { PortPlan } from '../ports.ts'

/** What a run knows about its cluster name, read under the port lock. */
export interface Findings {
  force: boolean
  /** k3d's cluster of that name. */
  cluster: K3dCluster | null
  /** The reservation file of that name, and whether its owner (pid + start time) still runs. */
  reservation: Reservation | null
  reservationAlive: boolean
}

/**
 * What to do, before ports are chosen. A dead run's reservation is evidence: with its
 * cluster present and past k3d's create ('created') the cluster is finished; still
 * 'reserved' it may be half-made and is made again; with no cluster it is only stale.
 */
export type Decision =
  | { kind: 'busy'; holder: Reservation }
  | { kind: 'reuse'; cluster: K3dCluster; finish: Reservation | null }
  | { kind: 'create'; stale: Reservation | null }
  | { kind: 'recreate'; cluster: K3dCluster; why: 'force' | 'half-made'; stale: Reservation | null }

export function decide(f: Findings): Decision {
  const r = f.reservation
  if (r && f.reservationAlive) return { kind: 'busy', holder: r }
  if (!f.cluster) return { kind: 'create', stale: r }
  if (f.force) return { kind: 'recreate', cluster: f.cluster, why: 'force', stale: r }
  if (r?.stage === 'created') return { kind: 'reuse', cluster: f.cluster, finish: r }
  if (r) return { kind: 'recreate', cluster: f.cluster, why: 'half-made', stale: r }
  return { kind: 'reuse', cluster: f.cluster, finish: null }
}

/** The plan a run carries out (and `--dry-run` prints): a tagged union, ports chosen. */
export type Plan =
  | { kind: 'reuse'; cluster: K3dCluster; finish: Reservation | null }
  | { kind: 'create'; ports: PortPlan }
  | { kind: 'recreate'; cluster: K3dCluster; ports: PortPlan; why: 'force' | 'half-made' }

/** The ports a plan leaves the cluster with (k3d's own for a cluster that stays). */
export function portsOf(plan: Plan): { lb: number | null; api: number | null } {
  if (plan.kind === 'reuse') return { lb: plan.cluster.lbPort, api: plan.cluster.apiPort }
  return { lb: plan.ports.lbPort, api: plan.ports.apiPort }
}
