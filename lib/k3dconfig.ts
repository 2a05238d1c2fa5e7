// The create as a k3d config document: a `k3d.io/v1alpha5` `Simple` config built as data (the
// shape of k3d's pkg/config/v1alpha5/types.go and schema.json at v5.8.3), run as
// `k3d cluster create NAME --config -`, as ctlptl does (pkg/cluster/admin_k3d.go), or, on a k3d
// too old to read one, as the equivalent flags. Pure: no file, no process.
// zx's YAML is the `yaml` package; imported directly, as lib/kubeconfig.ts does, to skip zx's vendor bundle.
import * as YAML from 'yaml'
import { UsageError } from './errors.ts'
import { isRecord as isObject } from './tooljson.ts'

export const K3D_CONFIG_API_VERSION = 'k3d.io/v1alpha5'

/**
 * `--config -` arrived in k3d v5.4.5 (k3d-io/k3d PR #1126, commit 1dc49a2: cmd/util/config reads
 * stdin for "-"), and the v1alpha5 schema in v5.5.0 (commit 88c5f18); ctlptl draws the same v5.5 line.
 */
export const CONFIG_STDIN_SINCE = [5, 5, 0] as const

/** Whether k3d VERSION (`v5.8.3`) reads a v1alpha5 document from stdin. */
export function readsConfigFromStdin(version: string): boolean {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version)
  if (!m) return false
  const have = [Number(m[1]), Number(m[2]), Number(m[3])]
  for (let i = 0; i < 3; i++) if (have[i] !== CONFIG_STDIN_SINCE[i]) return have[i]! > CONFIG_STDIN_SINCE[i]!
  return true
}

/** A value with node filters, as k3d's config writes `ARG@FILTER;FILTER` flags. */
export interface WithNodeFilters {
  nodeFilters?: string[]
}

/** The document: the keys this tool writes, typed; whatever a project's `"k3d"` object adds is kept as is. */
export interface SimpleConfig {
  apiVersion: typeof K3D_CONFIG_API_VERSION
  kind: 'Simple'
  metadata: { name: string }
  servers: number
  agents: number
  kubeAPI: { hostIP: string; hostPort: string }
  ports: Array<{ port: string } & WithNodeFilters>
  options: {
    k3d: { wait: boolean; [key: string]: unknown }
    k3s: { extraArgs: Array<{ arg: string } & WithNodeFilters>; [key: string]: unknown }
    kubeconfig: { updateDefaultKubeconfig: boolean; switchCurrentContext: boolean }
    runtime?: { serversMemory?: string; agentsMemory?: string; [key: string]: unknown }
    [key: string]: unknown
  }
  registries?: { use?: string[]; config?: string }
  [key: string]: unknown
}

/** What the tool decides about one cluster; the document is made from this alone. */
export interface ClusterSpec {
  name: string
  servers: number
  agents: number
  lbPort: number
  apiPort: number
  /** The host address docker publishes both ports on: 127.0.0.1 unless the project shares them. */
  bindAddress: string
  /** `ARG@FILTER` as in the project config (and k3d's --k3s-arg). */
  k3sArgs: readonly string[]
  memory?: { servers?: string; agents?: string } | null
  /** The shared registry every cluster uses: `k3d-NAME:PORT`, and the k3s registries.yaml it needs, if any. */
  registry?: { use: string; config?: string } | null
  /** The project's `"k3d"` object, already checked by checkK3dOverride. */
  extra?: Record<string, unknown> | null
}

/**
 * k3d's SplitFiltersFromFlag (cmd/util/filter.go): one unescaped `@` separates a value from its
 * node filters (`;`-separated); `\@` is a literal `@`.
 */
