import path from 'node:path'
import { UsageError } from './errors.ts'

/**
 * The MCP Kubernetes servers `mcp-setup` knows, and how each is told its kubeconfig and its
 * safety switch. Every option below is the server's own, read in its README and source:
 *
 * - `mcp-server-kubernetes` (Flux159/mcp-server-kubernetes, npm `mcp-server-kubernetes`, v4):
 *   ADVANCED_README.md "Authentication Options" and src/utils/kubernetes-manager.ts pick the
 *   kubeconfig from KUBECONFIG_YAML > KUBECONFIG_JSON > K8S_SERVER+K8S_TOKEN > in-cluster >
 *   KUBECONFIG_PATH > KUBECONFIG > ~/.kube/config, and hand KUBECONFIG_PATH to every kubectl it
 *   runs as KUBECONFIG (so its kubectl tools read the file anew on each call); K8S_CONTEXT and
 *   K8S_NAMESPACE override the context and the default namespace (a context missing from the file
 *   is only a warning there). "Tool Filtering Modes": ALLOW_ONLY_READONLY_TOOLS=true,
 *   ALLOW_ONLY_NON_DESTRUCTIVE_TOOLS=true (src/index.ts compares with the string "true").
 * - `kubernetes-mcp-server` (containers/kubernetes-mcp-server, npm `kubernetes-mcp-server`, 0.0.x):
 *   README.md "Configuration Options": `--kubeconfig PATH`, `--read-only`, `--disable-destructive`
 *   (no effect with --read-only); pkg/kubernetes/watcher/kubeconfig.go watches the kubeconfig and
 *   reloads on change, re-watching the path after each reload (provider_kubeconfig.go), so a file
 *   replaced by rename is followed.
 */
export const MCP_SERVERS = {
  'mcp-server-kubernetes': { defaultMajor: '4' },
  'kubernetes-mcp-server': { defaultMajor: '0' },
} as const
export type KnownServer = keyof typeof MCP_SERVERS
export const KNOWN_SERVERS = Object.keys(MCP_SERVERS) as KnownServer[]

/** The server of `"mcp"` in multi-cluster.config.json: a known one (major pinned), or a command of the user's. */
export type McpSetting = { server: KnownServer; version: string } | { command: string; args: string[] }

export const DEFAULT_MCP: McpSetting = { server: 'mcp-server-kubernetes', version: MCP_SERVERS['mcp-server-kubernetes'].defaultMajor }

/**
 * The MCP clients whose project file `mcp-setup --client` writes, the key holding the servers, and
 * how each spells the home directory in a path (so the file names no user's home):
 * - claude: Claude Code's project scope `.mcp.json`, `mcpServers`; it expands `${VAR}` and
 *   `${VAR:-default}` in command, args and env (docs: code.claude.com/docs/en/mcp, "Environment
 *   variable expansion in .mcp.json").
 * - cursor: `.cursor/mcp.json`, `mcpServers` (same schema); interpolates `${userHome}`, `${env:NAME}`,
 *   `${workspaceFolder}` in command, args and env (docs: cursor.com/docs/mcp, "Config interpolation").
 * - vscode: `.vscode/mcp.json`, top-level `servers`, each with `"type": "stdio"`; predefined
 *   variables such as `${userHome}` (docs: code.visualstudio.com/docs/copilot/reference/mcp-configuration).
 */
export const MCP_CLIENTS = {
  claude: { file: '.mcp.json', key: 'mcpServers', home: '${HOME}', type: null },
  cursor: { file: path.join('.cursor', 'mcp.json'), key: 'mcpServers', home: '${userHome}', type: null },
  vscode: { file: path.join('.vscode', 'mcp.json'), key: 'servers', home: '${userHome}', type: 'stdio' },
} as const
export type McpClient = keyof typeof MCP_CLIENTS
export const KNOWN_CLIENTS = Object.keys(MCP_CLIENTS) as McpClient[]

/** What the server may do: everything, all but destructive tools, or only read. */
export type McpMode = 'read-write' | 'non-destructive' | 'read-only'

