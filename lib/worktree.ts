import { realpath, stat } from 'node:fs/promises'
import path from 'node:path'

/**
 * The top-level directory of the git work tree holding DIR, found as git finds it (the nearest
 * directory with a `.git` entry: a directory in a clone, a file in a linked work tree or a
 * submodule), with symlinks resolved as `git rev-parse --show-toplevel` prints it. Null outside
 * any work tree. No git process: `current` must stay a few file reads.
 */
export async function workTreeTop(dir: string): Promise<string | null> {
  let at: string
  try {
    at = await realpath(dir)
  } catch {
    return null
  }
  for (;;) {
    if (await hasGitEntry(at)) return at
    const up = path.dirname(at)
    if (up === at) return null
    at = up
  }
}

async function hasGitEntry(dir: string): Promise<boolean> {
  try {
    const st = await stat(path.join(dir, '.git'))
    return st.isDirectory() || st.isFile()
  } catch {
    return false
  }
}

/** Whether DIR is still a work tree's top level (for pruning choices of removed work trees). */
export async function isWorkTreeTop(dir: string): Promise<boolean> {
  return hasGitEntry(dir)
}
