// Running the entry points as a user would interrupt them: detached (a process group of their
// own, like a terminal's foreground job), signalled, their stdout closed early; and reading what
// they left behind.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import path from 'node:path'
import { fs } from 'zx'
import { parseProcStat } from '../../lib/owner.ts'
import { REPO_ROOT } from './sandbox.ts'
import type { Sandbox } from './sandbox.ts'

export const DEV_UP = path.join(REPO_ROOT, 'scripts', 'dev-up-multi.ts')
export const MANAGER = path.join(REPO_ROOT, 'scripts', 'cluster-manager.ts')

export interface Finished {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface Started {
  child: ChildProcess
  pid: number
  done: Promise<Finished>
  /** Closes our end of its stdout: its next write meets EPIPE, as under `| head -1`. */
  closeStdout(): void
}

/** Starts SCRIPT as the leader of its own process group, stdout and stderr captured. */
export function start(sb: Sandbox, script: string, args: string[], cwd: string, env: Record<string, string> = {}): Started {
  const child = spawn(script, args, { cwd, env: { ...sb.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => (stdout += d))
  child.stdout?.on('error', () => undefined)
  child.stderr?.on('data', (d: Buffer) => (stderr += d))
  // On exit, not on close: an orphan it left (a killed run's child) may hold its pipes for long.
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()))
  const done = new Promise<Finished>((resolve) =>
    child.on('exit', async (code, signal) => {
      await Promise.race([closed, sleep(1000)])
      resolve({ code, signal, stdout, stderr })
    }),
  )
  return {
    child,
    pid: child.pid ?? 0,
    done,
    closeStdout: () => child.stdout?.destroy(),
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Waits until PRED holds (polled every 20 ms), at most MS; false when it never did. */
export async function until(pred: () => boolean | Promise<boolean>, ms = 20_000): Promise<boolean> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await pred()) return true
    await sleep(20)
  }
  return false
}

/** The simulator was called with TOOL and args starting with PREFIX. */
export const called = (sb: Sandbox, tool: 'k3d' | 'kubectl' | 'docker', ...prefix: string[]) =>
  sb.calls(tool).some((c) => prefix.every((p, i) => c.args[i] === p))

export const configDir = (sb: Sandbox) => path.join(sb.home, '.config', 'threads-agent')
export const metaFile = (sb: Sandbox, name: string) => path.join(configDir(sb), 'clusters', `${name}.json`)
export const kubeconfigFile = (sb: Sandbox, name: string) => path.join(sb.home, '.kube', 'threads-agent', `config-${name}`)

export interface SimCluster {
  name: string
  running: boolean
  creating: boolean
  images: string[]
}

/** The simulator's clusters, read from its state file (no process started). */
export async function simClusters(sb: Sandbox): Promise<SimCluster[]> {
  const state = await fs.readJson(path.join(sb.state, 'state.json')).catch(() => ({ clusters: {} }))
  return Object.values(state.clusters ?? {}) as SimCluster[]
}

/** The simulator's Kubernetes objects of NAME: node labels and configmaps. */
export async function simKube(sb: Sandbox, name: string): Promise<{ nodes: Record<string, { labels: Record<string, string> }>; configmaps: Record<string, unknown> } | null> {
  return fs.readJson(path.join(sb.state, 'kube', `${name}.json`)).catch(() => null)
}

/**
 * The port lock's generations that still name an owner (held, or left by a dead run). A released
 * generation stays, emptied, as the top number (see lib/lock.ts releaseLock): it holds nothing.
 */
export async function heldLocks(lockDir: string): Promise<string[]> {
  const gens = (await entries(lockDir)).filter((e) => /^\d+$/.test(e))
  const held = await Promise.all(gens.map((g) => fs.pathExists(path.join(lockDir, g, 'owner'))))
  return gens.filter((_, i) => held[i])
}

/** Files in DIR (none when it does not exist). */
export async function entries(dir: string): Promise<string[]> {
  return (await fs.readdir(dir).catch(() => [] as string[])).sort()
}

/** Every process whose environment names this sandbox's simulator state (Linux; [] elsewhere). */
export async function sandboxProcesses(sb: Sandbox): Promise<number[]> {
  const mark = `K3D_SIM_STATE=${sb.state}\0`
  const pids = (await fs.readdir('/proc').catch(() => [] as string[])).filter((p) => /^\d+$/.test(p))
  const found: number[] = []
  for (const pid of pids) {
    const env = await fs.readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '')
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
    if (env.includes(mark) && parseProcStat(stat)?.state !== 'Z') found.push(Number(pid))
  }
  return found
}
