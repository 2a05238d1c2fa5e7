import path from 'node:path'
import { readIfExists } from './fsutil.ts'
import { UsageError } from './errors.ts'
import type { PortRange } from './ports.ts'
import { DEFAULT_API_RANGE, DEFAULT_LB_RANGE, LOOPBACK, checkRange, parseBindAddress, parseRange } from './ports.ts'
import type { Isolation } from './isolation.ts'
import { parseIsolation } from './isolation.ts'
import type { McpSetting } from './mcp.ts'
import { DEFAULT_MCP, parseMcpSetting } from './mcp.ts'
import { parseRegistrySetting } from './imageregistry.ts'
import type { RegistrySettings } from './imageregistry.ts'
import { k3dOverrideProblems } from './k3dconfig.ts'
import { memoryProblem } from './memory.ts'

export const CONFIG_FILE = 'multi-cluster.config.json'

/** The project's settings; the defaults reproduce dev-up-multi.sh. */
export interface ProjectConfig {
  images: string[] // `{tag}` is replaced by --tag / TAG
  servers: number
  agents: number
  k3sArgs: string[]
  lbPortRange: PortRange
  apiPortRange: PortRange
  deploy: string | null // shell command dev-start-multi runs with KUBECONFIG set
  /** The MCP server mcp-setup configures ("mcp", or the older custom "mcpServer"). */
  mcp: McpSetting
  /** Personal clusters per git identity, or per work tree ("isolation"; CLUSTER_ISOLATION and --worktree win). */
  isolation: Isolation | undefined
  /** Host address the clusters' ports are published on: 127.0.0.1 (this machine) unless shared. */
  bindAddress: string
  /** The registry all clusters share, or null (images are then imported into each cluster). */
  registry: RegistrySettings | null
  /** Memory limits of each server and agent node (docker sizes: `512m`, `1g`), or null. */
  memory: { servers?: string; agents?: string } | null
  /** Keys merged into the k3d config document (k3d.io/v1alpha5 Simple), or null. */
  k3d: Record<string, unknown> | null
}

export const DEFAULT_CONFIG: ProjectConfig = {
  images: [
    'ghcr.io/threads-agent-stack/orchestrator:{tag}',
    'ghcr.io/threads-agent-stack/celery-worker:{tag}',
    'ghcr.io/threads-agent-stack/persona-runtime:{tag}',
    'ghcr.io/threads-agent-stack/fake-threads:{tag}',
    'bitnami/postgresql:16',
    'rabbitmq:3.13-management-alpine',
    'qdrant/qdrant:v1.9.4',
  ],
  servers: 1,
  agents: 2,
  k3sArgs: ['--tls-san=localhost@server:*', '--disable=traefik@server:*'],
  lbPortRange: DEFAULT_LB_RANGE,
  apiPortRange: DEFAULT_API_RANGE,
  deploy: null,
  mcp: DEFAULT_MCP,
  isolation: undefined,
  bindAddress: LOOPBACK,
  registry: null,
  memory: null,
  k3d: null,
}

const KEYS = [
  'images', 'servers', 'agents', 'k3sArgs', 'lbPortRange', 'apiPortRange', 'deploy', 'mcp', 'mcpServer', 'isolation',
  'bind_address', 'registry', 'memory', 'k3d', '$schema', 'description',
]

type Problem = string

function stringList(v: unknown, key: string, problems: Problem[]): string[] | undefined {
  if (v === undefined) return undefined
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x.trim() === '')) {
    problems.push(`${key}: expected an array of non-empty strings`)
    return undefined
  }
  return v as string[]
}

function count(v: unknown, key: string, min: number, max: number, problems: Problem[]): number | undefined {
  if (v === undefined) return undefined
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    problems.push(`${key}: expected a whole number from ${min} to ${max}`)
    return undefined
  }
  return v
}

/** PARSE(V), or undefined when V is absent; what PARSE throws becomes a problem (its message names the key). */
function parsed<T>(v: unknown, problems: Problem[], parse: (v: unknown) => T): T | undefined {
  if (v === undefined) return undefined
  try {
    return parse(v)
  } catch (err) {
    problems.push((err as Error).message)
    return undefined
  }
}

function range(v: unknown, key: string, problems: Problem[]): PortRange | undefined {
  return parsed(v, problems, (x) => {
    if (typeof x === 'string') return parseRange(x, key)
    const { start, end } = (typeof x === 'object' && x !== null && !Array.isArray(x) ? x : {}) as Record<string, unknown>
    if (typeof start === 'number' && typeof end === 'number') return checkRange({ start, end }, key)
    throw new Error(`${key}: expected "START-END" or {"start": N, "end": N}`)
  })
}

const isolation = (v: unknown, problems: Problem[]): Isolation | undefined => parsed(v, problems, (x) => parseIsolation(x, 'isolation'))

/** `"bind_address"`: an IPv4 address of this host. */
const bindAddress = (v: unknown, problems: Problem[]): string | undefined =>
  parsed(v, problems, (x) => {
    if (typeof x !== 'string') throw new Error('bind_address: expected an address such as "127.0.0.1" or "0.0.0.0"')
    return parseBindAddress(x, 'bind_address')
  })

