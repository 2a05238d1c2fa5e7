import { OperationError } from '../errors.ts'
import type { K3dCluster } from '../k3d.ts'
import { K3dError } from '../k3d.ts'
import type { OperationOf } from './args.ts'
import type { Context } from './context.ts'
import { requireK3dCluster } from './lookup.ts'

/** The other running k3d cluster mapping PORT (a stopped one holds nothing), from the same list call. */
function clusterHolding(port: number, self: string, all: readonly K3dCluster[]): K3dCluster | null {
  return all.find((c) => c.name !== self && c.running && c.hostPorts.includes(port)) ?? null
}

export function portHolder(port: number, self: string, all: readonly K3dCluster[]): string {
  const other = clusterHolding(port, self, all)
  return other ? `k3d cluster '${other.name}' (running)` : `another program (see: lsof -i :${port})`
}

function portBlocked(err: K3dError, cluster: K3dCluster, all: readonly K3dCluster[]): OperationError {
  const named = err.port
  const shared = cluster.hostPorts.filter((p) => clusterHolding(p, cluster.name, all))
  const ports = named !== null ? [named] : shared
  if (ports.length === 0) return new OperationError(`cannot start cluster '${cluster.name}': one of its ports (${cluster.hostPorts.join(', ')}) is in use`, 'see: lsof -i :PORT')
  const why = ports.map((p) => `port ${p} is held by ${portHolder(p, cluster.name, all)}`).join('; ')
  const blockers = [...new Set(ports.map((p) => clusterHolding(p, cluster.name, all)?.name).filter((n) => n !== undefined))]
  const hint = blockers.length > 0 ? `stop it first: cluster-manager stop ${blockers.join(' / ')}` : 'free the port, then start again'
  return new OperationError(`cannot start cluster '${cluster.name}': ${why}`, hint)
}

const fullyRunning = (c: K3dCluster) => c.running && c.agentsRunning === c.agentsCount
const fullyStopped = (c: K3dCluster) => c.serversRunning === 0 && c.agentsRunning === 0

/** `start NAME` / `stop NAME`: the cluster must exist; a stopped cluster keeps its ports. */
export async function run(ctx: Context, op: OperationOf<'start' | 'stop'>): Promise<void> {
  const { cluster, all } = await requireK3dCluster(ctx, op.name)
  const starting = op.kind === 'start'
  if (starting ? fullyRunning(cluster) : fullyStopped(cluster)) return ctx.out.success(`Cluster '${op.name}' is already ${starting ? 'running' : 'stopped'}`)
  try {
    if (starting) await ctx.out.step(`Starting cluster '${op.name}'`, () => ctx.k3d.start(op.name))
    else await ctx.out.step(`Stopping cluster '${op.name}'`, () => ctx.k3d.stop(op.name))
  } catch (err) {
    if (starting && err instanceof K3dError && err.kind === 'port-conflict') throw portBlocked(err, cluster, all)
    throw err
  }
  ctx.out.success(`Cluster '${op.name}' ${starting ? 'started' : 'stopped'}`)
}
