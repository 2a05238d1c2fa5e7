import { accessSync, constants, statSync } from 'node:fs'
import path from 'node:path'
import { OperationError } from './errors.ts'

/** The nearest existing ancestor of P (P itself included), with what it is. */
function nearestExisting(p: string): { at: string; dir: boolean } | null {
  let at = path.resolve(p)
  for (;;) {
    try {
      return { at, dir: statSync(at).isDirectory() }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return null
    }
    const up = path.dirname(at)
    if (up === at) return null
    at = up
  }
}

const notDirectory = (at: string) =>
  new OperationError(`${at} is a file, not a directory, so nothing can be kept in it`, `move it away (mv '${at}' '${at}.bak') and run again`)

const notWritable = (at: string) =>
  new OperationError(`cannot write in ${at} (permission denied or read-only)`, `make it writable by you (chmod u+rwx '${at}'; check its owner with ls -ld '${at}') and run again`)

/**
 * Why DIR cannot be created or written, in one line with the path and the fix, or null when
 * it can: the nearest existing part of DIR must be a directory we may write in.
 */
export function dirProblem(dir: string): OperationError | null {
  const found = nearestExisting(dir)
  if (!found) return null
  if (!found.dir) {
    // A file in the way: name the first path component that is not a directory.
    return notDirectory(found.at)
  }
  try {
    accessSync(found.at, constants.W_OK | constants.X_OK)
  } catch {
    return notWritable(found.at)
  }
  return null
}

/** Throws the first problem of DIRS, before anything is written there. */
export function requireWritableDirs(...dirs: string[]): void {
  for (const dir of dirs) {
    const problem = dirProblem(dir)
    if (problem) throw problem
  }
}

const FS_CODES = new Set(['ENOTDIR', 'EEXIST', 'EACCES', 'EPERM', 'EROFS', 'EISDIR'])

/**
 * A file-system error (ENOTDIR, EEXIST from mkdir over a file, EACCES, EROFS...) as one line
 * with the path in the way and the fix; anything else is returned as it is.
 */
export function explainFsError(err: unknown): unknown {
  const e = err as NodeJS.ErrnoException
  if (!(e instanceof Error) || typeof e.code !== 'string' || !FS_CODES.has(e.code) || typeof e.path !== 'string') return err
  if (e.code === 'EISDIR') return new OperationError(`${e.path} is a directory where a file was expected`, `move it away (mv '${e.path}' '${e.path}.bak') and run again`)
  const target = e.code === 'EEXIST' || e.code === 'ENOTDIR' ? e.path : path.dirname(e.path)
  return dirProblem(target) ?? (e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS' ? notWritable(path.dirname(e.path)) : err)
}
