import { which } from 'zx/core'
import { Docker } from './docker.ts'
import { K3d, MIN_K3D_MAJOR } from './k3d.ts'
import type { GitFacts } from './identity.ts'
import type { Runner } from './proc.ts'
import { run as realRun } from './proc.ts'
import { CliError, OperationError } from './errors.ts'

/** One line of `doctor`, and what dev-up-multi checks before it changes anything. */
export interface Check {
  name: string
  ok: boolean
  detail: string // what was found
  fix?: string // one line: what to do when !ok
  required: boolean
}

export async function checkDocker(runner: Runner = realRun): Promise<Check> {
  const why = await new Docker(runner).unreachable()
  return why === null
    ? { name: 'docker', ok: true, detail: 'daemon reachable', required: true }
    : {
        name: 'docker',
        ok: false,
        detail: why,
        fix: why.includes('not installed') ? 'install Docker (Docker Desktop, colima or docker-ce)' : 'start Docker (Docker Desktop, colima or dockerd) and retry',
        required: true,
      }
}

export async function checkK3d(runner: Runner = realRun): Promise<Check & { version?: string }> {
  try {
    const v = await new K3d(runner).version()
    if (v.major < MIN_K3D_MAJOR) {
      return { name: 'k3d', ok: false, detail: `${v.version} is too old`, fix: 'upgrade to k3d v5+ (https://k3d.io)', required: true, version: v.version }
    }
    return { name: 'k3d', ok: true, detail: v.version, required: true, version: v.version }
  } catch (err) {
    return { name: 'k3d', ok: false, detail: (err as Error).message, fix: 'install k3d v5+ (https://k3d.io)', required: true }
  }
}

export async function checkProgram(name: string, fix: string, required: boolean): Promise<Check> {
  const found = await which(name, { nothrow: true })
  return found ? { name, ok: true, detail: found, required } : { name, ok: false, detail: 'not found on PATH', fix, required }
}

export function checkGitIdentity(facts: GitFacts | CliError): Check {
  if (facts instanceof CliError) return { name: 'git identity', ok: false, detail: facts.message, fix: facts.hint, required: true }
  if (!facts.userName?.trim()) {
    return { name: 'git identity', ok: false, detail: 'git user.name is not set', fix: 'git config user.name "Your Name" (and user.email)', required: true }
  }
  const email = facts.email?.trim() ? facts.email : 'no user.email (unknown@example.com will be used)'
  return { name: 'git identity', ok: true, detail: `${facts.userName} <${email}>`, required: true }
}

/** Throws the first failed required check as a one-line error with its fix. */
export function requireAll(checks: readonly Check[]): void {
  const failed = checks.find((c) => c.required && !c.ok)
  if (failed) throw new OperationError(`${failed.name}: ${failed.detail}`, failed.fix)
}
