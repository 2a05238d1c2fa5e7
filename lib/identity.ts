import path from 'node:path'
import { md5Prefix } from './hash.ts'
import { clusterName, repoSlug, userSlug, worktreeClusterName } from './names.ts'
import { OperationError } from './errors.ts'
import type { Runner } from './proc.ts'
import { run as realRun } from './proc.ts'

export const UNKNOWN_EMAIL = 'unknown@example.com'

/** What git says about the working directory, before any cleaning. */
export interface GitFacts {
  topLevel: string
  remoteUrl: string | null
  userName: string | null
  email: string | null
}

export interface Identity {
  repository: string // cleaned repository name
  user: string // cleaned, at most 10 characters
  developer: string // user.name as configured
  email: string // as configured, or unknown@example.com
  emailHash: string
  emailConfigured: boolean
  topLevel: string
}

/**
 * Repository name from a remote URL in any of git's forms: https://host/o/r.git,
 * ssh://git@host/o/r.git, git@host:o/r.git, a local path; trailing slashes tolerated.
 */
export function repoFromRemote(url: string): string | null {
  const trimmed = url.trim().replace(/[/\\]+$/, '')
  const base = trimmed.split(/[/:\\]/).pop() ?? ''
  const name = base.endsWith('.git') && base !== '.git' ? base.slice(0, -4) : base
  return name === '' ? null : name
}

export function identityFromGit(facts: GitFacts): Identity {
  const rawRepo = (facts.remoteUrl && repoFromRemote(facts.remoteUrl)) || path.basename(facts.topLevel)
  const email = facts.email?.trim() ? facts.email : UNKNOWN_EMAIL
  return {
    repository: repoSlug(rawRepo),
    // The old script's stand-in for a missing name; also for names with no letter we can keep.
    user: userSlug(facts.userName ?? '') || 'unknown',
    developer: facts.userName ?? '',
    email,
    emailHash: md5Prefix(email),
    emailConfigured: !!facts.email?.trim(),
    topLevel: facts.topLevel,
  }
}

export function nameFor(identity: Identity, shared: boolean): string {
  return clusterName({ repository: identity.repository, user: identity.user, emailHash: identity.emailHash, shared })
}

/** The personal cluster of the work tree identity.topLevel (`--worktree`): REPO-USER-HASH-WWWW. */
export function worktreeNameFor(identity: Identity): string {
  return worktreeClusterName({ repository: identity.repository, user: identity.user, emailHash: identity.emailHash }, identity.topLevel)
}

/**
 * Reads the git facts of the repository holding CWD with two git calls, through RUNNER (so an
 * interrupted run kills them like any other child).
 */
export async function readGitFacts(cwd: string, runner: Runner = realRun): Promise<GitFacts> {
  // Both at once (one round of processes, not two); outside a repository the config is not used.
  const [top, cfg] = await Promise.all([
    runner('git', ['rev-parse', '--show-toplevel'], { cwd }),
    runner('git', ['config', '-z', '--get-regexp', '^(remote\\.origin\\.url|user\\.name|user\\.email)$'], { cwd }),
  ])
  if (top.code === 127) throw new OperationError('git is not installed (not on PATH)', 'install git')
  if (top.code !== 0) {
    throw new OperationError(`${cwd} is not inside a git repository`, 'run it from your project (git init, or cd into a clone)')
  }
  const values = new Map<string, string>()
  for (const entry of cfg.stdout.split('\0')) {
    const nl = entry.indexOf('\n')
    if (nl > 0) values.set(entry.slice(0, nl).toLowerCase(), entry.slice(nl + 1))
  }
  return {
    topLevel: top.stdout.trim(),
    remoteUrl: values.get('remote.origin.url') ?? null,
    userName: values.get('user.name') ?? null,
    email: values.get('user.email') ?? null,
  }
}