/** The name of our entry under mcpServers / servers. */
export const SERVER_KEY = 'kubernetes'

/** Env variables of the entry that mcp-setup owns: replaced (or dropped) on every run; the others are kept. */
export const OWNED_ENV = ['KUBECONFIG', 'KUBECONFIG_PATH', 'K8S_CONTEXT', 'K8S_NAMESPACE', 'ALLOW_ONLY_READONLY_TOOLS', 'ALLOW_ONLY_NON_DESTRUCTIVE_TOOLS'] as const

type Json = Record<string, unknown>
export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

export function knownServer(name: unknown, source: string): KnownServer {
  if (typeof name === 'string' && Object.hasOwn(MCP_SERVERS, name)) return name as KnownServer
  throw new UsageError(`${source}: unknown MCP server ${JSON.stringify(name)} (known: ${KNOWN_SERVERS.join(', ')}; or give "command" and "args" for another one)`)
}

export function knownClient(name: unknown): McpClient {
  if (typeof name === 'string' && Object.hasOwn(MCP_CLIENTS, name)) return name as McpClient
  throw new UsageError(`unknown MCP client ${JSON.stringify(name)} (known: ${KNOWN_CLIENTS.join(', ')})`)
}

/**
 * Pure: `"mcp"` and the older `"mcpServer"` of the config file → the setting, or a problem line
 * naming the key. `"mcpServer": {"command", "args"}` stays the custom form it always was.
 */
export function parseMcpSetting(o: Record<string, unknown>, problems: string[]): McpSetting | undefined {
  if (o.mcp !== undefined && o.mcpServer !== undefined) {
    problems.push('mcp, mcpServer: give one of them ("mcpServer" is the older spelling of a custom "mcp" command)')
    return undefined
  }
  const key = o.mcp !== undefined ? 'mcp' : 'mcpServer'
  const m = o[key]
  if (m === undefined) return undefined
  const shape = `expected {"server": "${KNOWN_SERVERS.join('" | "')}", "version": "MAJOR"} or {"command": "...", "args": [...]}`
  if (!isObject(m)) {
    problems.push(`${key}: ${shape}`)
    return undefined
  }
  if (key === 'mcp' && m.server !== undefined) {
    const extra = Object.keys(m).filter((k) => k !== 'server' && k !== 'version')
    if (extra.length > 0) problems.push(`mcp.${extra[0]}: unknown key next to "server" (known: server, version)`)
    let server: KnownServer
    try {
      server = knownServer(m.server, 'mcp.server')
    } catch (err) {
      problems.push((err as Error).message)
      return undefined
    }
    const version = m.version === undefined ? MCP_SERVERS[server].defaultMajor : m.version
    if (typeof version !== 'string' || !/^(0|[1-9]\d{0,3})$/.test(version)) {
      problems.push(`mcp.version: expected a major version such as "${MCP_SERVERS[server].defaultMajor}" (a string of digits), got ${JSON.stringify(m.version)}`)
      return undefined
    }
    return extra.length > 0 ? undefined : { server, version }
  }
  const args = m.args ?? []
  if (typeof m.command !== 'string' || m.command.trim() === '' || !Array.isArray(args) || args.some((a) => typeof a !== 'string')) {
    problems.push(`${key}: ${shape}`)
    return undefined
  }
  return { command: m.command, args: args as string[] }
}

/** Where the server's kubeconfig is, and, for one bound to one cluster and namespace, those. */
export interface McpTarget {
  /** The path as written into the client's file (home-relative where the client expands it). */
  kubeconfig: string
  /** Set only when the file holds one cluster for good (scoped credentials): K8S_CONTEXT, K8S_NAMESPACE. */
  context: string | null
  namespace: string | null
}

