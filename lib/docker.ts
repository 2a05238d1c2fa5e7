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

  /** Which of IMAGES exist locally (one inspect each, run in parallel). */
  async localImages(images: readonly string[]): Promise<{ present: string[]; absent: string[] }> {
    const found = await Promise.all(images.map(async (img) => (await this.run('docker', ['image', 'inspect', img])).code === 0))
    return { present: images.filter((_, i) => found[i]), absent: images.filter((_, i) => !found[i]) }
  }
}
