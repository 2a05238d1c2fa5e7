import path from 'node:path'
import { readIfExists, writeFileAtomic, removeIfExists } from './fsutil.ts'
import { clusterOfContext, currentContext } from './kubeconfig.ts'
import { k3dNameProblem } from './names.ts'
import type { Paths } from './paths.ts'

/** NAME when FILE is one of our kubeconfigs (`~/.kube/threads-agent/config-NAME`). */
export function clusterOfKubeconfigPath(p: Paths, file: string): string | null {
  const resolved = path.resolve(file)
  if (path.dirname(resolved) !== p.kubeDir) return null
  const base = path.basename(resolved)
  if (!base.startsWith('config-')) return null
  const name = base.slice('config-'.length)
  return k3dNameProblem(name) === null ? name : null
}

async function readPointer(file: string): Promise<string | null> {
  const name = (await readIfExists(file))?.trim() ?? ''
  return name !== '' && k3dNameProblem(name) === null ? name : null
}

/**
 * The active cluster (spec: Behaviour, current): the one $KUBECONFIG points at (a file of
 * ours, or a kubeconfig whose current-context is k3d-NAME), else the pointer that `switch`
 * writes, else none. Reads at most the kubeconfig files named and one small file.
 */
export async function resolveCurrent(p: Paths, env: NodeJS.ProcessEnv = process.env): Promise<{ name: string; source: 'KUBECONFIG' | 'pointer' } | null> {
  const files = (env.KUBECONFIG ?? '').split(path.delimiter).filter((f) => f !== '')
  // kubectl takes the first current-context in $KUBECONFIG's order; one of our files needs
  // no read, its name says which cluster it holds.
  for (const f of files) {
    const ours = clusterOfKubeconfigPath(p, f)
    if (ours) return { name: ours, source: 'KUBECONFIG' }
    const text = await readIfExists(f).catch(() => null)
    const ctx = text === null ? null : currentContext(text)
    if (ctx === null) continue
    const name = clusterOfContext(ctx)
    if (name && k3dNameProblem(name) === null) return { name, source: 'KUBECONFIG' }
    break // the shell's kubeconfig names a context that is not a k3d cluster
  }
  const pointed = await readPointer(p.currentFile)
  return pointed ? { name: pointed, source: 'pointer' } : null
}

/** Records NAME as current, and the one it replaces as previous (for `switch -`). */
export async function setCurrent(p: Paths, name: string): Promise<void> {
  const before = await readPointer(p.currentFile)
  if (before && before !== name) await writeFileAtomic(p.previousFile, `${before}\n`)
  await writeFileAtomic(p.currentFile, `${name}\n`)
}

export async function previousCluster(p: Paths): Promise<string | null> {
  return readPointer(p.previousFile)
}

/** Forgets NAME as current/previous (after `delete`). */
export async function forgetCluster(p: Paths, name: string): Promise<void> {
  if ((await readPointer(p.currentFile)) === name) await removeIfExists(p.currentFile)
  if ((await readPointer(p.previousFile)) === name) await removeIfExists(p.previousFile)
}
