import { OperationError } from './errors.ts'
import type { Runner, RunResult } from './proc.ts'
import { run as realRun } from './proc.ts'
import { isRecord, jsonRecords } from './tooljson.ts'
import { DOCKER_DOWN_HINT, dockerFailure, portConflictLine } from './docker.ts'
import type { SimpleConfig } from './k3dconfig.ts'
import { parseHumanSize } from './memory.ts'
import { privateKubeconfigTarget } from './kubeconfig.ts'

/** What we need of one entry of `k3d cluster list -o json`. */
export interface K3dCluster {
  name: string
  running: boolean // every server running
  serversRunning: number
  serversCount: number
  agentsRunning: number
  agentsCount: number
  lbPort: number | null // host port mapped to the load balancer's 80/tcp
  apiPort: number | null // host port of the Kubernetes API
  /** The host address those two are published on (k3d's `HostIp`): 127.0.0.1, 0.0.0.0, ... */
  lbHostIp: string | null
  apiHostIp: string | null
  hostPorts: number[] // every host port the cluster maps, running or not
  /** Memory limits of its server and agent nodes in bytes (k3d's node `Memory`), null when unlimited. */
  serversMemory: number | null
  agentsMemory: number | null
  /** The docker network k3d made for it. */
  network: string | null
}

export interface CreateSpec {
  name: string
  servers: number
  agents: number
  lbPort: number
  apiPort: number
  k3sArgs: readonly string[]
}

export const MIN_K3D_MAJOR = 5

type Binding = { HostIp?: string; HostPort?: string }
interface RawNode {
  name?: string
  role?: string
  Memory?: string
  Networks?: string[] | null
  State?: { Running?: boolean; Status?: string }
  portMappings?: Record<string, Binding[] | undefined>
  serverOpts?: { kubeAPI?: { Binding?: Binding; Port?: string } }
}
interface RawCluster {
  name?: unknown
  network?: { name?: string }
  nodes?: RawNode[]
  serversRunning?: number
  serversCount?: number
  agentsRunning?: number
  agentsCount?: number
}

const portOf = (b: Binding | undefined): number | null => {
  const n = Number(b?.HostPort)
  return Number.isInteger(n) && n > 0 ? n : null
}

const count = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined)

/**
 * One element of k3d's list as RawCluster with every field of the wrong shape dropped, so that
 * odd JSON (`"nodes": {}`, a null node, a string where bindings belong) reads as absent fields
 * instead of throwing a TypeError further down.
 */
function saneCluster(c: Record<string, unknown>): RawCluster {
  const nodes = (Array.isArray(c.nodes) ? c.nodes : []).filter(isRecord).map((n): RawNode => {
    const mappings = isRecord(n.portMappings) ? n.portMappings : {}
    const api = isRecord(n.serverOpts) && isRecord(n.serverOpts.kubeAPI) ? n.serverOpts.kubeAPI : {}
    return {
      role: typeof n.role === 'string' ? n.role : undefined,
      State: { Running: isRecord(n.State) && n.State.Running === true },
      portMappings: Object.fromEntries(Object.entries(mappings).map(([k, v]) => [k, (Array.isArray(v) ? v : []).filter(isRecord) as Binding[]])),
      serverOpts: { kubeAPI: { Binding: isRecord(api.Binding) ? (api.Binding as Binding) : undefined } },
    }
  })
  return { name: c.name, nodes, serversRunning: count(c.serversRunning), serversCount: count(c.serversCount), agentsRunning: count(c.agentsRunning), agentsCount: count(c.agentsCount) }
}

