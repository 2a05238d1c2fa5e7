import os from 'node:os'
import path from 'node:path'

/**
 * Where this tool keeps its files. All derive from HOME so tests can point HOME at a
 * temporary directory. Layout is the old scripts' (spec: Files).
 */
export interface Paths {
  home: string
  configDir: string // ~/.config/threads-agent
  metaDir: string // ~/.config/threads-agent/clusters
  kubeDir: string // ~/.kube/threads-agent
  credentialsDir: string // ~/.kube/threads-agent/credentials (NAME/config-NS: scoped kubeconfigs)
  currentFile: string // ~/.config/threads-agent/current
  previousFile: string // ~/.config/threads-agent/previous
  worktreesDir: string // ~/.config/threads-agent/worktrees (the choice of `switch` per git work tree)
  reservationsDir: string // ~/.config/threads-agent/reservations
  lockDir: string // ~/.config/threads-agent/ports.lock
  defaultKubeconfig: string // ~/.kube/config
}

export function paths(home: string = os.homedir()): Paths {
  const configDir = path.join(home, '.config', 'threads-agent')
  return {
    home,
    configDir,
    metaDir: path.join(configDir, 'clusters'),
    kubeDir: path.join(home, '.kube', 'threads-agent'),
    credentialsDir: path.join(home, '.kube', 'threads-agent', 'credentials'),
    currentFile: path.join(configDir, 'current'),
    previousFile: path.join(configDir, 'previous'),
    worktreesDir: path.join(configDir, 'worktrees'),
    reservationsDir: path.join(configDir, 'reservations'),
    lockDir: path.join(configDir, 'ports.lock'),
    defaultKubeconfig: path.join(home, '.kube', 'config'),
  }
}

/** Callers must validate NAME (names.ts) before it reaches these. */
export function kubeconfigPath(p: Paths, name: string): string {
  return path.join(p.kubeDir, `config-${name}`)
}

/**
 * The kubeconfig of NAME's namespace NS (`credentials`): `~/.kube/threads-agent/credentials/NAME/config-NS`.
 * A directory per cluster, not `config-NAME-NS` beside the admin files: names may contain dashes,
 * so `config-a-b` could be cluster `a-b` or cluster `a`'s namespace `b`. Nothing that lists
 * `config-*` in ~/.kube/threads-agent (current, cleanup, delete, completion) can mistake one for a
 * cluster, and deleting a cluster removes its directory. Callers must validate NAME and NS first.
 */
export function credentialsPath(p: Paths, name: string, namespace: string): string {
  return path.join(p.credentialsDir, name, `config-${namespace}`)
}
