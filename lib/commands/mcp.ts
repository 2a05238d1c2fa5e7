import path from 'node:path'
import fs from 'node:fs/promises'
import { loadConfig } from '../config.ts'
import type { ProjectConfig } from '../config.ts'
import { gitConfigReader, resolveCurrent } from '../current.ts'
import { OperationError } from '../errors.ts'
import { readIfExists, writeFileAtomic } from '../fsutil.ts'
import { readGitFacts } from '../identity.ts'
import { howTo } from '../invocation.ts'
import { kubeconfigPath } from '../paths.ts'
import type { OperationOf } from './args.ts'
import type { Context } from './context.ts'

export const MCP_FILE = '.mcp.json'
type Json = Record<string, unknown>

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Pure: the .mcp.json document with `mcpServers.kubernetes` pointing at KUBECONFIG. Every
 * other server and key, and the kubernetes entry's own other keys and env, are kept.
 */
export function mergeMcp(doc: Json, server: { command: string; args: string[] }, kubeconfig: string): Json {
  const servers = isObject(doc.mcpServers) ? doc.mcpServers : {}
  const current = isObject(servers.kubernetes) ? servers.kubernetes : {}
  const env = isObject(current.env) ? current.env : {}
  return {
    ...doc,
    mcpServers: { ...servers, kubernetes: { ...current, command: server.command, args: server.args, env: { ...env, KUBECONFIG: kubeconfig } } },
  }
}

/**
 * Writes or merges .mcp.json at the repository root TOPLEVEL, for cluster NAME (default: the
 * current cluster).
 */
export async function setupMcp(
  ctx: Context,
  project: { topLevel: string; config: ProjectConfig; name?: string },
): Promise<{ file: string; changed: boolean; kubeconfig: string }> {
  const { topLevel, config } = project
  const current = project.name ? null : await resolveCurrent(ctx.paths, ctx.env, { git: gitConfigReader(ctx.runner) })
  const cluster = project.name ?? current?.name
  if (!cluster) {
    const why = current && current.name === null ? `: $KUBECONFIG (${current.file}) selects context '${current.context}', which is not managed here` : ''
    throw new OperationError(`no current cluster for the MCP server${why}`, `run ${howTo(ctx.env, 'switch', 'NAME')} (or ${howTo(ctx.env, 'bootstrap')}) first`)
  }
  const kubeconfig = kubeconfigPath(ctx.paths, cluster)
  if ((await readIfExists(kubeconfig)) === null) {
    throw new OperationError(`the kubeconfig of '${cluster}' is missing (${kubeconfig})`, `run ${howTo(ctx.env, 'switch', cluster)}`)
  }
  const file = path.join(topLevel, MCP_FILE)
  const before = await readIfExists(file)
  let doc: Json = {}
  if (before !== null) {
    let parsed: unknown
    try {
      parsed = JSON.parse(before)
    } catch (err) {
      throw new OperationError(`${file} is not valid JSON (${(err as Error).message}); it was left as it is`, 'fix or remove it, then run mcp-setup again')
    }
    if (!isObject(parsed)) throw new OperationError(`${file} is not a JSON object; it was left as it is`, 'fix or remove it, then run mcp-setup again')
    doc = parsed
  }
  const after = `${JSON.stringify(mergeMcp(doc, config.mcpServer, kubeconfig), null, 2)}\n`
  if (before !== null && JSON.stringify(JSON.parse(before)) === JSON.stringify(JSON.parse(after))) return { file, changed: false, kubeconfig }
  // A file that is there keeps its mode (it may hold other servers' tokens) and its symlink.
  const target = before === null ? file : await fs.realpath(file)
  const mode = before === null ? 0o644 : (await fs.stat(target)).mode & 0o777
  await writeFileAtomic(target, after, mode, false)
  return { file, changed: true, kubeconfig }
}

/** `mcp-setup`: the MCP Kubernetes server of this repository follows the current cluster. */
export async function run(ctx: Context, _op: OperationOf<'mcp-setup'>): Promise<void> {
  const { topLevel } = await readGitFacts(process.cwd(), ctx.runner)
  const r = await setupMcp(ctx, { topLevel, config: await loadConfig(topLevel, ctx.env) })
  if (r.changed) ctx.out.success(`${r.file}: mcpServers.kubernetes uses KUBECONFIG=${r.kubeconfig}`)
  else ctx.out.success(`${r.file} already points the kubernetes server at ${r.kubeconfig}`)
}
