import type { Runner } from './proc.ts'
import { run as realRun } from './proc.ts'

export const DOCKER_DOWN = /Cannot connect to the Docker daemon|Is the docker daemon running|error during connect/i

export class Docker {
  constructor(private readonly run: Runner = realRun) {}

  /** Null when the daemon answers, else the one line that says why not. */
  async unreachable(): Promise<string | null> {
    const r = await this.run('docker', ['info'])
    if (r.code === 0) return null
    if (r.code === 127) return 'docker is not installed (not on PATH)'
    return DOCKER_DOWN.test(r.stderr + r.stdout) ? 'the Docker daemon is not running' : r.stderr.trim().split('\n')[0] || 'docker info failed'
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
