import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { OperationError } from '../errors.ts'
import { runInteractive } from '../interactive.ts'
import type { OperationOf } from './args.ts'
import { clusterEnv, kubeconfigFor } from './clusterenv.ts'
import type { Context } from './context.ts'

/** How to start SHELL with `(NAME) ` before its prompt: its arguments, extra env, and files to write first. */
export interface ShellLaunch {
  args: string[]
  env: Record<string, string>
  files: Record<string, string> // name in the launch's private directory → content
}

/**
 * Pure: the prompt prefix, the way each shell allows it. bash: an --rcfile that reads ~/.bashrc
 * first; zsh: a ZDOTDIR whose files read the user's own, then prefix PROMPT (as terminal
 * integrations do); fish: wrap fish_prompt after config.fish; any other shell: PS1 in the
 * environment (sh, dash, ksh read it). DIR is the launch's private directory.
 */
export function shellLaunch(shell: string, name: string, env: NodeJS.ProcessEnv, dir: string): ShellLaunch {
  const prefix = `(${name}) ` // a k3d name: no quote or shell special in it
  switch (path.basename(shell)) {
    case 'bash':
      return {
        args: ['--rcfile', path.join(dir, 'bashrc')],
        env: {},
        files: { bashrc: `[ -f "$HOME/.bashrc" ] && . "$HOME/.bashrc"\nPS1="${prefix}\${PS1-\\s-\\v\\$ }"\n` },
      }
    case 'zsh': {
      const user = env.ZDOTDIR || env.HOME || os.homedir()
      const source = (file: string) => `ZDOTDIR=${JSON.stringify(user)}; [[ -f "$ZDOTDIR/${file}" ]] && . "$ZDOTDIR/${file}"; ZDOTDIR=${JSON.stringify(dir)}\n`
      return {
        args: [],
        env: { ZDOTDIR: dir },
        files: {
          '.zshenv': source('.zshenv'),
          '.zprofile': source('.zprofile'),
          '.zshrc': `${source('.zshrc')}PROMPT="${prefix}\${PROMPT}"\nZDOTDIR=${JSON.stringify(user)}\n`,
        },
      }
    }
    case 'fish':
      return {
        args: ['-C', `functions -q fish_prompt; and functions -c fish_prompt __threads_agent_prompt; function fish_prompt; printf '%s' '${prefix}'; functions -q __threads_agent_prompt; and __threads_agent_prompt; end`],
        env: {},
        files: {},
      }
    default:
      return { args: [], env: { PS1: `${prefix}${env.PS1 ?? '$ '}` }, files: {} }
  }
}

/**
 * `shell NAME` (kubie's `shell`): $SHELL with NAME's kubeconfig as its only KUBECONFIG,
 * THREADS_AGENT_CLUSTER=NAME and the prompt marked. A shell inside such a shell is refused:
 * leaving the inner one would silently bring back the outer cluster.
 */
export async function run(ctx: Context, op: OperationOf<'shell'>): Promise<number> {
  const inside = ctx.env.THREADS_AGENT_CLUSTER
  if (inside) {
    throw new OperationError(`this shell already belongs to cluster '${inside}' (THREADS_AGENT_CLUSTER); a shell inside it is not opened`, `type 'exit' to leave it, then open one for '${op.name}'`)
  }
  const file = await kubeconfigFor(ctx, op.name, op.namespace)
  const shell = ctx.env.SHELL || '/bin/sh'
  const dir = await mkdtemp(path.join(os.tmpdir(), 'threads-agent-shell-'))
  try {
    const launch = shellLaunch(shell, op.name, ctx.env, dir)
    for (const [name, content] of Object.entries(launch.files)) await writeFile(path.join(dir, name), content, { mode: 0o600 })
    const scope = op.namespace ? `, namespace '${op.namespace}'` : ''
    ctx.out.note(`Entering ${shell} for cluster '${op.name}'${scope} (KUBECONFIG=${file}); type 'exit' to leave it`)
    const code = await runInteractive(shell, launch.args, { env: { ...clusterEnv(ctx.env, op.name, file), ...launch.env } })
    ctx.out.note(`Left the shell of cluster '${op.name}'`)
    return code
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