/** Parses `k3d cluster list -o json` once, at the edge, into typed clusters. */
export function parseClusterList(json: string): K3dCluster[] {
  return jsonRecords(json, 'k3d cluster list -o json').map(saneCluster).filter((c) => typeof c.name === 'string' && c.name !== '').map((c) => {
    const nodes = c.nodes ?? []
    const lb = nodes.find((n) => n.role === 'loadbalancer')
    const server = nodes.find((n) => n.role === 'server')
    const hostPorts = new Set<number>()
    for (const node of nodes) {
      for (const bindings of Object.values(node.portMappings ?? {})) for (const b of bindings ?? []) {
        const p = portOf(b)
        if (p) hostPorts.add(p)
      }
      const api = portOf(node.serverOpts?.kubeAPI?.Binding)
      if (api) hostPorts.add(api)
    }
    const servers = nodes.filter((n) => n.role === 'server')
    const serversRunning = c.serversRunning ?? servers.filter((n) => n.State?.Running).length
    const serversCount = c.serversCount ?? servers.length
    const lbBinding = lb?.portMappings?.['80/tcp']?.[0]
    const apiBinding = server?.serverOpts?.kubeAPI?.Binding?.HostPort ? server.serverOpts.kubeAPI.Binding : lb?.portMappings?.['6443/tcp']?.[0]
    const limit = (role: string) => parseHumanSize(nodes.find((n) => n.role === role)?.Memory)
    return {
      name: c.name as string,
      running: serversCount > 0 && serversRunning === serversCount,
      serversRunning,
      serversCount,
      agentsRunning: c.agentsRunning ?? 0,
      agentsCount: c.agentsCount ?? 0,
      lbPort: portOf(lb?.portMappings?.['80/tcp']?.[0]),
      apiPort: portOf(server?.serverOpts?.kubeAPI?.Binding) ?? portOf(lb?.portMappings?.['6443/tcp']?.[0]),
      lbHostIp: lbBinding?.HostIp || null,
      apiHostIp: apiBinding?.HostIp || null,
      hostPorts: [...hostPorts].sort((a, b) => a - b),
      serversMemory: limit('server'),
      agentsMemory: limit('agent'),
      network: c.network?.name ?? null,
    }
  })
}

/** `k3d version` (text or -o json) → `v5.8.3`. */
export function parseVersion(text: string): { version: string; major: number } | null {
  let version: string | undefined
  try {
    version = (JSON.parse(text) as { k3d?: string }).k3d
  } catch {
    version = /k3d version (v?\d+\.\d+\.\d+\S*)/.exec(text)?.[1]
  }
  const major = version ? Number(/^v?(\d+)/.exec(version)?.[1]) : NaN
  return version && Number.isFinite(major) ? { version, major } : null
}

/** What we need of one entry of `k3d registry list -o json` (a registry node). */
export interface K3dRegistry {
  /** The node: `k3d-NAME`. */
  node: string
  running: boolean
  hostIp: string | null
  hostPort: number | null
  /** Docker networks it is connected to: `k3d-CLUSTER` for each cluster created with it. */
  networks: string[]
}

/**
 * Parses `k3d registry list -o json` (k3d's registry nodes: cmd/registry/registryList.go). The
 * host port is read from the node's one port mapping, as k3d's RegistryFromNode does: the
 * `k3s.registry.port.external` label does not survive into the listing (only k3d.* labels do).
 */
export function parseRegistryList(json: string): K3dRegistry[] {
  return (jsonRecords(json, 'k3d registry list -o json') as RawNode[])
    .filter((n) => typeof n?.name === 'string' && (n.role === undefined || n.role === 'registry'))
    .map((n) => {
      const binding = Object.values(n.portMappings ?? {})[0]?.[0]
      return { node: n.name!, running: n.State?.Running === true, hostIp: binding?.HostIp || null, hostPort: portOf(binding), networks: n.Networks ?? [] }
    })
}

/**
 * Arguments of the one create call (spec: Behaviour). The default kubeconfig is left alone:
 * without --kubeconfig-update-default=false k3d re-points every other shell at this cluster.
 */
export function createArgs(spec: CreateSpec): string[] {
  const args = ['cluster', 'create', spec.name, '--servers', String(spec.servers), '--agents', String(spec.agents)]
  args.push('-p', `${spec.lbPort}:80@loadbalancer`, '--api-port', String(spec.apiPort))
  for (const a of spec.k3sArgs) args.push('--k3s-arg', a)
  args.push('--wait', '--kubeconfig-update-default=false')
  return args
}

