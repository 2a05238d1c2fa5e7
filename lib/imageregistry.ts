// The one image registry all clusters of this machine share: a k3d-managed registry
// (`k3d registry create`, the `registry:2` container), which every cluster is created with
// (`registries.use` / --registry-use) and which the configured images are pushed to once, instead
// of being imported into each cluster (k3d's docs: "Using a local registry").
// Not lib/registry.ts: that is the metadata store.
import { UsageError } from './errors.ts'
import { familiarString, parseImageRef, referenceMatches, withDefaultTag } from './imageref.ts'
import type { LocalImage } from './imageref.ts'
import { k3dNameProblem } from './names.ts'
import { checkRange, formatRange, isLoopback, parseRange } from './ports.ts'
import type { PortRange } from './ports.ts'
import type { K3dRegistry } from './k3d.ts'

/** `"registry"` of multi-cluster.config.json, with its defaults. */
export interface RegistrySettings {
  /** k3d's registry NAME; its container (and in-cluster host name) is `k3d-NAME`. */
  name: string
  portRange: PortRange
  /** A remote registry this one caches (pull-through), e.g. https://registry-1.docker.io. */
  proxy: string | null
}

export const DEFAULT_REGISTRY_NAME = 'threads-agent-registry'
export const DEFAULT_REGISTRY_RANGE: PortRange = { start: 5000, end: 5099 }
const KEYS = ['name', 'port_range', 'proxy']

/**
 * Reads `"registry"`: true (the defaults), false or null (none), or
 * `{"name", "port_range", "proxy"}`; every problem is pushed with its key (exit 2 later).
 */
export function parseRegistrySetting(value: unknown, problems: string[]): RegistrySettings | null | undefined {
  if (value === undefined) return undefined
  if (value === false || value === null) return null
  if (value === true) return { name: DEFAULT_REGISTRY_NAME, portRange: DEFAULT_REGISTRY_RANGE, proxy: null }
  if (typeof value !== 'object' || Array.isArray(value)) {
    problems.push('registry: expected true, false or {"name": "...", "port_range": "5000-5099", "proxy": "https://..."}')
    return undefined
  }
  const o = value as Record<string, unknown>
  const before = problems.length
  for (const k of Object.keys(o)) if (!KEYS.includes(k)) problems.push(`registry.${k}: unknown key (known: ${KEYS.join(', ')})`)
  let name = DEFAULT_REGISTRY_NAME
  if (o.name !== undefined) {
    const problem = typeof o.name === 'string' ? k3dNameProblem(o.name) : 'expected a string'
    if (problem) problems.push(`registry.name: ${problem}`)
    else name = o.name as string
  }
  let portRange = DEFAULT_REGISTRY_RANGE
  if (o.port_range !== undefined) {
    try {
      if (typeof o.port_range === 'string') portRange = parseRange(o.port_range, 'registry.port_range')
      else {
        const r = o.port_range as Record<string, unknown> | null
        if (!r || typeof r.start !== 'number' || typeof r.end !== 'number') throw new UsageError('registry.port_range: expected "START-END" or {"start": N, "end": N}')
        portRange = checkRange({ start: r.start, end: r.end }, 'registry.port_range')
      }
    } catch (err) {
      problems.push((err as Error).message)
    }
  }
  let proxy: string | null = null
  if (o.proxy !== undefined && o.proxy !== null) {
    if (typeof o.proxy !== 'string' || !/^https?:\/\/[^\s/]+/.test(o.proxy)) problems.push('registry.proxy: expected the URL of the registry to cache, e.g. "https://registry-1.docker.io"')
    else proxy = o.proxy
  }
  return problems.length > before ? undefined : { name, portRange, proxy }
}

/** The registry's container, k3d's name for it (`k3d-` + NAME). */
export const registryNode = (settings: Pick<RegistrySettings, 'name'>) => `k3d-${settings.name}`

/** How clusters name the registry: `k3d-NAME:PORT` (k3d writes a mirror for it into each node's registries.yaml). */
export const clusterRegistryRef = (node: string, hostPort: number) => `${node}:${hostPort}`

/**
 * k3s registries.yaml for a pull-through cache: Docker Hub images are pulled through the registry
 * (k3d's own proxy mirror is keyed by the remote URL, which containerd never asks for).
 */
export function proxyMirrorConfig(node: string): string {
  return `mirrors:\n  docker.io:\n    endpoint:\n      - http://${node}:5000\n`
}

