// What the benchmark's rows run against: sandboxes with the simulator, seeded clusters, and
// timing shims that tell the tools' time apart from ours.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { BIN_DIR, makeSandbox } from '../test/helpers/sandbox.ts'
import type { RunResult, Sandbox } from '../test/helpers/sandbox.ts'
import { probeHostPort } from '../lib/ports.ts'
import { unionLength } from './stats.ts'

/** A checkout whose scripts a row runs: this tree, or another one to compare with (--compare). */
export interface Tree {
  label: string
  root: string
  manager: string
  devUp: string
}

export function treeAt(label: string, root: string): Tree {
  return { label, root, manager: path.join(root, 'scripts', 'cluster-manager.ts'), devUp: path.join(root, 'scripts', 'dev-up-multi.ts') }
}

export async function must(sb: Sandbox, cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<RunResult> {
  const r = await sb.run(cmd, args, opts)
  if (r.code !== 0) throw new Error(`${path.basename(cmd)} ${args.join(' ')}: exit ${r.code}: ${r.stderr.trim().split('\n').pop()}`)
  return r
}

/** Ports from a high range, probed free, so the seeds do not trip over the machine's own listeners. */
let nextPort = 20000
async function freePort(): Promise<number> {
  while (!(await probeHostPort(nextPort))) nextPort++
  return nextPort++
}

/** COUNT clusters in the simulator, each with the metadata file a bootstrap writes. */
export async function seedClusters(sb: Sandbox, count: number): Promise<string[]> {
  // One docker network per cluster: docker's default address pools hold 31 (the simulator counts
  // them as moby does). A machine with 100 clusters has `default-address-pools` widened in
  // daemon.json, here 256 subnets of 10.0.0.0/16.
  sb.env.K3D_SIM_DOCKER_INFO = JSON.stringify({ DefaultAddressPools: [{ Base: '10.0.0.0/16', Size: 24 }] })
  const names = Array.from({ length: count }, (_, i) => `bench-${String(i).padStart(3, '0')}`)
  const metaDir = path.join(sb.home, '.config', 'threads-agent', 'clusters')
  await mkdir(metaDir, { recursive: true })
  for (let i = 0; i < names.length; i += 8) {
    await Promise.all(
      names.slice(i, i + 8).map(async (name) => {
        const lb = await freePort()
        const api = await freePort()
        await must(sb, 'k3d', ['cluster', 'create', name, '-p', `${lb}:80@loadbalancer`, '--api-port', String(api), '--kubeconfig-update-default=false'])
        await writeFile(
          path.join(metaDir, `${name}.json`),
          JSON.stringify({
            name, repository: 'bench', developer: 'Bench', email: 'b@example.com', lb_port: lb, api_port: api,
            kubeconfig: path.join(sb.home, '.kube', 'threads-agent', `config-${name}`),
            created_at: '2026-01-01T00:00:00Z', k3d_version: 'v5.8.3', shared: false,
          }),
        )
      }),
    )
  }
  return names
}

export const TIMED_TOOLS = ['k3d', 'kubectl', 'docker', 'git'] as const
export type TimedTool = (typeof TIMED_TOOLS)[number]

/**
 * A directory of sh shims, first on PATH, that run the real tool (the simulator's k3d, kubectl and
 * docker; the machine's git) and append `TOOL START_NS END_NS` to a log. The shim's own sh start
 * is counted as ours, which can only make our overhead look larger.
 */
export async function timingShims(dir: string, log: string, pathEnv: string): Promise<void> {
  await mkdir(dir, { recursive: true })
  const rest = pathEnv.split(':').filter((p) => p && p !== dir && p !== BIN_DIR).join(':')
  for (const tool of TIMED_TOOLS) {
    const real = tool === 'git' ? execFileSync('sh', ['-c', 'command -v git'], { env: { PATH: rest }, encoding: 'utf8' }).trim() : path.join(BIN_DIR, tool)
    await writeFile(
      path.join(dir, tool),
      `#!/bin/sh\ns=$(date +%s%N)\n'${real}' "$@"\nrc=$?\necho "${tool} $s $(date +%s%N)" >> '${log}'\nexit $rc\n`,
      { mode: 0o755 },
    )
  }
}

export interface ToolTimes {
  /** Milliseconds covered by any tool call (parallel calls counted once). */
  totalMs: number
  perTool: Record<TimedTool, { calls: number; ms: number }>
}

export function readToolTimes(log: string): ToolTimes {
  let text = ''
  try {
    text = readFileSync(log, 'utf8')
  } catch {
    // no tool ran
  }
  const entries = text
    .split('\n')
    .map((line) => line.trim().split(' '))
    .filter((f): f is [string, string, string] => f.length === 3 && /^\d+$/.test(f[1]!) && /^\d+$/.test(f[2]!))
    .map(([tool, s, e]) => ({ tool, start: BigInt(s), end: BigInt(e) }))
  // Nanoseconds since the epoch exceed 2^53: measure from the first start, in BigInt, then in ms.
  const base = entries.reduce((m, x) => (x.start < m ? x.start : m), entries[0]?.start ?? 0n)
  const ms = (ns: bigint) => Number(ns - base) / 1e6
  const all: Array<[number, number]> = []
  const perTool = Object.fromEntries(TIMED_TOOLS.map((t) => [t, { calls: 0, ms: 0 }])) as ToolTimes['perTool']
  const byTool = new Map<string, Array<[number, number]>>()
  for (const { tool, start, end } of entries) {
    const iv: [number, number] = [ms(start), ms(end)]
    all.push(iv)
    byTool.set(tool, [...(byTool.get(tool) ?? []), iv])
  }
  for (const [tool, ivs] of byTool) {
    if (tool in perTool) perTool[tool as TimedTool] = { calls: ivs.length, ms: unionLength(ivs) }
  }
  return { totalMs: unionLength(all), perTool }
}

export { makeSandbox }
export type { Sandbox }
