import path from 'node:path'
import { readIfExists } from './fsutil.ts'
import { UsageError } from './errors.ts'
import type { PortRange } from './ports.ts'
import { DEFAULT_API_RANGE, DEFAULT_LB_RANGE, checkRange, parseRange } from './ports.ts'
import type { Isolation } from './isolation.ts'
import { parseIsolation } from './isolation.ts'
import type { McpSetting } from './mcp.ts'
import { DEFAULT_MCP, parseMcpSetting } from './mcp.ts'

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
}

const KEYS = ['images', 'servers', 'agents', 'k3sArgs', 'lbPortRange', 'apiPortRange', 'deploy', 'mcp', 'mcpServer', 'isolation', '$schema', 'description']

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

function range(v: unknown, key: string, problems: Problem[]): PortRange | undefined {
  if (v === undefined) return undefined
  try {
    if (typeof v === 'string') return parseRange(v, key)
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const { start, end } = v as Record<string, unknown>
      if (typeof start === 'number' && typeof end === 'number') return checkRange({ start, end }, key)
    }
    problems.push(`${key}: expected "START-END" or {"start": N, "end": N}`)
  } catch (err) {
    problems.push((err as Error).message)
  }
  return undefined
}

function isolation(v: unknown, problems: Problem[]): Isolation | undefined {
  if (v === undefined) return undefined
  try {
    return parseIsolation(v, 'isolation')
  } catch (err) {
    problems.push((err as Error).message)
    return undefined
  }
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
  return { ...config, lbPortRange: lb, apiPortRange: api }
}

export function imagesFor(config: ProjectConfig, tag: string): string[] {
  return config.images.map((i) => i.replaceAll('{tag}', tag))
}
