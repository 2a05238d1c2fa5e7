// The in-process layer: a fake runner that records every argv and replays scripted outputs (in
// the style of ctlptl's FakeCmdRunner), and cluster-manager's commands run in this process with
// it, through the same program body and frame as scripts/cluster-manager.ts (helpers/inprocess.ts). A call
// nobody scripted fails the command: a test says what the tools answer, or the call is a bug.
import path from 'node:path'
import type { Runner, RunResult } from '../../lib/proc.ts'
import { paths } from '../../lib/paths.ts'
import { clusterManager } from '../../lib/commands/index.ts'
import { runProgram } from './inprocess.ts'

type Reply = Partial<RunResult> | ((args: readonly string[]) => Partial<RunResult>)

export class FakeRunner {
  readonly calls: string[] = []
  private readonly rules: Array<{ prefix: string[]; reply: Reply }> = []

  /** Answers every call whose argv starts with PREFIX (`['k3d', 'cluster', 'list']`); later rules win. */
  on(prefix: string[], reply: Reply): this {
    this.rules.unshift({ prefix, reply })
    return this
  }

  readonly run: Runner = async (cmd, args) => {
    const argv = [cmd, ...args]
    this.calls.push(argv.join(' '))
    const rule = this.rules.find((r) => r.prefix.every((p, i) => argv[i] === p))
    if (!rule) return { code: 127, stdout: '', stderr: `fake runner: nothing scripted for: ${argv.join(' ')}\n` }
    const reply = typeof rule.reply === 'function' ? rule.reply(args) : rule.reply
    return { code: 0, stdout: '', stderr: '', ...reply }
  }
}

/** What `k3d cluster list -o json` prints for CLUSTERS (the shape of k3d v5, as the reference beside this repository records it). */
export function k3dList(clusters: Array<{ name: string; lb: number; api: number; running?: boolean; hostIp?: string }>): string {
  return JSON.stringify(
    clusters.map(({ name, lb, api, running = true, hostIp = '0.0.0.0' }) => ({
      name,
      nodes: [
        { name: `k3d-${name}-server-0`, role: 'server', serverOpts: { kubeAPI: { Port: '', Binding: { HostIp: hostIp, HostPort: String(api) } } }, State: { Running: running, Status: running ? 'running' : 'exited' } },
        { name: `k3d-${name}-agent-0`, role: 'agent', State: { Running: running, Status: running ? 'running' : 'exited' } },
        { name: `k3d-${name}-serverlb`, role: 'loadbalancer', portMappings: { '80/tcp': [{ HostIp: hostIp, HostPort: String(lb) }], '6443/tcp': [{ HostIp: hostIp, HostPort: String(api) }] }, State: { Running: running, Status: running ? 'running' : 'exited' } },
      ],
      serversRunning: running ? 1 : 0,
      serversCount: 1,
      agentsRunning: running ? 1 : 0,
      agentsCount: 1,
      hasLoadbalancer: true,
    })),
  )
}

export interface InProcessResult extends RunResult {
  calls: string[]
}

/**
 * Runs `cluster-manager ARGV` in this process with HOME and the fake RUNNER, as
 * helpers/inprocess.ts runs the script: the same program body and frame (one ✗ line, the exit
 * code of the error's kind), only the runner differs.
 */
export async function manager(argv: string[], opts: { home: string; runner: FakeRunner; cwd?: string; env?: NodeJS.ProcessEnv }): Promise<InProcessResult> {
  const env = { PATH: process.env.PATH, ...opts.env, HOME: opts.home, NO_COLOR: '1' }
  const r = await runProgram(clusterManager, 'cluster-manager', argv, { env, cwd: opts.cwd, simBin: '', runner: opts.runner.run })
  return { ...r, calls: opts.runner.calls }
}

export const metaPath = (home: string, name: string) => path.join(paths(home).metaDir, `${name}.json`)
