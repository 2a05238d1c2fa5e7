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