export function splitNodeFilters(flag: string): { value: string; nodeFilters: string[] } {
  const parts: string[] = []
  let buffer = ''
  const pieces = flag.split('@')
  pieces.forEach((piece, i) => {
    if (piece.endsWith('\\') && !piece.endsWith('\\\\') && i !== pieces.length - 1) buffer += `${piece.slice(0, -1)}@`
    else {
      parts.push(buffer + (piece.endsWith('\\\\') && i !== pieces.length - 1 ? piece.slice(0, -1) : piece))
      buffer = ''
    }
  })
  if (parts.length === 1) return { value: parts[0]!, nodeFilters: [] }
  if (parts.length > 2) throw new UsageError(`${JSON.stringify(flag)}: only one unescaped '@' may start the node filters (write a literal '@' as '\\@')`)
  if (parts[1] === '') throw new UsageError(`${JSON.stringify(flag)}: '@' is not followed by a node filter`)
  return { value: parts[0]!, nodeFilters: parts[1]!.split(';') }
}

/** The flag form of a value with node filters (the inverse of splitNodeFilters). */
export function joinNodeFilters(value: string, nodeFilters: readonly string[] | undefined): string {
  const escaped = value.replaceAll('@', '\\@')
  return nodeFilters && nodeFilters.length > 0 ? `${escaped}@${nodeFilters.join(';')}` : escaped
}


/**
 * The project's additions merged into ours: objects key by key, lists appended (extra volumes,
 * k3s args, labels after ours), a scalar of theirs replacing ours.
 */
export function mergeDocument<T extends Record<string, unknown>>(base: T, extra: Record<string, unknown>): T {
  const out: Record<string, unknown> = { ...base }
  for (const [key, value] of Object.entries(extra)) {
    const mine = out[key]
    if (isObject(mine) && isObject(value)) out[key] = mergeDocument(mine, value)
    else if (Array.isArray(mine) && Array.isArray(value)) out[key] = [...mine, ...value]
    else out[key] = value
  }
  return out as T
}

/** The k3d config of one cluster (spec: Behaviour, Create). */
export function clusterDocument(spec: ClusterSpec): SimpleConfig {
  const doc: SimpleConfig = {
    apiVersion: K3D_CONFIG_API_VERSION,
    kind: 'Simple',
    metadata: { name: spec.name },
    servers: spec.servers,
    agents: spec.agents,
    kubeAPI: { hostIP: spec.bindAddress, hostPort: String(spec.apiPort) },
    ports: [{ port: `${spec.bindAddress}:${spec.lbPort}:80`, nodeFilters: ['loadbalancer'] }],
    options: {
      k3d: { wait: true },
      k3s: {
        extraArgs: spec.k3sArgs.map((a) => {
          const { value, nodeFilters } = splitNodeFilters(a)
          return nodeFilters.length > 0 ? { arg: value, nodeFilters } : { arg: value }
        }),
      },
      // Left at k3d's defaults, creating one cluster re-points every shell using ~/.kube/config.
      kubeconfig: { updateDefaultKubeconfig: false, switchCurrentContext: false },
    },
  }
  const memory = spec.memory ?? {}
  if (memory.servers || memory.agents) {
    doc.options.runtime = {
      ...(memory.servers ? { serversMemory: memory.servers } : {}),
      ...(memory.agents ? { agentsMemory: memory.agents } : {}),
    }
  }
  if (spec.registry) doc.registries = { use: [spec.registry.use], ...(spec.registry.config ? { config: spec.registry.config } : {}) }
  return spec.extra ? mergeDocument(doc, spec.extra) : doc
}

/** The document as k3d reads it (and as `--dry-run -o yaml` prints it). */
export function documentYaml(doc: SimpleConfig): string {
  return YAML.stringify(doc, { indentSeq: true, lineWidth: 0 })
}

type Doc = Record<string, unknown>
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])
const text = (v: unknown): string => (typeof v === 'string' ? v : String(v))
const at = (doc: Doc, ...keys: string[]): unknown => keys.reduce<unknown>((o, k) => (isObject(o) ? o[k] : undefined), doc)

/** What k3d before v5.5 cannot be told by a flag: said before anything runs. */
export class NoFlagForKey extends UsageError {}

/**
 * `k3d cluster create` flags that create the same cluster as DOC (cmd/cluster/clusterCreate.go
 * binds each flag to a config key), for a k3d too old to read the document, and for `--json`.
 */
