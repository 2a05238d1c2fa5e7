// A throw-away HOME and simulator state per test, with the k3d/kubectl/docker simulator first on PATH.
import { spawn } from 'node:child_process'
import { after } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { accessSync, constants, readFileSync } from 'node:fs'
import { mkdtemp, mkdir, rm } from 'node:fs/promises'
import { constants as osConstants, tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT: string = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const BIN_DIR: string = path.join(REPO_ROOT, 'test', 'fixtures', 'bin')

/** What `npx just` runs: rust-just's node wrapper, which finds the binary of this platform and starts it. */
export const JUST_WRAPPER: string = path.join(REPO_ROOT, 'node_modules', '.bin', 'just')

/**
 * The just binary itself, found as the wrapper finds it (rust-just's lib/index.mjs: the package
 * rust-just-OS-ARCH); the wrapper when it is not there. Tests of recipes use it: the wrapper is
 * a node process (execa, yargs) costing ~150 ms of CPU per call and changes nothing just does;
 * justfile.test.ts still runs `npx just` through the wrapper.
 */
export const JUST: string = (() => {
  try {
    const file = fileURLToPath(import.meta.resolve(`rust-just-${process.platform}-${process.arch}/bin/just`))
    accessSync(file, constants.X_OK)
    return file
  } catch {
    return JUST_WRAPPER
  }
})()

/**
 * The environment in which the scripts start as a user's do: from the startup snapshot. Under
 * `npm test` c8 sets NODE_V8_COVERAGE, and with it tools/launch.sh starts the bundle (V8 reports
 * only part of what code from a snapshot runs), so a run with this goes without coverage. Empty,
 * not unset: Node hands its own NODE_V8_COVERAGE to every child whose environment lacks the name.
 */
export const FROM_SNAPSHOT: Readonly<Record<string, string>> = { NODE_V8_COVERAGE: '' }

/** The environment of a run started from FROM: the snapshot, or (under c8) the bundle. */
export const startFrom = (from: 'bundle' | 'snapshot'): Readonly<Record<string, string>> => (from === 'snapshot' ? FROM_SNAPSHOT : {})

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

interface RunOptions {
  /** Spawned even in an in-process sandbox (the start-up path is what is looked at). */
  endToEnd?: boolean
  cwd?: string
  env?: Record<string, string | undefined>
  input?: string
  timeoutMs?: number
}

export interface Sandbox {
  root: string
  home: string
  state: string
  env: NodeJS.ProcessEnv
  /** Spawns cmd without a shell (cwd defaults to the current directory); never rejects on a non-zero exit. */
  run(cmd: string, args: string[], opts?: RunOptions): Promise<RunResult>
  calls(tool?: 'k3d' | 'kubectl' | 'docker'): Array<{ tool: string; args: string[] }>
  cleanup(): Promise<void>
}

function baseEnv(home: string, state: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    // THREADS_AGENT_*: set by the justfile (`just test`) or a cluster shell; a test sets its own.
    if (k === 'KUBECONFIG' || k.startsWith('K3D_SIM_') || k.startsWith('THREADS_AGENT_')) continue
    env[k] = v
  }
  env.PATH = `${BIN_DIR}:${process.env.PATH ?? ''}`
  env.HOME = home
  env.K3D_SIM_STATE = state
  env.NO_COLOR = '1'
  env.GIT_CONFIG_NOSYSTEM = '1'
  env.GIT_CONFIG_GLOBAL = path.join(home, '.gitconfig')
  return env
}

/**
 * Spawns CMD with ARGS and exactly ENV (no shell), INPUT on its stdin; never rejects on a
 * non-zero exit. A program that is not there is 127 (126 when it cannot run), one killed after
 * TIMEOUTMS is 124 with a line saying so, one ended by a signal 128 + its number.
 */
export function spawnRun(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv, opts: { cwd?: string; input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, [...args], { cwd: opts.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    const errOut: Buffer[] = []
    let timedOut = false
    let settled = false
    const timer =
      opts.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true
            child.kill('SIGKILL')
          }, opts.timeoutMs)
        : undefined
    const finish = (r: RunResult) => {
      if (settled) return
      settled = true
      if (timer) clearTimeout(timer)
      resolve(r)
    }
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => errOut.push(b))
    child.on('error', (e: NodeJS.ErrnoException) => {
      finish({ code: e.code === 'ENOENT' ? 127 : 126, stdout: '', stderr: `${cmd}: ${e.message}\n` })
    })
    child.on('close', (code, signal) => {
      let stderr = Buffer.concat(errOut).toString('utf8')
      if (timedOut) stderr += `\n[sandbox] ${cmd} killed after ${opts.timeoutMs} ms\n`
      finish({
        code: timedOut ? 124 : (code ?? 128 + (signal ? osConstants.signals[signal] : 0)),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr,
      })
    })
    child.stdin.on('error', () => {
      /* the child may exit without reading its input */
    })
    child.stdin.end(opts.input ?? '')
  })
}