export const listArgs = () => ['cluster', 'list', '-o', 'json']
export const registryListArgs = () => ['registry', 'list', '-o', 'json']
/** `k3d registry create NAME --port HOST:PORT`: the node is `k3d-NAME` (cmd/registry/registryCreate.go). */
export function registryCreateArgs(name: string, hostIp: string, port: number, proxy: string | null): string[] {
  return ['registry', 'create', name, '--port', `${hostIp}:${port}`, ...(proxy ? ['--proxy-remote-url', proxy] : []), '--no-help']
}
export const registryDeleteArgs = (node: string) => ['registry', 'delete', node]
export const deleteArgs = (name: string) => ['cluster', 'delete', name]
export const startArgs = (name: string) => ['cluster', 'start', name]
export const stopArgs = (name: string) => ['cluster', 'stop', name]
export const kubeconfigGetArgs = (name: string) => ['kubeconfig', 'get', name]
export const imageImportArgs = (images: readonly string[], name: string) => ['image', 'import', ...images, '-c', name]

/** What went wrong in a k3d call, read once here from k3d's (and docker's) words. */
export type K3dFailureKind = 'port-conflict' | 'name-taken' | 'docker-down' | 'not-found' | 'invalid-name' | 'usage' | 'other'

export interface K3dFailure {
  kind: K3dFailureKind
  /** The host port docker could not publish, when its message names one. */
  port: number | null
  /** The line that names the cause, without k3d's log prefixes. */
  reason: string
}

// k3d's own words (cmd/cluster/clusterCreate.go, pkg/client/cluster.go, cobra's flag errors).
const NAME_TAKEN = /because a cluster with that name already exists/i
const NOT_FOUND = /No nodes found for (?:given )?cluster|failed to get cluster|Didn't find container for node/i
const INVALID_NAME = /is not a valid hostname as per RFC 1123|Cluster name must be <=/i
const USAGE = /unknown flag|unknown shorthand flag|flag needs an argument|invalid argument .* for .* flag/i

const logPrefix = (l: string) => l.replace(/^(FATA|ERRO|WARN|INFO|DEBU)\[\d+\]\s*/, '').replace(/^(Error|error):\s*/, '')

/** Classifies a failed k3d call: the kind, the port when docker named one, and the line to show. */
export function k3dFailure(result: RunResult): K3dFailure {
  const clean = (text: string) => text.split('\n').map((l) => l.trim()).filter((l) => l !== '')
  const err = clean(result.stderr)
  const all = [...err, ...clean(result.stdout)]
  const text = all.join('\n')
  const find = (re: RegExp) => all.find((l) => re.test(l))
  const docker = dockerFailure(text)
  // k3d ends with a generic "rolled back" line, or (image import) a generic WARN after the ERRO
  // line; the cause is the line that names it, else k3d's last fatal or error line.
  const pick = (kind: K3dFailureKind, line: string | undefined, port: number | null = null): K3dFailure => {
    const last = (level: string) => [...err].reverse().find((l) => l.startsWith(`${level}[`))
    const chosen = line ?? last('FATA') ?? last('ERRO') ?? err[err.length - 1] ?? all[all.length - 1]
    return { kind, port, reason: chosen ? logPrefix(chosen) : `exit code ${result.code}` }
  }
  if (docker?.kind === 'port-conflict') return pick('port-conflict', portConflictLine(all), docker.port)
  if (docker?.kind === 'docker-down') return pick('docker-down', find(/Docker daemon|docker daemon|error during connect/))
  if (NAME_TAKEN.test(text)) return pick('name-taken', find(NAME_TAKEN))
  if (INVALID_NAME.test(text)) return pick('invalid-name', find(INVALID_NAME))
  if (USAGE.test(text)) return pick('usage', find(USAGE))
  if (NOT_FOUND.test(text)) return pick('not-found', find(NOT_FOUND))
  return pick('other', find(/refused|no such host/i))
}

