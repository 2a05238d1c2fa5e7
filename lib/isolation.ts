import { UsageError } from './errors.ts'
import type { Identity } from './identity.ts'
import { nameFor, worktreeNameFor } from './identity.ts'

/**
 * Which personal cluster a bootstrap makes: one per git identity (the old script's, the default)
 * or one per work tree of that identity (`--worktree`): several agents of one developer in
 * parallel work trees then get a cluster each.
 */
export const ISOLATIONS = ['identity', 'worktree'] as const
export type Isolation = (typeof ISOLATIONS)[number]

/** The environment variable that sets the isolation (like the old script's SHARE_CLUSTER). */
export const ISOLATION_ENV = 'CLUSTER_ISOLATION'

export function parseIsolation(value: unknown, source: string): Isolation {
  if (typeof value === 'string' && (ISOLATIONS as readonly string[]).includes(value)) return value as Isolation
  throw new UsageError(`${source}: expected ${ISOLATIONS.map((i) => `"${i}"`).join(' or ')}, got ${JSON.stringify(value)}`)
}

/**
 * Pure: the isolation in force. The command line wins (`--worktree`, `--no-worktree`), then
 * CLUSTER_ISOLATION, then `"isolation"` of multi-cluster.config.json, else per identity.
 */
export function isolationOf(flag: boolean | undefined, env: NodeJS.ProcessEnv, configured: Isolation | undefined): Isolation {
  if (flag !== undefined) return flag ? 'worktree' : 'identity'
  const fromEnv = env[ISOLATION_ENV]
  if (fromEnv !== undefined && fromEnv !== '') return parseIsolation(fromEnv, ISOLATION_ENV)
  return configured ?? 'identity'
}

/**
 * The cluster name a bootstrap of IDENTITY makes: the shared one (one per repository, whatever the
 * isolation: agents of every work tree meet there), else the personal one of the isolation.
 */
export function clusterNameOf(identity: Identity, shared: boolean, isolation: Isolation): string {
  if (!shared && isolation === 'worktree') return worktreeNameFor(identity)
  return nameFor(identity, shared)
}
