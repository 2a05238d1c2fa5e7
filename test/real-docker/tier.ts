// What every file of the real-docker tier shares: the private daemon the runner (run.ts) started,
// and the recorded texts (test/fixtures/real/docker-MAJOR.MINOR.json) its answers are checked
// against, or, with `npm run test:docker -- --record`, written to.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { $ } from 'zx'
import type { DockerResult } from './daemon.ts'

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..')

/** Set by run.ts: the private daemon's socket, its directory, and the image it imported. */
export const tier = {
  host: process.env.REAL_DOCKER_HOST ?? '',
  dir: process.env.REAL_DOCKER_DIR ?? '',
  image: process.env.REAL_DOCKER_IMAGE ?? '',
  network: process.env.REAL_DOCKER_NETWORK ?? '',
  registry: process.env.REAL_DOCKER_REGISTRY ?? '',
}

/**
 * Why this file's tests cannot run: the runner found no dockerd or no root (its one line), or the
 * file was started without the runner, which alone owns a daemon (these tests never talk to
 * whatever daemon DOCKER_HOST or the default socket would reach).
 */
export const skipReason: string | false =
  process.env.REAL_DOCKER_SKIP || (tier.host.startsWith('unix://') ? false : 'run through `npm run test:docker`, which starts the private daemon these tests use')

/** The docker CLI, pointed at the private daemon only. */
export async function docker(args: readonly string[]): Promise<DockerResult> {
  const r = await $({ quiet: true, nothrow: true, env: dockerEnv() })`docker ${args}`
  return { code: r.exitCode ?? 1, stdout: r.stdout, stderr: r.stderr }
}

/** Environment for a child that must reach the private daemon (and only it). */
export function dockerEnv(): NodeJS.ProcessEnv {
  return { ...process.env, DOCKER_HOST: tier.host, DOCKER_CONTEXT: undefined, DOCKER_CONFIG: path.join(tier.dir, 'cli') }
}

/** A recorded exchange: the command (variables as <<name>>), its exit code and both streams. */
export interface Recorded {
  command: string[]
  exit: number
  stdout: string
  stderr: string
}

/**
 * TEXT with what differs between runs replaced by <<name>>: each of VARS' values (longest first),
 * then any other 64-hex object ID as <<id>>.
 */
export function template(text: string, vars: Record<string, string | number> = {}): string {
  let out = text
  const entries = Object.entries(vars).map(([k, v]) => [k, String(v)] as const).sort((a, b) => b[1].length - a[1].length)
  for (const [name, value] of entries) if (value) out = out.split(value).join(`<<${name}>>`)
  return out.replace(/\b[0-9a-f]{64}\b/g, '<<id>>')
}

let recordings: { daemon?: string; captures?: Record<string, Recorded> } | null | undefined

/** The committed recordings for the daemon the tier runs, if there are any. */
export function recordingsFor(daemonVersion: string): Record<string, Recorded> | null {
  if (recordings === undefined) {
    const file = recordingFile(daemonVersion)
    try {
      recordings = JSON.parse(readFileSync(file, 'utf8'))
    } catch {
      recordings = null
    }
  }
  return recordings?.captures ?? null
}

export function recordingFile(daemonVersion: string): string {
  const [major, minor] = daemonVersion.split('.')
  return path.join(REPO_ROOT, 'test', 'fixtures', 'real', `docker-${major}.${minor}.json`)
}

/**
 * Keeps what the daemon answered (templated) for run.ts to write with --record, and returns it
 * with the committed recording of the same exchange (null when this daemon has none).
 */
export function capture(id: string, command: readonly string[], r: DockerResult, vars: Record<string, string | number> = {}, project?: (stdout: string) => string): { live: Recorded; recorded: Recorded | null } {
  const live: Recorded = {
    command: command.map((a) => template(a, vars)),
    exit: r.code,
    stdout: template(project ? project(r.stdout) : r.stdout, vars),
    stderr: template(r.stderr, vars),
  }
  const dir = path.join(tier.dir, 'captures')
  mkdirSync(dir, { recursive: true })
  writeFileSync(path.join(dir, `${id}.json`), JSON.stringify(live, null, 2))
  return { live, recorded: recordingsFor(process.env.REAL_DOCKER_SERVER_VERSION ?? '')?.[id] ?? null }
}

/** Why a capture has nothing to be compared with (no recording for this daemon yet), or false. */
export function noRecording(): string | false {
  if (process.env.REAL_DOCKER_RECORD) return 'recording this run (--record): nothing to compare with'
  const version = process.env.REAL_DOCKER_SERVER_VERSION ?? ''
  return recordingsFor(version)
    ? false
    : `no recording for daemon ${version} in ${path.relative(REPO_ROOT, recordingFile(version))}; make one with npm run test:docker -- --record`
}
