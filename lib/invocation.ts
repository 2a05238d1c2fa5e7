import { accessSync, constants, realpathSync } from 'node:fs'
import path from 'node:path'

/**
 * How the user reached this process, so that every hint names a command they can type where
 * they are: the just recipe when they came through `just` (the justfile exports
 * THREADS_AGENT_JUSTFILE and THREADS_AGENT_JUST_EXE to the scripts), else the script as it
 * can be typed from the working directory (`cluster-manager` when it runs from a directory on
 * PATH, as `npm link` puts it; else its path).
 */
export interface Invocation {
  /** `just`, `npx just` or just's path, plus `--justfile ... --working-directory .` outside the justfile's tree; null without just. */
  just: string | null
  manager: string
  devUp: string
}

export interface InvocationInput {
  env: NodeJS.ProcessEnv
  /** process.argv[1]: the script as the shell found it (a PATH entry for `npm link`'s commands). */
  script: string
  /** The script's real file (symlinks resolved), where its sibling scripts are. */
  realScript: string
  cwd: string
  /** Whether an executable named CMD is in one of PATH's directories. */
  onPath: (cmd: string) => boolean
}

/** Env variables the justfile sets for the scripts; children we start must not inherit them. */
export const JUST_ENV = ['THREADS_AGENT_JUSTFILE', 'THREADS_AGENT_JUST_EXE'] as const

const SAFE = /^[\w@%+=:,./-]+$/
/** POSIX shell quoting, only when needed (hints are pasted into shells). */
export function shellWord(word: string): string {
  return SAFE.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`
}

const inside = (dir: string, p: string) => p === dir || p.startsWith(dir.endsWith(path.sep) ? dir : `${dir}${path.sep}`)

/** FILE as typed from CWD: `./scripts/x.ts` inside it, the absolute path elsewhere. */
function typedPath(file: string, cwd: string): string {
  return shellWord(inside(cwd, file) ? `./${path.relative(cwd, file)}` : file)
}

function pathDirs(env: NodeJS.ProcessEnv): string[] {
  return (env.PATH ?? '').split(path.delimiter).filter((d) => d !== '').map((d) => path.resolve(d))
}

/** Pure: the commands this user can type here. */
export function invocationFrom(input: InvocationInput): Invocation {
  const { env, cwd, onPath } = input
  const script = path.resolve(cwd, input.script)
  const viaPath = !script.endsWith('.ts') && pathDirs(env).includes(path.dirname(script))
  const scripts = path.dirname(path.resolve(cwd, input.realScript))
  const manager = viaPath && onPath('cluster-manager') ? 'cluster-manager' : typedPath(path.join(scripts, 'cluster-manager.ts'), cwd)
  const devUp = viaPath && onPath('dev-up-multi') ? 'dev-up-multi' : typedPath(path.join(scripts, 'dev-up-multi.ts'), cwd)
  let just: string | null = null
  const justfile = env.THREADS_AGENT_JUSTFILE
  if (justfile) {
    const home = path.dirname(justfile)
    const here = inside(home, cwd)
    const exe = onPath('just') ? 'just' : here ? 'npx just' : shellWord(env.THREADS_AGENT_JUST_EXE || 'just')
    just = here ? exe : `${exe} --justfile ${shellWord(justfile)} --working-directory .`
  }
  return { just, manager, devUp }
}

function onPathIn(env: NodeJS.ProcessEnv): (cmd: string) => boolean {
  return (cmd) =>
    pathDirs(env).some((dir) => {
      try {
        accessSync(path.join(dir, cmd), constants.X_OK)
        return true
      } catch {
        return false
      }
    })
}

function realOr(p: string): string {
  try {
    return realpathSync(p)
  } catch {
    return p
  }
}

/** This process's invocation (env from the caller, so tests and contexts can give their own). */
export function invocation(env: NodeJS.ProcessEnv = process.env): Invocation {
  const script = process.argv[1] ?? 'cluster-manager'
  return invocationFrom({ env, script, realScript: realOr(script), cwd: realOr(process.cwd()), onPath: onPathIn(env) })
}

/** cluster-manager command → the recipe wrapping it. */
const RECIPES: Record<string, string> = {
  list: 'cluster-list',
  switch: 'cluster-switch',
  current: 'cluster-current',
  info: 'cluster-info',
  delete: 'cluster-delete',
  resources: 'cluster-resources',
  start: 'cluster-start',
  stop: 'cluster-stop',
  cleanup: 'cluster-cleanup',
  exec: 'cluster-exec',
  shell: 'cluster-shell',
  credentials: 'cluster-credentials',
  'mcp-setup': 'mcp-setup',
  doctor: 'doctor',
  registry: 'registry',
  'dev-start': 'dev-start-multi',
  bootstrap: 'bootstrap-multi',
}

/**
 * The command line for COMMAND (a cluster-manager command, or `bootstrap` for dev-up-multi)
 * with ARGS, as the user can type it: `just cluster-switch NAME` through just,
 * `./scripts/cluster-manager.ts switch NAME` (or `cluster-manager switch NAME`) otherwise.
 */
export function commandLine(inv: Invocation, command: string, ...args: string[]): string {
  const recipe = RECIPES[command]
  if (inv.just && recipe) return [inv.just, recipe, ...args].join(' ')
  if (inv.just && command === 'help') return `${inv.just} --list`
  if (command === 'bootstrap') return [inv.devUp, ...args].join(' ')
  return [inv.manager, command, ...args].join(' ')
}

/** commandLine for this process. */
export function howTo(env: NodeJS.ProcessEnv, command: string, ...args: string[]): string {
  return commandLine(invocation(env), command, ...args)
}

/** The hint of a usage error: that command's help, as the user can ask for it here. */
export function usageHint(env: NodeJS.ProcessEnv, topic: string | null): string {
  const inv = invocation(env)
  return `run '${topic ? commandLine(inv, topic, '--help') : commandLine(inv, 'help')}' for usage`
}
