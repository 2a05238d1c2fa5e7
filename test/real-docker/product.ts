// The product's entry points as a user runs them in the real-docker tier: the real docker CLI and
// daemon, with k3d and kubectl from the simulator (k3d and its k3s images cannot be had here),
// which then takes its image list from the real daemon (K3D_SIM_IMAGES_FROM_DOCKER=1).
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { BIN_DIR, REPO_ROOT, makeSandbox } from '../helpers/sandbox.ts'
import type { RunResult, Sandbox } from '../helpers/sandbox.ts'
import { dockerEnv } from './tier.ts'

export const DEV_UP = path.join(REPO_ROOT, 'scripts', 'dev-up-multi.ts')
export const MANAGER = path.join(REPO_ROOT, 'scripts', 'cluster-manager.ts')

export interface Tool {
  sb: Sandbox
  run(cmd: string, args: string[], cwd?: string): Promise<RunResult>
}

/** A sandbox whose PATH has the simulator's k3d and kubectl but the real docker. */
export async function productSandbox(t: { after(fn: () => unknown): void }): Promise<Tool> {
  const sb = await makeSandbox()
  t.after(() => sb.cleanup())
  const bin = path.join(sb.root, 'bin')
  await mkdir(bin)
  for (const tool of ['k3d', 'kubectl']) {
    await writeFile(path.join(bin, tool), `#!/bin/sh\nexec '${path.join(BIN_DIR, tool)}' "$@"\n`, { mode: 0o755 })
  }
  const d = dockerEnv()
  const env = {
    PATH: `${bin}:${(process.env.PATH ?? '').split(':').filter((p) => p !== BIN_DIR).join(':')}`,
    DOCKER_HOST: d.DOCKER_HOST,
    DOCKER_CONFIG: d.DOCKER_CONFIG,
    DOCKER_CONTEXT: undefined,
    K3D_SIM_IMAGES_FROM_DOCKER: '1',
  }
  return { sb, run: (cmd, args, cwd) => sb.run(cmd, args, { cwd, env }) }
}
