import type { Runner } from './proc.ts'
import { run as realRun } from './proc.ts'

const DOCKER_DOWN = /Cannot connect to the Docker daemon|Is the docker daemon running|error during connect/i

/**
 * The forms in which a container runtime refuses to publish a host port (k3d relays them
 * inside its own error), each with the port it names. Sources: ../shared/k3d-reference.md,
 * "docker, as a real daemon answers" (Docker 20 and 28, Docker Desktop, Windows hosts).
 */
const PORT_CONFLICT: RegExp[] = [
  /Bind for \[?[\w.:]*?\]?:(\d+) failed: port is already allocated/i, // another container holds it
  /listen tcp[46]? \[?[\w.:]*?\]?:(\d+): bind: address already in use/i, // userland proxy, Desktop
  /failed to bind host port for \[?[\w.:]*?\]?:(\d+):\S*: address already in use/i, // Docker Engine 28
  /Ports are not available: exposing port \w+ \[?[\w.:]*?\]?:(\d+)/i, // Docker Desktop
  /listen tcp[46]? \[?[\w.:]*?\]?:(\d+): bind: (?:Only one usage of each socket address|An attempt was made to access a socket in a way forbidden)/i, // Windows
]
const PORT_CONFLICT_WORDS = /port is already allocated|address already in use|Ports are not available|Only one usage of each socket address|forbidden by its access permissions/i

/** What a docker failure (or one k3d relays) was about, read once from the runtime's words. */
export type DockerFailure = { kind: 'docker-down' } | { kind: 'port-conflict'; port: number | null }

export function dockerFailure(text: string): DockerFailure | null {
  if (DOCKER_DOWN.test(text)) return { kind: 'docker-down' }
  for (const re of PORT_CONFLICT) {
    const m = re.exec(text)
    if (m) return { kind: 'port-conflict', port: Number(m[1]) }
  }
  return PORT_CONFLICT_WORDS.test(text) ? { kind: 'port-conflict', port: null } : null
}

/** The one line of docker's output that says why a port could not be published, if any. */
export function portConflictLine(lines: readonly string[]): string | undefined {
  return lines.find((l) => PORT_CONFLICT_WORDS.test(l))
}

export const DOCKER_DOWN_HINT = 'start Docker (Docker Desktop, colima or dockerd) and retry'

export class Docker {
  constructor(private readonly run: Runner = realRun) {}

  /** Null when the daemon answers, else the one line that says why not. */
  async unreachable(): Promise<string | null> {
    const r = await this.run('docker', ['info'])
    if (r.code === 0) return null
    if (r.code === 127) return 'docker is not installed (not on PATH)'
    return dockerFailure(r.stderr + r.stdout)?.kind === 'docker-down' ? 'the Docker daemon is not running' : r.stderr.trim().split('\n')[0] || 'docker info failed'
  }

  /**
   * Which of IMAGES exist locally, in one `docker image inspect` call: docker prints the
   * images it has on stdout and one `No such image: X` line per missing one, exit 1.
   */
  async localImages(images: readonly string[]): Promise<{ present: string[]; absent: string[] }> {
    if (images.length === 0) return { present: [], absent: [] }
    const r = await this.run('docker', ['image', 'inspect', ...images])
    if (r.code === 0) return { present: [...images], absent: [] }
    const missing = new Set([...r.stderr.matchAll(/No such image: (\S+)/g)].map((m) => m[1]!))
    if (missing.size === 0) throw new Error(`docker image inspect failed: ${r.stderr.trim().split('\n')[0] || `exit ${r.code}`}`)
    return { present: images.filter((i) => !missing.has(i)), absent: images.filter((i) => missing.has(i)) }
  }
}
