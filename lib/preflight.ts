import { which } from 'zx/core'
import fs from 'node:fs/promises'
import path from 'node:path'
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

/**
 * Why DIR cannot be written to (or created), in one line with its fix; null when it can. Walks
 * up to the nearest existing path: a file where a directory belongs, or a directory we may
 * not write in, is named.
 */
export async function dirProblem(dir: string): Promise<{ message: string; fix: string } | null> {
  for (let p = dir; ; p = path.dirname(p)) {
    let st: Awaited<ReturnType<typeof fs.stat>> | null
    try {
      st = await fs.stat(p)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if ((code === 'ENOENT' || code === 'ENOTDIR') && path.dirname(p) !== p) continue
      return { message: `${p} cannot be used (${code})`, fix: `check the path ${p}` }
    }
    if (!st.isDirectory()) return { message: `${p} is a file where a directory belongs`, fix: `move it away (mv "${p}" "${p}.bak"), then run this again` }
    const writable = await fs.access(p, fs.constants.W_OK | fs.constants.X_OK).then(() => true, () => false)
    return writable ? null : { message: `${p} is not writable`, fix: `fix its permissions (chmod u+rwx "${p}") or its owner` }
  }
}

/** Throws when one of FILES (paths the run will write) is a directory: named, with the fix, before anything is made. */
export async function requireFileSlots(files: readonly string[]): Promise<void> {
  for (const file of files) {
    if ((await fs.lstat(file).catch(() => null))?.isDirectory()) {
      throw new OperationError(`${file} is a directory where a file belongs`, `move it away (mv "${file}" "${file}.bak"), then run this again`)
    }
  }
}

/** Throws the first of DIRS that cannot be written, before anything is created in any of them. */
export async function requireWritableDirs(dirs: readonly string[]): Promise<void> {
  const problems = await Promise.all(dirs.map(dirProblem))
  const first = problems.find((p) => p !== null)
  if (first) throw new OperationError(first.message, first.fix)
}
