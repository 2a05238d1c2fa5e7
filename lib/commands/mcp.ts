import path from 'node:path'
import fs from 'node:fs/promises'
import { loadConfig } from '../config.ts'
import type { ProjectConfig } from '../config.ts'
import { gitConfigReader, resolveCurrent, sourceKubeconfig, writeWorktreeKubeconfig } from '../current.ts'
import { OperationError } from '../errors.ts'
import { readIfExists, writeFileAtomic } from '../fsutil.ts'
import { howTo } from '../invocation.ts'
import { MCP_CLIENTS, clientPath, existingEntry, isObject, mergeServer, modeOf, serverEntry } from '../mcp.ts'
import type { McpClient, McpMode, McpTarget } from '../mcp.ts'
import { workTreeTop } from '../worktree.ts'
import type { OperationOf } from './args.ts'
import { requireCredentials } from './clusterenv.ts'
import type { Context } from './context.ts'
import { fileExists } from './kubeconfigfile.ts'

/** The file Claude Code reads (the default client's). */
export const MCP_FILE = MCP_CLIENTS.claude.file
type Json = Record<string, unknown>

export interface McpOptions {
  client: McpClient
  /** null: keep the mode the entry has (read-write for a new one or a custom command). */
  mode: McpMode | null
  /** Rewrite a file git tracks. */
  force: boolean
  /** Bind the server to NAME's credentials for this namespace instead of the work tree's kubeconfig. */
  namespace: string | null
}

export const DEFAULT_MCP_OPTIONS: McpOptions = { client: 'claude', mode: null, force: false, namespace: null }

export interface McpResult {
  file: string
  /** The file relative to the work tree (.mcp.json, .cursor/mcp.json, .vscode/mcp.json). */
  relative: string
  changed: boolean
  /** The kubeconfig path as the client file spells it, and the file it is. */
  kubeconfig: string
  kubeconfigFile: string
  cluster: string
  mode: McpMode
  server: string
}

/** Pure: the server as people know it (`mcp-server-kubernetes@4`, or the custom command). */
function serverLabel(config: ProjectConfig): string {
  return 'server' in config.mcp ? `${config.mcp.server}@${config.mcp.version}` : [config.mcp.command, ...config.mcp.args].join(' ')
}

async function readClientFile(file: string): Promise<{ before: string | null; doc: Json }> {
  const before = await readIfExists(file)
  if (before === null) return { before, doc: {} }
  let parsed: unknown
  try {
    parsed = JSON.parse(before)
  } catch (err) {
    throw new OperationError(`${file} is not valid JSON (${(err as Error).message}); it was left as it is`, 'fix or remove it, then run mcp-setup again')
  }
  if (!isObject(parsed)) throw new OperationError(`${file} is not a JSON object; it was left as it is`, 'fix or remove it, then run mcp-setup again')
  return { before, doc: parsed }
}

/**
 * The cluster of WORKTREE as `current` resolves it there without the shell's $KUBECONFIG (the
 * MCP server belongs to the work tree, not to one shell), and the namespace it uses.
 */
async function worktreeCluster(ctx: Context, worktree: string): Promise<{ name: string; namespace: string | null }> {
  const env = { ...ctx.env, KUBECONFIG: undefined }
  const current = await resolveCurrent(ctx.paths, env, { cwd: worktree, git: gitConfigReader(ctx.runner) })
  if (!current || current.name === null) {
    throw new OperationError(`no current cluster for the MCP server in ${worktree}`, `run ${howTo(ctx.env, 'switch', 'NAME')} (or ${howTo(ctx.env, 'bootstrap')}) first`)
  }
  const namespace = current.source.kind === 'worktree' ? (current.source.namespace ?? null) : null
  return { name: current.name, namespace }
}

/** Whether git tracks FILE of WORKTREE (no git, or not a repository: not tracked). */
async function tracked(ctx: Context, worktree: string, file: string): Promise<boolean> {
  const r = await ctx.runner('git', ['ls-files', '--error-unmatch', '--', path.relative(worktree, file)], { cwd: worktree })
  return r.code === 0
}

async function ignored(ctx: Context, worktree: string, file: string): Promise<boolean> {
  const r = await ctx.runner('git', ['check-ignore', '-q', '--', path.relative(worktree, file)], { cwd: worktree })
  return r.code !== 1 // 0: ignored; 128 (no git repository, ...): nothing to warn about
}

/**
 * Writes or merges the MCP client file of WORKTREE so that its `kubernetes` server runs on the
 * work tree's own kubeconfig (which `switch` there rewrites: the server follows without a
 * restart and the file does not change), or, with a namespace, on the credentials of that
 * namespace. NAME (dev-start) names the cluster; default: the work tree's current one.
 */