/** Pure: FILE with the home directory spelled the way CLIENT expands it (other paths unchanged). */
export function clientPath(file: string, home: string, client: McpClient): string {
  const rel = path.relative(home, file)
  if (home === '' || rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return file
  return `${MCP_CLIENTS[client].home}/${rel.split(path.sep).join('/')}`
}

export interface ServerEntry {
  command: string
  args: string[]
  env: Record<string, string>
}

/** A custom command's switch is unknown to us: asking it to be read-only would be a promise we cannot keep. */
export function requireKnownForMode(setting: McpSetting, mode: McpMode): void {
  if (mode === 'read-write' || 'server' in setting) return
  throw new UsageError(
    `--${mode} needs a server whose switch is known: the configured MCP server is the custom command '${setting.command}'`,
    `set "mcp": {"server": "${KNOWN_SERVERS.join('" | "')}"} in multi-cluster.config.json, or put the server's own flag in its "args"`,
  )
}

/** Pure: the command, args and env that start SETTING's server on TARGET in MODE. */
export function serverEntry(setting: McpSetting, target: McpTarget, mode: McpMode): ServerEntry {
  requireKnownForMode(setting, mode)
  if (!('server' in setting)) return { command: setting.command, args: [...setting.args], env: { KUBECONFIG: target.kubeconfig } }
  const pkg = `${setting.server}@${setting.version}`
  if (setting.server === 'kubernetes-mcp-server') {
    const safety = mode === 'read-only' ? ['--read-only'] : mode === 'non-destructive' ? ['--disable-destructive'] : []
    return { command: 'npx', args: ['-y', pkg, '--kubeconfig', target.kubeconfig, ...safety], env: {} }
  }
  const env: Record<string, string> = { KUBECONFIG_PATH: target.kubeconfig, KUBECONFIG: target.kubeconfig }
  if (target.context) env.K8S_CONTEXT = target.context
  if (target.namespace) env.K8S_NAMESPACE = target.namespace
  if (mode === 'read-only') env.ALLOW_ONLY_READONLY_TOOLS = 'true'
  if (mode === 'non-destructive') env.ALLOW_ONLY_NON_DESTRUCTIVE_TOOLS = 'true'
  return { command: 'npx', args: ['-y', pkg], env }
}

/** Pure: the mode an entry written before runs in (so a run without a mode flag keeps it). */
export function modeOf(entry: unknown): McpMode {
  if (!isObject(entry)) return 'read-write'
  const env = isObject(entry.env) ? entry.env : {}
  const args = Array.isArray(entry.args) ? entry.args : []
  if (env.ALLOW_ONLY_READONLY_TOOLS === 'true' || args.includes('--read-only')) return 'read-only'
  if (env.ALLOW_ONLY_NON_DESTRUCTIVE_TOOLS === 'true' || args.includes('--disable-destructive')) return 'non-destructive'
  return 'read-write'
}

/** Pure: the entry under the client's key, or undefined. */
export function existingEntry(doc: Json, client: McpClient): unknown {
  const servers = doc[MCP_CLIENTS[client].key]
  return isObject(servers) ? servers[SERVER_KEY] : undefined
}

/**
 * Pure: DOC with the client's `kubernetes` server set to ENTRY. Every other server and key, and
 * the entry's own other keys and env variables, are kept; the env variables we own are replaced.
 * A servers key that is not an object is not ours to overwrite: an error naming it.
 */
export function mergeServer(doc: Json, client: McpClient, entry: ServerEntry, source: string): Json {
  const { key, type } = MCP_CLIENTS[client]
  if (doc[key] !== undefined && !isObject(doc[key])) throw new UsageError(`${source}: "${key}" is not a JSON object; the file was left as it is`, 'fix or remove it, then run mcp-setup again')
  const servers = (doc[key] ?? {}) as Json
  const current = isObject(servers[SERVER_KEY]) ? (servers[SERVER_KEY] as Json) : {}
  const kept = Object.fromEntries(Object.entries(isObject(current.env) ? current.env : {}).filter(([k]) => !(OWNED_ENV as readonly string[]).includes(k)))
  const env = { ...kept, ...entry.env }
  const next: Json = { ...current, ...(type ? { type } : {}), command: entry.command, args: entry.args }
  if (Object.keys(env).length > 0) next.env = env
  else delete next.env
  return { ...doc, [key]: { ...servers, [SERVER_KEY]: next } }
}
