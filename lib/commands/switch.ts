import path from 'node:path'
import { clusterViews } from '../clusters.ts'
import { previousCluster, setCurrent, writeWorktreeKubeconfig } from '../current.ts'
import { OperationError, UsageError } from '../errors.ts'
import { requireWritableDirs } from '../fsproblem.ts'
import { howTo } from '../invocation.ts'
import { ensureKubeconfig, exportLine } from '../kubeconfig.ts'
import { workTreeTop } from '../worktree.ts'
import type { OperationOf, ShellSyntax } from './args.ts'
import type { Context } from './context.ts'
import { requireCredentials } from './clusterenv.ts'
import { infoBlock } from './details.ts'
import { requireK3dCluster, resolveActive, snapshot } from './lookup.ts'
import { pick } from './picker.ts'

/** Pure: the line that points SHELL at FILE (fish has its own syntax; the rest are POSIX). */
export function shellLine(shell: ShellSyntax, file: string): string {
  if (shell === 'fish') return `set -gx KUBECONFIG '${file.replace(/[\\']/g, '\\$&')}'`
  return exportLine(file)
}

/** `switch` with no NAME: the picker on a terminal, else the names on stderr and exit 2. */
async function pickName(ctx: Context): Promise<string> {
  const { views } = await snapshot(ctx)
  const existing = views.filter((v) => v.status !== 'missing')
  const terminal = ctx.isTTY && !!process.stderr.isTTY
  if (!terminal || existing.length === 0) {
    const why = existing.length === 0 ? `there are no clusters; create one with '${howTo(ctx.env, 'bootstrap')}'` : 'no terminal to pick one on; name one of:'
    throw new UsageError(['switch needs a cluster name: ' + why, ...existing.map((v) => v.name)].join('\n'))
  }
  return pick(existing.map((v) => ({ name: v.name, current: v.active, note: v.status === 'running' ? '' : v.status })), { input: process.stdin, output: process.stderr })
}

async function targetName(ctx: Context, op: OperationOf<'switch'>, worktree: string | null): Promise<string> {
  if (op.name === null) return pickName(ctx)
  if (op.name !== '-') return op.name
  const previous = await previousCluster(ctx.paths, worktree)
  if (previous) return previous
  throw new OperationError(
    worktree ? `no previous cluster in this work tree (${worktree})` : 'no previous cluster',
    "'switch -' returns to the cluster in use before the last switch here",
  )
}

/**
 * `switch NAME`: (re)writes NAME's kubeconfig in our directory and records NAME as current for
 * this git work tree (when run in one) and globally, and rewrites the work tree's own kubeconfig
 * (lib/current.ts), which MCP servers and agents there follow. `--namespace NS` does all that with
 * NAME's credentials for NS. The default kubeconfig is never touched: the shell follows only when
 * it evals the line.
 */
export async function run(ctx: Context, op: OperationOf<'switch'>): Promise<void> {
  const worktree = await workTreeTop(process.cwd())
  requireWritableDirs(ctx.paths.kubeDir, ctx.paths.configDir)
  const name = await targetName(ctx, op, worktree)
  const [found, before] = await Promise.all([requireK3dCluster(ctx, name), resolveActive(ctx)])
  const admin = await ensureKubeconfig(ctx.k3d, ctx.paths, found.cluster)
  const { written } = admin
  const file = op.namespace ? (await requireCredentials(ctx, name, op.namespace)).file : admin.file
  await setCurrent(ctx.paths, name, { worktree, before: before?.name ?? null, namespace: op.namespace })
  const followed = worktree ? await writeWorktreeKubeconfig(ctx.paths, worktree, file) : null
  const out = ctx.out
  if (!found.cluster.running) out.warn(`cluster '${name}' is stopped; start it with: ${howTo(ctx.env, 'start', name)}`)
  out.success(`Switched to cluster '${name}'${op.namespace ? `, namespace '${op.namespace}'` : ''}`)
  if (op.shell) return out.raw(shellLine(op.syntax, file))
  if (op.verbose) {
    if (written) out.log(`Wrote kubeconfig ${file}`)
    out.log(worktree ? `Recorded for this work tree (${worktree}) and as the default outside work trees` : 'Recorded as the current cluster')
    if (followed) out.log(`This work tree's kubeconfig, which follows its switches: ${followed}`)
    out.line()
    const view = clusterViews([found.cluster], found.meta ? [found.meta] : [], name)[0]!
    for (const line of infoBlock(view, out.c, [], howTo(ctx.env, 'cleanup'))) out.line(line)
    out.line()
  }
  out.line('Run this in your shell:')
  out.line(exportLine(file))
  const inShell = ctx.env.KUBECONFIG
  if (inShell && path.resolve(inShell) !== file && path.resolve(inShell) !== followed) {
    out.warn(`this shell's KUBECONFIG still names ${inShell}; kubectl and 'current' follow it until you run the line above`)
  }
}