export function documentFlags(doc: SimpleConfig): string[] {
  const d = doc as Doc
  const args = ['cluster', 'create', doc.metadata.name, '--servers', String(doc.servers), '--agents', String(doc.agents)]
  const add = (flag: string, value: unknown) => {
    if (value !== undefined && value !== null && value !== '') args.push(flag, text(value))
  }
  const filtered = (flag: string, items: unknown, key: string) => {
    for (const item of list(items)) if (isObject(item)) args.push(flag, joinNodeFilters(text(item[key]), list(item.nodeFilters).map(text)))
  }
  for (const p of doc.ports) args.push('-p', `${p.port}${p.nodeFilters?.length ? `@${p.nodeFilters.join(';')}` : ''}`)
  args.push('--api-port', `${doc.kubeAPI.hostIP ? `${doc.kubeAPI.hostIP}:` : ''}${doc.kubeAPI.hostPort}`)
  filtered('--k3s-arg', at(d, 'options', 'k3s', 'extraArgs'), 'arg')
  filtered('--k3s-node-label', at(d, 'options', 'k3s', 'nodeLabels'), 'label')
  filtered('--runtime-label', at(d, 'options', 'runtime', 'labels'), 'label')
  filtered('-v', d.volumes, 'volume')
  filtered('-e', d.env, 'envVar')
  add('--image', d.image)
  add('--network', d.network)
  add('--subnet', d.subnet)
  add('--token', d.token)
  add('--servers-memory', at(d, 'options', 'runtime', 'serversMemory'))
  add('--agents-memory', at(d, 'options', 'runtime', 'agentsMemory'))
  add('--gpus', at(d, 'options', 'runtime', 'gpuRequest'))
  for (const u of list(at(d, 'options', 'runtime', 'ulimits'))) {
    if (isObject(u)) args.push('--runtime-ulimit', `${text(u.name)}=${text(u.soft)}:${text(u.hard)}`)
  }
  for (const o of list(at(d, 'options', 'k3d', 'loadbalancer', 'configOverrides'))) args.push('--lb-config-override', text(o))
  for (const r of list(at(d, 'registries', 'use'))) args.push('--registry-use', text(r))
  for (const h of list(d.hostAliases)) if (isObject(h)) args.push('--host-alias', `${text(h.ip)}:${list(h.hostnames).map(text).join(',')}`)
  const bools: Array<[string[], string, boolean]> = [
    [['options', 'k3d', 'disableLoadbalancer'], '--no-lb', false],
    [['options', 'k3d', 'disableImageVolume'], '--no-image-volume', false],
    [['options', 'k3d', 'disableRollback'], '--no-rollback', false],
    [['options', 'runtime', 'hostPidMode'], '--host-pid-mode', false],
  ]
  for (const [keys, flag, byDefault] of bools) if ((at(d, ...keys) ?? byDefault) === true) args.push(flag)
  add('--timeout', at(d, 'options', 'k3d', 'timeout'))
  const config = at(d, 'registries', 'config')
  if (typeof config === 'string' && config !== '') {
    // The flag takes a file only; a registries.yaml written into the document has no flag.
    if (config.includes('\n')) throw new NoFlagForKey('k3d before v5.5 cannot take an embedded registries.config', 'upgrade k3d to v5.5+ (https://k3d.io)')
    args.push('--registry-config', config)
  }
  if (d.files !== undefined) throw new NoFlagForKey('k3d before v5.5 has no flag for "files" of the k3d config', 'upgrade k3d to v5.5+ (https://k3d.io), or drop "files"')
  if (at(d, 'options', 'k3d', 'wait') !== false) args.push('--wait')
  if (doc.options.kubeconfig.updateDefaultKubeconfig === false) args.push('--kubeconfig-update-default=false')
  else if (doc.options.kubeconfig.switchCurrentContext === false) args.push('--kubeconfig-switch-context=false')
  return args
}

/** The arguments when k3d reads the document from stdin (ctlptl's form: the name, then `--config -`). */
export const configArgs = (name: string) => ['cluster', 'create', name, '--config', '-']

// ---------------------------------------------------------------- the project's "k3d" object