/** `"memory"`: one size for every node, or `{"servers": ..., "agents": ...}` (k3d's --servers-memory/--agents-memory). */
function memory(v: unknown, problems: Problem[]): ProjectConfig['memory'] | undefined {
  if (v === undefined || v === null) return undefined
  const check = (key: string, size: unknown) => {
    const problem = typeof size === 'string' ? memoryProblem(size) : 'expected a size such as "512m" or "1g"'
    if (problem) problems.push(`${key}: ${problem}`)
    return problem ? undefined : (size as string)
  }
  if (typeof v === 'string') {
    const size = check('memory', v)
    return size ? { servers: size, agents: size } : undefined
  }
  if (typeof v !== 'object' || Array.isArray(v)) {
    problems.push('memory: expected a size such as "1g", or {"servers": "1g", "agents": "512m"}')
    return undefined
  }
  const o = v as Record<string, unknown>
  for (const k of Object.keys(o)) if (k !== 'servers' && k !== 'agents') problems.push(`memory.${k}: unknown key (known: servers, agents)`)
  const out: NonNullable<ProjectConfig['memory']> = {}
  if (o.servers !== undefined) out.servers = check('memory.servers', o.servers)
  if (o.agents !== undefined) out.agents = check('memory.agents', o.agents)
  return out
}

/** `"k3d"`: keys merged into the k3d config document; k3dconfig.ts says which are allowed. */
function k3dOverride(v: unknown, registry: RegistrySettings | null | undefined, problems: Problem[]): Record<string, unknown> | undefined {
  if (v === undefined || v === null) return undefined
  const found = k3dOverrideProblems(v)
  const registries = (v as { registries?: { config?: unknown } }).registries
  if (found.length === 0 && registry?.proxy && registries?.config !== undefined) {
    found.push('k3d.registries.config: set by this tool while "registry" caches a remote registry (its mirror is written there)')
  }
  problems.push(...found)
  return found.length === 0 ? (v as Record<string, unknown>) : undefined
}

/** Validates a parsed config file; every problem is reported, one line each, with its key. */
export function parseConfig(data: unknown, source: string): ProjectConfig {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new UsageError(`${source}: expected a JSON object`)
  const o = data as Record<string, unknown>
  const problems: Problem[] = []
  for (const key of Object.keys(o)) if (!KEYS.includes(key)) problems.push(`${key}: unknown key (known: ${KEYS.filter((k) => !k.startsWith('$') && k !== 'description').join(', ')})`)
  const images = stringList(o.images, 'images', problems)
  const servers = count(o.servers, 'servers', 1, 9, problems)
  const agents = count(o.agents, 'agents', 0, 20, problems)
  const k3sArgs = stringList(o.k3sArgs, 'k3sArgs', problems)
  const lbPortRange = range(o.lbPortRange, 'lbPortRange', problems)
  const apiPortRange = range(o.apiPortRange, 'apiPortRange', problems)
  let deploy: string | null | undefined
  if (o.deploy !== undefined) {
    if (o.deploy === null || (typeof o.deploy === 'string' && o.deploy.trim() !== '')) deploy = o.deploy as string | null
    else problems.push('deploy: expected a shell command (non-empty string) or null')
  }
  const mcp = parseMcpSetting(o, problems)
  const isolated = isolation(o.isolation, problems)
  const bind = bindAddress(o.bind_address, problems)
  const registry = parseRegistrySetting(o.registry, problems)
  const mem = memory(o.memory, problems)
  const k3d = k3dOverride(o.k3d, registry, problems)
  if (problems.length > 0) {
    throw new UsageError(`${source}: ${problems.join('; ')}`)
  }
  return {
    images: images ?? DEFAULT_CONFIG.images,
    servers: servers ?? DEFAULT_CONFIG.servers,
    agents: agents ?? DEFAULT_CONFIG.agents,
    k3sArgs: k3sArgs ?? DEFAULT_CONFIG.k3sArgs,
    lbPortRange: lbPortRange ?? DEFAULT_CONFIG.lbPortRange,
    apiPortRange: apiPortRange ?? DEFAULT_CONFIG.apiPortRange,
    deploy: deploy === undefined ? DEFAULT_CONFIG.deploy : deploy,
    mcp: mcp ?? DEFAULT_CONFIG.mcp,
    isolation: isolated,
    bindAddress: bind ?? DEFAULT_CONFIG.bindAddress,
    registry: registry ?? DEFAULT_CONFIG.registry,
    memory: mem ?? DEFAULT_CONFIG.memory,
    k3d: k3d ?? DEFAULT_CONFIG.k3d,
  }
}

/**
 * The config of the repository at TOP (defaults when it has none), with the port-range
 * environment variables applied last, as the old script's env defaults were.
 */
export async function loadConfig(top: string, env: NodeJS.ProcessEnv = process.env): Promise<ProjectConfig> {
  const file = path.join(top, CONFIG_FILE)
  const text = await readIfExists(file).catch((err: NodeJS.ErrnoException) => {
    const what = err.code === 'EISDIR' ? 'is a directory, not a JSON file' : `cannot be read (${err.code ?? err.message})`
    throw new UsageError(`${file} ${what}`, `make ${CONFIG_FILE} a JSON file, or remove it to use the defaults`)
  })
  let config = DEFAULT_CONFIG
  if (text !== null) {
    let data: unknown
    try {
      data = JSON.parse(text)
    } catch (err) {
      throw new UsageError(`${file}: not valid JSON (${(err as Error).message})`)
    }
    config = parseConfig(data, file)
  }
  const lb = env.LB_PORT_RANGE ? parseRange(env.LB_PORT_RANGE, 'LB_PORT_RANGE') : config.lbPortRange
  const api = env.API_PORT_RANGE ? parseRange(env.API_PORT_RANGE, 'API_PORT_RANGE') : config.apiPortRange
  const bind = env.BIND_ADDRESS ? parseBindAddress(env.BIND_ADDRESS, 'BIND_ADDRESS') : config.bindAddress
  return { ...config, lbPortRange: lb, apiPortRange: api, bindAddress: bind }
}

export function imagesFor(config: ProjectConfig, tag: string): string[] {
  return config.images.map((i) => i.replaceAll('{tag}', tag))
}
