// Memory sizes as docker reads them, and what a k3d cluster needs. Pure.

/**
 * docker's RAMInBytes (github.com/docker/go-units size.go), which k3d applies to
 * --servers-memory / --agents-memory (pkg/config/validate.go): a number, an optional space, an
 * optional unit k/m/g/t/p (an `i` and a `b` may follow), powers of 1024; no unit means bytes.
 */
export function parseMemory(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(text)
  if (!m) return null
  const power = m[2] ? 'kmgtp'.indexOf(m[2].toLowerCase()) + 1 : 0
  return Math.floor(Number(m[1]) * 1024 ** power)
}

/** docker refuses a container memory limit below 6 MiB (moby daemon: linuxMinMemory). */
export const DOCKER_MIN_MEMORY = 6 * 1024 * 1024

/** Why docker (or k3d) would refuse TEXT as a memory limit, or null. */
export function memoryProblem(text: string): string | null {
  const bytes = parseMemory(text)
  if (bytes === null) return `${JSON.stringify(text)} is not a size docker understands (e.g. "512m", "1g")`
  if (bytes < DOCKER_MIN_MEMORY) return `${JSON.stringify(text)} is below docker's minimum of 6m${/^\d+$/.test(text) ? ` (a number alone is bytes: did you mean "${text}m"?)` : ''}`
  return null
}

/** `1.5 GB` style, as the doctor prints sizes (powers of 1024, one decimal). */
export function formatBytes(bytes: number): string {
  const gb = bytes / 1024 ** 3
  if (gb >= 1) return `${gb.toFixed(1)} GB`
  return `${Math.round(bytes / 1024 ** 2)} MB`
}

/**
 * What an idle k3s node uses: about 0.5 GB for a server and 0.14 GB for an agent
 * (k3d-io/k3d PR #494, measured with `docker stats` on idle clusters). Workloads come on top.
 */
export const IDLE_SERVER_BYTES = 512 * 1024 ** 2
export const IDLE_AGENT_BYTES = 140 * 1024 ** 2

/**
 * The memory a cluster of SERVERS and AGENTS is expected to take, each node at its idle size or
 * its limit when that is smaller (docker keeps the node under it).
 */
export function clusterEstimate(servers: number, agents: number, limits: { servers?: number | null; agents?: number | null } = {}): number {
  const node = (idle: number, limit: number | null | undefined) => (limit && limit > 0 ? Math.min(idle, limit) : idle)
  return servers * node(IDLE_SERVER_BYTES, limits.servers) + agents * node(IDLE_AGENT_BYTES, limits.agents)
}

/**
 * A node's `Memory` as k3d lists it: docker's HumanSize of the container limit (decimal units,
 * 4 significant digits: `536.9MB`; k3d's TranslateContainerDetailsToNode drops `0B`), in bytes.
 */
export function parseHumanSize(text: string | undefined | null): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*(B|kB|KB|MB|GB|TB|PB)$/i.exec((text ?? '').trim())
  if (!m) return null
  const power = ['b', 'kb', 'mb', 'gb', 'tb', 'pb'].indexOf(m[2]!.toLowerCase())
  return Math.round(Number(m[1]) * 1000 ** power)
}
