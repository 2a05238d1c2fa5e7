import { CliError, OperationError } from '../errors.ts'
import { howTo } from '../invocation.ts'
import type { K3dCluster } from '../k3d.ts'
import { K3dError } from '../k3d.ts'
import type { OperationOf } from './args.ts'
import type { Context } from './context.ts'
import { knownNames, notFound } from './lookup.ts'

/** The other running k3d cluster mapping PORT (a stopped one holds nothing), from the same list call. */
function clusterHolding(port: number, self: string, all: readonly K3dCluster[]): K3dCluster | null {
  return all.find((c) => c.name !== self && c.running && c.hostPorts.includes(port)) ?? null
}

export function portHolder(port: number, self: string, all: readonly K3dCluster[]): string {
  const other = clusterHolding(port, self, all)
  return other ? `k3d cluster '${other.name}' (running)` : `another program (see: lsof -i :${port})`
}

function portBlocked(env: NodeJS.ProcessEnv, err: K3dError, cluster: K3dCluster, all: readonly K3dCluster[]): OperationError {
  const named = err.port
  const shared = cluster.hostPorts.filter((p) => clusterHolding(p, cluster.name, all))
  const ports = named !== null ? [named] : shared
  if (ports.length === 0) return new OperationError(`cannot start cluster '${cluster.name}': one of its ports (${cluster.hostPorts.join(', ')}) is in use`, 'see: lsof -i :PORT')
  const why = ports.map((p) => `port ${p} is held by ${portHolder(p, cluster.name, all)}`).join('; ')
  const blockers = [...new Set(ports.map((p) => clusterHolding(p, cluster.name, all)?.name).filter((n) => n !== undefined))]
  const hint = blockers.length > 0 ? `stop it first: ${howTo(env, 'stop', ...blockers)}` : 'free the port, then start again'
  return new OperationError(`cannot start cluster '${cluster.name}': ${why}`, hint)
}

const fullyRunning = (c: K3dCluster) => c.running && c.agentsRunning === c.agentsCount
const fullyStopped = (c: K3dCluster) => c.serversRunning === 0 && c.agentsRunning === 0

async function startOrStop(ctx: Context, kind: 'start' | 'stop', cluster: K3dCluster, all: readonly K3dCluster[]): Promise<void> {
  const starting = kind === 'start'
  const { name } = cluster
  if (starting ? fullyRunning(cluster) : fullyStopped(cluster)) return ctx.out.success(`Cluster '${name}' is already ${starting ? 'running' : 'stopped'}`)
  try {
    if (starting) await ctx.out.step(`Starting cluster '${name}'`, () => ctx.k3d.start(name))
    else await ctx.out.step(`Stopping cluster '${name}'`, () => ctx.k3d.stop(name))
  } catch (err) {
    if (starting && err instanceof K3dError && err.kind === 'port-conflict') throw portBlocked(ctx.env, err, cluster, all)
    throw err
  }
  ctx.out.success(`Cluster '${name}' ${starting ? 'started' : 'stopped'}`)
}

/**
 * `start NAME...` / `stop NAME...`: every cluster must exist (checked before any is touched),
 * then one after the other; a stopped cluster keeps its ports.
 */
export async function run(ctx: Context, op: OperationOf<'start' | 'stop'>): Promise<void> {
  const all = await ctx.k3d.list()
  const missing = op.names.filter((n) => !all.some((c) => c.name === n))
  if (missing.length > 0) {
    const known = await knownNames(ctx, all)
    if (missing.length === 1) throw notFound(ctx.env, missing[0]!, known)
    throw new OperationError(`clusters ${missing.map((n) => `'${n}'`).join(', ')} not found; nothing was ${op.kind === 'start' ? 'started' : 'stopped'}`, notFound(ctx.env, '', known).hint)
  }
  for (const [i, name] of op.names.entries()) {
    try {
      await startOrStop(ctx, op.kind, all.find((c) => c.name === name)!, all)
    } catch (err) {
      if (!(err instanceof CliError) || op.names.length === 1 || i === 0) throw err
      throw new OperationError(`${err.message} (done before it: ${op.names.slice(0, i).join(', ')})`, err.hint)
    }
  }
}
