import { md5Prefix } from './hash.ts'
import { UsageError } from './errors.ts'

/** k3d's DefaultClusterNameMaxLength. */
export const K3D_NAME_MAX = 32
const EMAIL_HASH_LENGTH = 6
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
  const repoPart = repo.length <= room ? repo : `${trimDashes(repo.slice(0, room - 5))}-${md5Prefix(p.repository, 4)}`
  return `${repoPart}-${user}-${p.emailHash}`
}
