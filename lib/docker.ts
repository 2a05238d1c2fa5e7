import { OperationError } from './errors.ts'
import { referenceMatches } from './imageref.ts'
import { jsonRecords } from './tooljson.ts'
import type { LocalImage } from './imageref.ts'
import type { Runner, RunResult } from './proc.ts'
import { run as realRun } from './proc.ts'

const DOCKER_DOWN = /Cannot connect to the Docker daemon|Is the docker daemon running|error during connect/i

/**
 * The forms in which a container runtime refuses to publish a host port (k3d relays them inside
 * its own error), each with the port it names. Every form is a recorded text in
 * test/fixtures/real/ with where it came from (this machine's daemon, k3d's source, public reports
 * of Docker 28, Docker Desktop, Windows and Podman); test/tool-errors.test.ts replays them all.
 * Hosts are printed raw by docker (`Bind for :::8080`), bracketed by Go (`listen tcp [::]:8080`).
 */
const PORT_CONFLICT: RegExp[] = [
  /Bind for \S*?:(\d+) failed: port is already allocated/i, // another container holds it
  /Bind for \S*?:(\d+): unexpected error/i, // old Docker for Mac: (Failure EADDRINUSE)
  /listen (?:tcp|udp)[46]? \S*?:(\d+): bind: (?:address already in use|Only one usage of each socket address|An attempt was made to access a socket in a way forbidden)/i, // userland proxy, Desktop, Podman, Windows
  /failed to bind host port (?:for )?\S*?:(\d+)[:/]/i, // Docker Engine 28 and later
  /Ports are not available: exposing port \w+ \S*?:(\d+)/i, // Docker Desktop
]
const PORT_CONFLICT_WORDS =
  /port is already allocated|address already in use|failed to bind host port|Ports are not available|Only one usage of each socket address|forbidden by its access permissions|EADDRINUSE/i

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
   * Which of IMAGES exist locally, in one `docker image inspect` call. Docker prints the images
   * it has as a JSON array on stdout and one error line per missing one on stderr (exit 1); the
   * stderr wording names an image in docker's familiar form, not as written (`nginx` comes back
   * as `nginx:latest`), and changes between engines. So presence is read from stdout, matched
   * by docker's reference rules (lib/imageref.ts); stderr only says whether the call failed for
   * another reason (daemon down), which is an error, not a list of absent images.
   */
  async localImages(images: readonly string[]): Promise<{ present: string[]; absent: string[]; listed: LocalImage[] }> {
    if (images.length === 0) return { present: [], absent: [], listed: [] }
    const r = await this.run('docker', ['image', 'inspect', ...images])
    if (r.code === 127) throw new OperationError('docker is not installed (not on PATH)', 'install Docker (Docker Desktop, colima or docker-ce)')
    const problem = r.stderr.split('\n').map((l) => l.trim()).find((l) => l !== '' && !PER_IMAGE_ERROR.test(l))
    if (r.code !== 0 && problem !== undefined) {
      if (dockerFailure(problem)?.kind === 'docker-down') throw new OperationError('the Docker daemon is not running', DOCKER_DOWN_HINT)
      throw new OperationError(`docker image inspect failed: ${problem}`)
    }
    const listed = parseInspect(r.stdout)
    const present = images.filter((image) => referenceMatches(image, listed))
    return { present, absent: images.filter((image) => !present.includes(image)), listed }
  }

  private async mustSucceed(what: string, args: string[]): Promise<RunResult> {
    const r = await this.run('docker', args)
    if (r.code === 127) throw new OperationError('docker is not installed (not on PATH)', 'install Docker (Docker Desktop, colima or docker-ce)')
    if (r.code !== 0) {
      const text = `${r.stderr}\n${r.stdout}`
      if (dockerFailure(text)?.kind === 'docker-down') throw new OperationError('the Docker daemon is not running', DOCKER_DOWN_HINT)
      const line = r.stderr.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? `exit code ${r.code}`
      throw new OperationError(`${what} failed: ${line.replace(/^Error response from daemon: /, '')}`)
    }
    return r
  }

  /** `docker tag SOURCE TARGET`. */
  async tag(source: string, target: string): Promise<void> {
    await this.mustSucceed(`docker tag ${source} ${target}`, ['tag', source, target])
  }

  /** `docker push REF` (the daemon pushes: `localhost` is the daemon's host). */
  async push(ref: string): Promise<void> {
    await this.mustSucceed(`docker push ${ref}`, ['push', ref])
  }

  /**
   * `docker info` as JSON, for the doctor: which engine this is and what it has. With the daemon
   * down the CLI still prints its client part (ServerVersion empty) and exits 1.
   */
  async info(): Promise<DockerInfo> {
    const r = await this.mustSucceed('docker info', ['info', '--format', '{{json .}}'])
    try {
      return JSON.parse(r.stdout) as DockerInfo
    } catch {
      throw new OperationError('docker info --format {{json .}} printed something that is not JSON')
    }
  }

  /** Every docker network with its IPv4 subnets: `docker network ls -q`, then one `docker network inspect`. */
  async networks(): Promise<DockerNetwork[]> {
    const ids = (await this.mustSucceed('docker network ls', ['network', 'ls', '-q'])).stdout.split('\n').map((l) => l.trim()).filter(Boolean)
    if (ids.length === 0) return []
    const r = await this.mustSucceed('docker network inspect', ['network', 'inspect', ...ids])
    let data: unknown
    try {
      data = JSON.parse(r.stdout)
    } catch {
      throw new OperationError('docker network inspect printed something that is not JSON')
    }
    if (!Array.isArray(data)) return []
    return (data as Array<{ Name?: string; Driver?: string; IPAM?: { Config?: Array<{ Subnet?: string }> | null } }>).map((n) => ({
      name: n.Name ?? '',
      driver: n.Driver ?? '',
      subnets: (n.IPAM?.Config ?? []).map((c) => c.Subnet ?? '').filter((x) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(x)),
    }))
  }
}

/** The fields of `docker info` the doctor reads (moby api/types/system.Info). */
export interface DockerInfo {
  ServerVersion?: string
  OperatingSystem?: string
  Name?: string
  MemTotal?: number
  NCPU?: number
  SecurityOptions?: string[] | null
  DefaultAddressPools?: Array<{ Base: string; Size: number }> | null
  ClientInfo?: { Context?: string; Version?: string }
  [key: string]: unknown
}

export interface DockerNetwork {
  name: string
  driver: string
  /** IPv4 subnets (`172.18.0.0/16`). */
  subnets: string[]
}

/** A line of `docker image inspect` stderr about one reference: it is absent or not a valid name. */
const PER_IMAGE_ERROR = /no such image|invalid reference format/i

/** stdout of `docker image inspect` (a JSON array, `[]` when nothing matched) into the images it lists. */
function parseInspect(stdout: string): LocalImage[] {
  return jsonRecords(stdout, 'docker image inspect') as LocalImage[]
}
