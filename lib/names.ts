import { md5Prefix } from './hash.ts'
import { UsageError } from './errors.ts'

/** k3d's DefaultClusterNameMaxLength. */
export const K3D_NAME_MAX = 32
const EMAIL_HASH_LENGTH = 6
/** WWWW of a per-work-tree name: 4 hex of md5 of the work tree's real top-level path. */
export const WORKTREE_HASH_LENGTH = 4
/** What a shortened repository part keeps at least: 3 characters, `-`, 4 hex of md5(REPO). */
const MIN_REPO_PART = 3 + 1 + 4
/** k3d validates names as RFC 1123 host names (pkg/client/cluster.go). */
const RFC1123 =
  /^(([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])\.)*([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])$/

/** Why k3d would refuse NAME, in k3d's words, or null when it would accept it. */
export function k3dNameProblem(name: string): string | null {
  if (!RFC1123.test(name)) return `name ${JSON.stringify(name)} is not a valid hostname as per RFC 1123`
  if (name.length > K3D_NAME_MAX) return `name must be <= ${K3D_NAME_MAX} characters, but has ${name.length}`
  return null
}

/**
 * Every NAME from a command line goes through here before it reaches a path or a command:
 * a valid k3d name cannot contain `/`, `..` or spaces, so it is safe as a file name.
 */
export function validateClusterName(name: unknown): string {
  if (typeof name !== 'string' || name === '') throw new UsageError('missing cluster name')
  const problem = k3dNameProblem(name)
  if (problem) throw new UsageError(`invalid cluster name: ${problem}`)
  return name
}

const collapseDashes = (s: string) => s.replace(/-+/g, '-')
const trimDashes = (s: string) => s.replace(/^-+|-+$/g, '')

/** Repository part: lowercased, every character outside [a-z0-9-] becomes `-` (old script). */
export function repoSlug(raw: string): string {
  return Array.from(raw.toLowerCase(), (ch) => (/[a-z0-9-]/.test(ch) ? ch : '-')).join('')
}

/** Removes diacritics: `José` → `Jose`, `Ærø` stays as the letters it cannot fold. */
export function foldAccents(s: string): string {
  return s.normalize('NFKD').replace(/\p{M}/gu, '')
}

/**
 * User part: accents folded, lowercased, outside [a-z0-9] → `-`, runs collapsed, edges
 * trimmed, first 10 characters. For single-spaced ASCII names this is the old
 * `tr | sed 's/[^a-z0-9]/-/g' | cut -c1-10` (`Vitalii Serbyn` → `vitalii-se`).
 */
export function userSlug(raw: string): string {
  const replaced = Array.from(foldAccents(raw).toLowerCase(), (ch) => (/[a-z0-9]/.test(ch) ? ch : '-')).join('')
  return trimDashes(collapseDashes(replaced)).slice(0, 10)
}

export interface NameParts {
  repository: string // repoSlug output
  user: string // userSlug output
  emailHash: string
  shared: boolean
}

/** The name exactly as dev-up-multi.sh built it (`cut -c1-63 | sed 's/-*$//'`). */
export function legacyClusterName(p: NameParts): string {
  const joined = p.shared ? p.repository : `${p.repository}-${p.user}-${p.emailHash}`
  return repoSlug(joined.slice(0, 63)).replace(/-*$/, '')
}

/**
 * The cluster name for an identity. Names the old script produced that k3d accepts are kept
 * byte for byte, so existing clusters are found again. Anything else is made valid:
 * - personal: `REPO-USER-HASH`; when too long the repository part is cut and given a
 *   4-hex md5 of the full repository, so two long repositories with one prefix stay apart;
 *   the user part is at most 10 characters, so the hash suffix is never touched;
 * - shared: `REPO`; longer than 32 → first 25 characters, `-`, 6 hex of md5(REPO).
 */
export function clusterName(p: NameParts): string {
  const legacy = legacyClusterName(p)
  if (k3dNameProblem(legacy) === null) return legacy

  const repo = trimDashes(collapseDashes(p.repository)) || 'repo'
  if (p.shared) {
    if (repo.length <= K3D_NAME_MAX) return repo
    return `${trimDashes(repo.slice(0, 25))}-${md5Prefix(p.repository)}`
  }
  const user = trimDashes(collapseDashes(p.user)) || 'unknown'
  const room = K3D_NAME_MAX - EMAIL_HASH_LENGTH - 1 - user.length - 1 // characters left for the repository
  return `${repoPartIn(repo, p.repository, room)}-${user}-${p.emailHash}`
}

/** Fits REPO into ROOM characters: as is, else its start plus 4 hex of md5 of the whole (two long repositories stay apart). */
function repoPartIn(repo: string, fullRepository: string, room: number): string {
  if (repo.length <= room) return repo
  return `${trimDashes(repo.slice(0, room - 5)) || repo[0]}-${md5Prefix(fullRepository, 4)}`
}

/**
 * A personal cluster of one work tree (`--worktree`): `REPO-USER-HASH-WWWW`, WWWW the first 4 hex
 * of md5 of the work tree's real top-level path (WORKTREE), so two work trees of one identity get
 * two clusters. At most 32 characters: the repository part is shortened first (its start plus 4 hex
 * of its md5, as in clusterName), then the user part; neither the email hash nor WWWW is ever cut.
 * Names without --worktree are clusterName's, untouched.
 */
export function worktreeClusterName(p: Omit<NameParts, 'shared'>, worktree: string): string {
  const suffix = `-${p.emailHash}-${md5Prefix(worktree, WORKTREE_HASH_LENGTH)}`
  const repo = trimDashes(collapseDashes(p.repository)) || 'repo'
  let user = trimDashes(collapseDashes(p.user)) || 'unknown'
  const roomFor = (u: string) => K3D_NAME_MAX - suffix.length - u.length - 1 // characters left for the repository
  // The user part gives way only when the repository part could not keep MIN_REPO_PART.
  if (repo.length > roomFor(user) && roomFor(user) < MIN_REPO_PART) {
    user = trimDashes(user.slice(0, K3D_NAME_MAX - suffix.length - MIN_REPO_PART - 1)) || 'u'
  }
  return `${repoPartIn(repo, p.repository, roomFor(user))}-${user}${suffix}`
}

/** Kubernetes' rule for a namespace name (a DNS-1123 label, apimachinery's IsDNS1123Label). */
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

export function validateNamespace(value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new UsageError('--namespace needs a value: --namespace NS (e.g. --namespace agent-1)')
  if (value.length > 63 || !DNS1123_LABEL.test(value)) {
    throw new UsageError(
      `invalid namespace ${JSON.stringify(value)}: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', start and end with an alphanumeric character, and have at most 63 characters (e.g. 'agent-1')`,
    )
  }
  if (value.startsWith('kube-')) throw new UsageError(`invalid namespace ${JSON.stringify(value)}: names starting with 'kube-' are Kubernetes' own; pick another (e.g. 'agent-1')`)
  return value
}
