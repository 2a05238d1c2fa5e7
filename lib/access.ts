import { UsageError } from './errors.ts'

/**
 * Scoped credentials for one namespace of a cluster (`cluster-manager credentials`): a
 * ServiceAccount bound to the built-in ClusterRole `edit` (or `view`) by a RoleBinding in that
 * namespace only, and a token of it from `kubectl create token`. Pure, and free of YAML, so the
 * argument parser can use it.
 */

/** What a token may do in its namespace: the built-in ClusterRole bound there. */
export type Access = 'edit' | 'view'

/** The ServiceAccount (and RoleBinding) of each access, so read-only and read-write credentials of one namespace never share a token. */
export function serviceAccountOf(access: Access): string {
  return `threads-agent-${access}`
}

/** Token lifetimes the API server accepts (ValidateTokenRequest: at least 10 minutes, at most 2^32 seconds). */
export const MIN_TOKEN_SECONDS = 600
export const MAX_TOKEN_SECONDS = 2 ** 32
export const DEFAULT_TOKEN_DURATION = '24h'

const UNIT_SECONDS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 }

/**
 * Pure: `--duration` as kubectl reads it (Go's time.ParseDuration: `90m`, `24h`, `1h30m`) → whole
 * seconds, within what the API server accepts. Anything else is a usage error, before any call.
 */
export function parseTokenDuration(text: string): number {
  const usage = (why: string) => new UsageError(`--duration ${JSON.stringify(text)}: ${why}`, 'give a number and a unit, e.g. 90m, 24h, 168h (a week)')
  if (!/^((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$/.test(text)) throw usage('not a duration')
  let seconds = 0
  for (const m of text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) seconds += Number(m[1]) * UNIT_SECONDS[m[2]!]!
  seconds = Math.round(seconds * 1e9) / 1e9
  if (!Number.isInteger(seconds)) throw usage('a token lives whole seconds (kubectl: "cannot be expressed in units less than seconds")')
  if (seconds < MIN_TOKEN_SECONDS) throw usage('shorter than the 10 minutes Kubernetes allows a token')
  if (seconds > MAX_TOKEN_SECONDS) throw usage('longer than the 2^32 seconds Kubernetes allows a token')
  return seconds
}

/**
 * Pure: the Namespace, ServiceAccount and RoleBinding as one List for `kubectl apply -f -`: the
 * objects `kubectl create namespace|serviceaccount|rolebinding ... --dry-run=client -o yaml`
 * print, applied in one call instead of three pipes, and as idempotent (JSON is YAML).
 */
export function accessManifest(namespace: string, access: Access): string {
  const sa = serviceAccountOf(access)
  const rbac = 'rbac.authorization.k8s.io'
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace } },
      {
        apiVersion: `${rbac}/v1`,
        kind: 'RoleBinding',
        metadata: { name: sa, namespace },
        roleRef: { apiGroup: rbac, kind: 'ClusterRole', name: access },
        subjects: [{ kind: 'ServiceAccount', name: sa, namespace }],
      },
    ],
  })
}

/** Pure: when a service account token (a JWT) expires, from its `exp` claim; null when it has none. */
export function tokenExpiry(token: string): Date | null {
  const payload = token.split('.')[1]
  if (!payload) return null
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp
    return typeof exp === 'number' ? new Date(exp * 1000) : null
  } catch {
    return null
  }
}

