import { OperationError } from '../errors.ts'
import type { ProjectConfig } from '../config.ts'
import type { K3d, K3dCluster } from '../k3d.ts'
import type { Registry } from '../registry.ts'
import { withLock } from '../lock.ts'
import type { Reservation, Reservations } from '../lock.ts'
import { ownerAlive } from '../owner.ts'
import { takenPorts } from '../clusters.ts'
import { choosePorts } from '../ports.ts'
import type { PortPlan, PortProbe } from '../ports.ts'
import type { Output } from '../output.ts'
import { NEVER, sleep } from '../cancel.ts'
import { decide } from './plan.ts'
import type { Plan } from './plan.ts'

export interface ClaimIO {
  k3d: K3d
  registry: Registry
  reservations: Reservations
  lockDir: string
  probe: PortProbe
  config: ProjectConfig
  signal: AbortSignal
}

export interface Claimed {
  plan: Plan
  /** Ours, to release when the run ends cleanly (null on a dry run and a plain reuse). */
  reservation: Reservation | null
}

/** Ports for NAME that nothing else has: no other cluster, metadata file, live reservation or listener. */
async function choose(io: ClaimIO, name: string, seen: { clusters: K3dCluster[]; live: Reservation[] }, prefer: K3dCluster | null, avoid: ReadonlySet<number>): Promise<PortPlan> {
  const { metas } = await io.registry.list()
  const others = <T extends { name: string }>(list: readonly T[]) => list.filter((x) => x.name !== name)
  const taken = takenPorts(others(seen.clusters), others(metas), others(seen.live))
  for (const p of avoid) taken.add(p)
  // A cluster we are about to delete and recreate still holds its own ports.
  const own = new Set(prefer?.hostPorts ?? [])
  const ranges = { lb: io.config.lbPortRange, api: io.config.apiPortRange }
  return choosePorts(name, ranges, taken, (p) => (own.has(p) ? Promise.resolve(true) : io.probe(p)), {
    lb: prefer?.lbPort ?? undefined,
    api: prefer?.apiPort ?? undefined,
  })
}

/**
 * Decides what this run does with NAME and reserves its ports, under the port lock (a dry
 * run takes no lock and writes nothing). Reservations of dead runs whose cluster k3d does not
 * have are stale and removed; those whose cluster exists are kept: they say it is unfinished.
 */
export async function claim(io: ClaimIO, name: string, opts: { force: boolean; dryRun: boolean }): Promise<Claimed | { busy: Reservation }> {
  const body = async (): Promise<Claimed | { busy: Reservation }> => {
    const [clusters, scan] = await Promise.all([io.k3d.list(), io.reservations.scan()])
    const cluster = clusters.find((c) => c.name === name) ?? null
    const live = scan.live.find((r) => r.name === name)
    const reservation = live ?? scan.dead.find((r) => r.name === name) ?? null
    const d = decide({ force: opts.force, cluster, reservation, reservationAlive: !!live })
    if (d.kind === 'busy') return { busy: d.holder }
    if (!opts.dryRun) await io.reservations.removeDead((r) => clusters.some((c) => c.name === r.name))
    if (d.kind === 'reuse') {
      const ports = d.finish ? { lb: d.finish.lb_port, api: d.finish.api_port } : null
      return { plan: d, reservation: ports && !opts.dryRun ? await io.reservations.reserve(name, ports, 'created') : null }
    }
    const ports = await choose(io, name, { clusters, live: scan.live }, d.kind === 'recreate' ? d.cluster : null, new Set())
    const plan: Plan = d.kind === 'create' ? { kind: 'create', ports } : { kind: 'recreate', cluster: d.cluster, ports, why: d.why }
    return { plan, reservation: opts.dryRun ? null : await io.reservations.reserve(name, { lb: ports.lbPort, api: ports.apiPort }) }
  }
  return opts.dryRun ? body() : withLock(io.lockDir, body, { signal: io.signal })
}

/** After k3d found a port taken: other ports, chosen under the lock, and the reservation moved to them. */
export async function reclaimPorts(io: ClaimIO, mine: Reservation, avoid: ReadonlySet<number>): Promise<{ ports: PortPlan; reservation: Reservation }> {
  return withLock(
    io.lockDir,
    async () => {
      const [clusters, scan] = await Promise.all([io.k3d.list(), io.reservations.scan()])
      const ports = await choose(io, mine.name, { clusters, live: scan.live }, null, avoid)
      return { ports, reservation: await io.reservations.update(mine, { lb_port: ports.lbPort, api_port: ports.apiPort }) }
    },
    { signal: io.signal },
  )
}

/** Our reservation gone, under the lock; after an abort too (the lock wait ignores the signal). */
export async function releaseReservation(io: ClaimIO, mine: Reservation | null): Promise<void> {
  if (mine) await withLock(io.lockDir, () => io.reservations.release(mine), { signal: NEVER })
}

export function busyError(name: string, holder: Reservation): OperationError {
  return new OperationError(
    `cluster '${name}' is being created by another run (pid ${holder.pid})`,
    'pass --wait to wait for it and then reuse the cluster (bounded by --wait-timeout SECONDS), or run this again when it is done',
  )
}

/** Waits until HOLDER's reservation of NAME is gone or its owner died; bounded by DEADLINE (ms since epoch). */
export async function waitForRun(io: ClaimIO, out: Output, name: string, holder: Reservation, deadline: number, timeoutSeconds: number): Promise<void> {
  await out.step(`Waiting for the run creating '${name}' (pid ${holder.pid}) to finish`, async () => {
    for (;;) {
      const now = await io.reservations.read(name)
      if (!now || now.token !== holder.token || !ownerAlive(now)) return
      if (Date.now() > deadline) {
        throw new OperationError(`cluster '${name}' is still being created by another run (pid ${holder.pid}) after ${timeoutSeconds}s`, 'raise --wait-timeout, or stop that run and run this again')
      }
      await sleep(250, io.signal)
    }
  })
}

/** claim(), waiting for another live run of the same cluster when WAIT says so (else: exit 1 naming --wait). */
export async function claimOrWait(io: ClaimIO, out: Output, name: string, opts: { force: boolean; dryRun: boolean; wait: boolean; waitTimeout: number }): Promise<Claimed> {
  const deadline = Date.now() + opts.waitTimeout * 1000
  for (;;) {
    const claimed = await claim(io, name, opts)
    if (!('busy' in claimed)) return claimed
    if (!opts.wait || opts.dryRun) throw busyError(name, claimed.busy)
    await waitForRun(io, out, name, claimed.busy, deadline, opts.waitTimeout)
  }
}