/** The registry's host address to reach it from this machine (its binding; loopback for 0.0.0.0). */
export const registryHost = (hostIp: string | null) => (!hostIp || hostIp === '0.0.0.0' || isLoopback(hostIp) ? 'localhost' : hostIp)

/**
 * Where an image goes in the registry: its repository path without its own registry host
 * (`ghcr.io/org/app:1` → `org/app:1`, `docker.io/library/redis:7` → `redis:7`), `:latest` when
 * untagged. Null for what docker cannot parse.
 */
export function registryPath(image: string): string | null {
  const ref = parseImageRef(image)
  if (!ref) return null
  const tagged = withDefaultTag(ref)
  const path = familiarString({ ...tagged, domain: 'docker.io', digest: null })
  return tagged.tag === null ? `${path}:latest` : path
}

/** `docker push` target for IMAGE: `localhost:PORT/PATH:TAG`. */
export const pushRef = (image: string, host: string, port: number) => `${host}:${port}/${registryPath(image)}`

/** What a pod's `image:` says to pull IMAGE from the shared registry: `k3d-NAME:PORT/PATH:TAG`. */
export const podImage = (image: string, node: string, port: number) => `${clusterRegistryRef(node, port)}/${registryPath(image)}`

/** The registry named NAME among k3d's, if it exists. */
export const findRegistry = (registries: readonly K3dRegistry[], node: string) => registries.find((r) => r.node === node) ?? null

/** Clusters (of CLUSTERS) whose network the registry is connected to, i.e. that were created using it. */
export function clustersUsing(registry: K3dRegistry, clusters: ReadonlyArray<{ name: string; network: string | null }>): string[] {
  return clusters.filter((c) => registry.networks.includes(c.network ?? `k3d-${c.name}`)).map((c) => c.name).sort()
}

/**
 * Whether the local image IMAGE was already pushed to REPO (`localhost:PORT/path`) with DIGEST:
 * docker records `REPO@DIGEST` among the image's repo digests when a push succeeds.
 */
export function pushedDigest(image: string, listed: readonly LocalImage[], repo: string): string | null {
  const local = listed.find((img) => referenceMatches(image, [img]))
  const prefix = `${repo}@`
  return local?.RepoDigests?.find((d) => d.startsWith(prefix))?.slice(prefix.length) ?? null
}

export interface CatalogEntry {
  repository: string
  tags: string[]
}

const TIMEOUT_MS = 3000

async function getJson(url: string, signal?: AbortSignal): Promise<unknown> {
  const res = await fetch(url, { signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(TIMEOUT_MS)]) : AbortSignal.timeout(TIMEOUT_MS) })
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`)
  return res.json()
}

/** Why fetch failed, in a few words (`connect ECONNREFUSED 127.0.0.1:5000`). */
export function fetchProblem(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause
  return cause?.message ?? (err as Error).message
}

/**
 * The registry's images through its HTTP API (the distribution API: `/v2/_catalog`, then
 * `/v2/NAME/tags/list` per repository), as `docker push` left them.
 */
export async function catalog(host: string, port: number, signal?: AbortSignal): Promise<CatalogEntry[]> {
  const base = `http://${host}:${port}/v2`
  const { repositories } = (await getJson(`${base}/_catalog`, signal)) as { repositories?: string[] | null }
  return Promise.all(
    [...(repositories ?? [])].sort().map(async (repository) => {
      const { tags } = (await getJson(`${base}/${repository}/tags/list`, signal).catch(() => ({ tags: [] }))) as { tags?: string[] | null }
      return { repository, tags: [...(tags ?? [])].sort() }
    }),
  )
}

/** The digest the registry serves for PATH:TAG (a HEAD of its manifest), or null when it has none. */
export async function manifestDigest(host: string, port: number, pathAndTag: string, signal?: AbortSignal): Promise<string | null> {
  const colon = pathAndTag.lastIndexOf(':')
  const url = `http://${host}:${port}/v2/${pathAndTag.slice(0, colon)}/manifests/${pathAndTag.slice(colon + 1)}`
  const accept = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.index.v1+json'
  const timeout = AbortSignal.timeout(TIMEOUT_MS)
  const res = await fetch(url, { method: 'HEAD', headers: { Accept: accept }, signal: signal ? AbortSignal.any([signal, timeout]) : timeout })
  return res.ok ? res.headers.get('docker-content-digest') : null
}

/** One line about the registry's address and range, for hints. */
export const describeSettings = (s: RegistrySettings) => `${registryNode(s)} (ports ${formatRange(s.portRange)}${s.proxy ? `, caching ${s.proxy}` : ''})`