/** Failure of a k3d call: what happened (kind, port) and the line that names the cause. */
export class K3dError extends OperationError {
  readonly kind: K3dFailureKind
  readonly port: number | null
  readonly reason: string
  constructor(
    readonly action: string,
    readonly result: RunResult,
  ) {
    const f = k3dFailure(result)
    super(`${action} failed: ${f.reason}`, f.kind === 'docker-down' ? DOCKER_DOWN_HINT : undefined)
    this.kind = f.kind
    this.port = f.port
    this.reason = f.reason
  }
}

/** The one adapter to the k3d CLI: builds argument lists, runs them, parses what comes back. */
export class K3d {
  constructor(private readonly run: Runner = realRun) {}

  private async call(action: string, args: string[], input?: string, env?: Record<string, string>): Promise<RunResult> {
    const result = await this.run('k3d', args, { input, env })
    if (result.code === 127) throw new OperationError('k3d is not installed (not on PATH)', 'install k3d v5+: https://k3d.io')
    if (result.code !== 0) throw new K3dError(action, result)
    return result
  }

  async version(): Promise<{ version: string; major: number }> {
    const r = await this.call('k3d version', ['version'])
    const v = parseVersion(r.stdout)
    if (!v) throw new OperationError(`cannot read the k3d version from: ${r.stdout.trim().split('\n')[0]}`)
    return v
  }

  async list(): Promise<K3dCluster[]> {
    return parseClusterList((await this.call('k3d cluster list', listArgs())).stdout)
  }

  async create(args: string[]): Promise<RunResult> {
    return this.call('k3d cluster create', args)
  }

  /**
   * Creates the cluster DOC describes: the document on stdin where k3d reads one (v5.5+),
   * else the same cluster as flags (lib/k3dconfig.ts).
   */
  async createFromDocument(doc: SimpleConfig, k3dVersion: string): Promise<RunResult> {
    // Loaded here: the YAML library stays out of the start-up of commands that never create (list, current).
    const { configArgs, documentFlags, documentYaml, readsConfigFromStdin } = await import('./k3dconfig.ts')
    if (readsConfigFromStdin(k3dVersion)) return this.call('k3d cluster create', configArgs(doc.metadata.name), documentYaml(doc))
    return this.call('k3d cluster create', documentFlags(doc))
  }

  async registries(): Promise<K3dRegistry[]> {
    return parseRegistryList((await this.call('k3d registry list', registryListArgs())).stdout)
  }

  async createRegistry(name: string, hostIp: string, port: number, proxy: string | null): Promise<void> {
    await this.call(`k3d registry create ${name}`, registryCreateArgs(name, hostIp, port, proxy))
  }

  async deleteRegistry(node: string): Promise<void> {
    await this.call(`k3d registry delete ${node}`, registryDeleteArgs(node))
  }

  /**
   * k3d delete re-writes the default kubeconfig ($KUBECONFIG's first file, else ~/.kube/config)
   * even when it never held the cluster; pointing KUBECONFIG at the cluster's own file (ours,
   * about to be removed or rewritten) keeps every other kubeconfig untouched. That file is made
   * a private regular file first: k3d writes through a symlink.
   */
  async delete(name: string, ownKubeconfig: string): Promise<void> {
    await privateKubeconfigTarget(ownKubeconfig)
    await this.call(`k3d cluster delete ${name}`, deleteArgs(name), undefined, { KUBECONFIG: ownKubeconfig })
  }

  async start(name: string): Promise<void> {
    await this.call(`k3d cluster start ${name}`, startArgs(name))
  }

  async stop(name: string): Promise<void> {
    await this.call(`k3d cluster stop ${name}`, stopArgs(name))
  }

  async kubeconfig(name: string): Promise<string> {
    return (await this.call(`k3d kubeconfig get ${name}`, kubeconfigGetArgs(name))).stdout
  }

  async importImages(images: readonly string[], name: string): Promise<void> {
    await this.call('k3d image import', imageImportArgs(images, name))
  }
}