export async function setupMcp(ctx: Context, project: { worktree: string; config: ProjectConfig; name?: string; namespace?: string | null; options?: McpOptions }): Promise<McpResult> {
  const { worktree, config } = project
  const options = project.options ?? DEFAULT_MCP_OPTIONS
  const { client } = options
  const file = path.join(worktree, MCP_CLIENTS[client].file)
  const { before, doc } = await readClientFile(file)
  const here = project.name ? { name: project.name, namespace: project.namespace ?? null } : await worktreeCluster(ctx, worktree)
  const cluster = here.name

  let target: McpTarget
  let kubeconfigFile: string
  if (options.namespace) {
    // One cluster and namespace for good: the credentials themselves, named to the server.
    kubeconfigFile = (await requireCredentials(ctx, cluster, options.namespace)).file
    target = { kubeconfig: clientPath(kubeconfigFile, ctx.paths.home, client), context: `k3d-${cluster}`, namespace: options.namespace }
  } else {
    const source = sourceKubeconfig(ctx.paths, cluster, here.namespace)
    if (here.namespace) await requireCredentials(ctx, cluster, here.namespace)
    else if (!(await fileExists(source))) throw new OperationError(`the kubeconfig of '${cluster}' is missing (${source})`, `run ${howTo(ctx.env, 'switch', cluster)}`)
    kubeconfigFile = await writeWorktreeKubeconfig(ctx.paths, worktree, source)
    target = { kubeconfig: clientPath(kubeconfigFile, ctx.paths.home, client), context: null, namespace: null }
  }

  // No mode asked: the entry keeps the one it has, so dev-start never lifts a --read-only.
  const mode = options.mode ?? ('server' in config.mcp ? modeOf(existingEntry(doc, client)) : 'read-write')
  const after = mergeServer(doc, client, serverEntry(config.mcp, target, mode), file)
  const result: McpResult = { file, relative: MCP_CLIENTS[client].file, changed: false, kubeconfig: target.kubeconfig, kubeconfigFile, cluster, mode, server: serverLabel(config) }
  if (before !== null && JSON.stringify(doc) === JSON.stringify(after)) return result

  const rel = path.relative(worktree, file)
  if (before !== null && !options.force && (await tracked(ctx, worktree, file))) {
    throw new OperationError(
      `${rel} is tracked by git: writing it would commit a path of this machine (${target.kubeconfig}, this work tree's kubeconfig) that no one else has`,
      `keep it out of git (git rm --cached ${rel}, and list it in .gitignore), or pass --force to write it anyway`,
    )
  }
  if (before === null && !(await ignored(ctx, worktree, file))) {
    ctx.out.warn(`${rel} names a kubeconfig of this machine (${target.kubeconfig}); keep it out of commits: add ${rel} to .gitignore`)
  }
  // A file that is there keeps its mode (it may hold other servers' tokens) and its symlink.
  const real = before === null ? file : await fs.realpath(file)
  const fileMode = before === null ? 0o644 : (await fs.stat(real)).mode & 0o777
  if (before === null) await fs.mkdir(path.dirname(file), { recursive: true })
  await writeFileAtomic(real, `${JSON.stringify(after, null, 2)}\n`, fileMode, false)
  return { ...result, changed: true }
}

/** The line that says what the server now runs on. */
export function mcpSummary(r: McpResult, namespace: string | null): string {
  const on = namespace ? `the credentials of namespace '${namespace}' on '${r.cluster}'` : `this work tree's kubeconfig (now '${r.cluster}'; a switch here moves it)`
  return `${r.relative}: the kubernetes server (${r.server}, ${r.mode}) uses ${r.kubeconfig}, ${on}`
}

/** `mcp-setup`: the MCP Kubernetes server of this work tree follows its current cluster. */
export async function run(ctx: Context, op: OperationOf<'mcp-setup'>): Promise<void> {
  const worktree = await workTreeTop(process.cwd())
  if (!worktree) throw new OperationError(`${process.cwd()} is not inside a git repository`, 'run it from your project (git init, or cd into a clone)')
  const config = await loadConfig(worktree, ctx.env)
  const options: McpOptions = { client: op.client, mode: op.mode, force: op.force, namespace: op.namespace }
  const r = await setupMcp(ctx, { worktree, config, options })
  if (r.changed) ctx.out.success(mcpSummary(r, op.namespace))
  else ctx.out.success(`${r.file} already points the kubernetes server at ${r.kubeconfig} (${r.server}, ${r.mode})`)
  const shell = ctx.env.KUBECONFIG
  if (shell && !op.namespace && path.resolve(shell) !== r.kubeconfigFile) {
    const current = await resolveCurrent(ctx.paths, ctx.env, {})
    if (current?.name && current.name !== r.cluster) ctx.out.warn(`this shell's $KUBECONFIG selects '${current.name}'; the MCP server follows this work tree's cluster '${r.cluster}'`)
  }
}