/** Top-level keys of k3d's SimpleConfig (v1alpha5 types.go: its mapstructure names; schema.json). */
export const SIMPLE_CONFIG_KEYS = [
  'apiVersion', 'kind', 'metadata', 'servers', 'agents', 'kubeAPI', 'image', 'network', 'subnet', 'token',
  'volumes', 'ports', 'files', 'options', 'env', 'registries', 'hostAliases',
] as const

/** Keys of SimpleConfig's `options` sections (SimpleConfigOptionsK3d, ...K3s, ...Kubeconfig, ...Runtime). */
const OPTION_KEYS: Record<string, readonly string[]> = {
  k3d: ['wait', 'timeout', 'disableLoadbalancer', 'disableImageVolume', 'disableRollback', 'loadbalancer'],
  k3s: ['extraArgs', 'nodeLabels'],
  kubeconfig: ['updateDefaultKubeconfig', 'switchCurrentContext'],
  runtime: ['gpuRequest', 'serversMemory', 'agentsMemory', 'hostPidMode', 'labels', 'ulimits'],
}

/** What this tool sets itself, and where the project sets it instead. */
const MANAGED: Array<{ path: string[]; why: string }> = [
  { path: ['apiVersion'], why: 'the tool writes k3d.io/v1alpha5' },
  { path: ['kind'], why: 'the tool writes Simple' },
  { path: ['metadata'], why: 'the cluster name comes from the git identity (or --name)' },
  { path: ['kubeAPI'], why: 'the API port is chosen by the tool (apiPortRange, bind_address)' },
  { path: ['ports'], why: 'the load balancer port is chosen by the tool (lbPortRange, bind_address)' },
  { path: ['servers'], why: 'use "servers" of multi-cluster.config.json' },
  { path: ['agents'], why: 'use "agents" of multi-cluster.config.json' },
  { path: ['options', 'kubeconfig'], why: 'every cluster gets its own kubeconfig and ~/.kube/config is never changed' },
  { path: ['options', 'runtime', 'serversMemory'], why: 'use "memory" of multi-cluster.config.json' },
  { path: ['options', 'runtime', 'agentsMemory'], why: 'use "memory" of multi-cluster.config.json' },
  { path: ['registries', 'use'], why: 'the shared registry is set by "registry" of multi-cluster.config.json' },
  { path: ['registries', 'create'], why: 'the shared registry is set by "registry" of multi-cluster.config.json' },
]

/**
 * Problems of a project's `"k3d"` object, one line each naming the key (exit 2): not an object,
 * a key k3d's SimpleConfig does not have (top level, and inside `options`), or a key this tool
 * manages. Deeper values are k3d's to validate, with its schema, when it reads the document.
 */
export function k3dOverrideProblems(value: unknown, key = 'k3d'): string[] {
  if (!isObject(value)) return [`${key}: expected an object of k3d config keys (k3d.io/v1alpha5 Simple)`]
  const problems: string[] = []
  for (const k of Object.keys(value)) {
    if (!(SIMPLE_CONFIG_KEYS as readonly string[]).includes(k)) problems.push(`${key}.${k}: not a key of k3d's config (k3d.io/v1alpha5 Simple: ${SIMPLE_CONFIG_KEYS.join(', ')})`)
  }
  const options = value.options
  if (options !== undefined) {
    if (!isObject(options)) problems.push(`${key}.options: expected an object`)
    else {
      for (const [section, inner] of Object.entries(options)) {
        const known = OPTION_KEYS[section]
        if (!known) problems.push(`${key}.options.${section}: not a key of k3d's config options (${Object.keys(OPTION_KEYS).join(', ')})`)
        else if (!isObject(inner)) problems.push(`${key}.options.${section}: expected an object`)
        else for (const k of Object.keys(inner)) if (!known.includes(k)) problems.push(`${key}.options.${section}.${k}: not a key of k3d's config (options.${section}: ${known.join(', ')})`)
      }
    }
  }
  for (const m of MANAGED) {
    if (at(value, ...m.path) !== undefined) problems.push(`${key}.${m.path.join('.')}: set by this tool, not here (${m.why})`)
  }
  return problems
}