export interface SandboxOptions {
  /**
   * Run the scripts (by their paths below) and the simulated k3d, kubectl and docker in the
   * test's own process (helpers/inprocess.ts), queued one at a time; other programs, and runs
   * with a timeout or of `exec` / `shell` (they hand the terminal to a program), are spawned.
   * For tests of what a command does, not of the process it runs in.
   */
  inProcess?: boolean
}

const MANAGER = path.join(REPO_ROOT, 'scripts', 'cluster-manager.ts')
const DEV_UP = path.join(REPO_ROOT, 'scripts', 'dev-up-multi.ts')
const HANDS_OVER_TERMINAL = new Set(['exec', 'shell'])

/** The in-process run of CMD ARGS, or null when it must be spawned. */
async function inProcessRun(cmd: string, args: string[], env: NodeJS.ProcessEnv, opts: RunOptions): Promise<RunResult | null> {
  if (opts.timeoutMs !== undefined || opts.endToEnd) return null
  const ip = await import('./inprocess.ts')
  const cwd = opts.cwd ?? process.cwd()
  const file = ip.whichIn(cmd, env, cwd)
  if (file === MANAGER && !HANDS_OVER_TERMINAL.has(args[0] ?? '')) {
    const { clusterManager } = await import('../../lib/commands/index.ts')
    return ip.runProgram(clusterManager, cmd, args, { env, cwd, input: opts.input, simBin: BIN_DIR })
  }
  if (file === DEV_UP) {
    const { devUpMulti, BOOTSTRAP_USAGE } = await import('../../lib/bootstrap/index.ts')
    return ip.runProgram(devUpMulti, cmd, args, { env, cwd, input: opts.input, usage: BOOTSTRAP_USAGE, simBin: BIN_DIR })
  }
  if (file !== null && path.dirname(file) === BIN_DIR) {
    const { simulate } = await import('../fixtures/sim/inprocess.mjs')
    return simulate(path.basename(file), args, { env, input: opts.input })
  }
  return null
}

export async function makeSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const root = await mkdtemp(path.join(tmpdir(), 'k3d-sandbox-'))
  const home = path.join(root, 'home')
  const state = path.join(root, 'sim')
  await mkdir(home, { recursive: true })
  await mkdir(state, { recursive: true })
  const env = baseEnv(home, state)

  const run = async (cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> => {
    const childEnv: NodeJS.ProcessEnv = { ...env }
    for (const [k, v] of Object.entries(opts.env ?? {})) {
      if (v === undefined) delete childEnv[k]
      else childEnv[k] = v
    }
    if (options.inProcess) {
      const done = await inProcessRun(cmd, args, childEnv, opts)
      if (done) return done
    }
    return spawnRun(cmd, args, childEnv, opts)
  }

  const calls = (tool?: 'k3d' | 'kubectl' | 'docker'): Array<{ tool: string; args: string[] }> => {
    let text = ''
    try {
      text = readFileSync(path.join(state, 'calls.log'), 'utf8')
    } catch {
      return []
    }
    const all: Array<{ tool: string; args: string[] }> = []
    for (const line of text.split('\n')) {
      if (!line.trim()) continue
      const entry = JSON.parse(line) as { tool: string; args: string[] }
      if (!tool || entry.tool === tool) all.push(entry)
    }
    return all
  }

  const cleanup = async (): Promise<void> => {
    await rm(root, { recursive: true, force: true })
  }

  return { root, home, state, env, run, calls, cleanup }
}

/** A sandbox that is removed when test T ends. */
export async function sandboxFor(t: { after(fn: () => unknown): void }, options: SandboxOptions = {}): Promise<Sandbox> {
  const sb = await makeSandbox(options)
  t.after(() => sb.cleanup())
  return sb
}

/**
 * A maker of temporary directories for unit tests, all removed once the test file's tests are
 * done (call it at the top level of a test file): unit tests leave nothing in the temp dir.
 */
export function tempDirs(prefix: string): () => Promise<string> {
  const made: string[] = []
  after(() => Promise.all(made.map((d) => rm(d, { recursive: true, force: true }))))
  return async () => {
    const dir = await mkdtemp(path.join(tmpdir(), prefix))
    made.push(dir)
    return dir
  }
}

/** R, after asserting it exited 0 (the message shows WHAT, the exit code and both outputs). */
export function ok(r: RunResult, what = 'command'): RunResult {
  assert.equal(r.code, 0, `${what} failed (exit ${r.code})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
  return r
}

/** N distinct ports that are free right now (the OS picks them; never fixed numbers). */
export async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>()
  while (ports.size < n) {
    const srv = net.createServer()
    await new Promise<void>((resolve) => srv.listen(0, '0.0.0.0', resolve))
    ports.add((srv.address() as net.AddressInfo).port)
    await new Promise<void>((resolve) => srv.close(() => resolve()))
  }
  return [...ports]
}
