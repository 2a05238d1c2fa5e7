import path from 'node:path'
import { runtimeInfo } from '../runtime.ts'
import type { RuntimeInfo } from '../runtime.ts'
import type { OperationOf } from './args.ts'
import type { Context } from './context.ts'

export interface VersionInfo {
  program: string
  version: string
  node: string
  runner: RuntimeInfo['runner']
  /** The project directory the code runs from. */
  root: string
  /** The justfile the user came through, or null. */
  justfile: string | null
}

export function versionInfo(program: string, env: NodeJS.ProcessEnv, info: RuntimeInfo = runtimeInfo()): VersionInfo {
  return {
    program,
    version: info.version,
    node: info.node,
    runner: info.runner,
    root: path.resolve(path.dirname(info.file), '..'),
    justfile: env.THREADS_AGENT_JUSTFILE || null,
  }
}

/** Pure: the lines of `--version` (k3d's style: what, then the versions it runs with). */
export function versionLines(v: VersionInfo): string[] {
  const runner = { snapshot: 'the startup snapshot', bundle: 'the prebuilt bundle', tsx: 'tsx (TypeScript sources)', node: "Node's own TypeScript support" }[v.runner]
  return [
    `${v.program} version ${v.version}`,
    `node version ${v.node}`,
    `run by ${runner} from ${v.root}${v.justfile ? `, through just (${v.justfile})` : ''}`,
  ]
}

/** `--version` of both scripts (dev-up-multi calls this before parsing its own flags). */
export function printVersion(program: string, env: NodeJS.ProcessEnv, json = false, write = (s: string) => process.stdout.write(s)): void {
  const v = versionInfo(program, env)
  write(json ? `${JSON.stringify(v, null, 2)}\n` : `${versionLines(v).join('\n')}\n`)
}

/** `dev-up-multi --version` / `dev-up-multi version`, recognised before the bootstrap's own parsing. */
export function asksVersion(argv: readonly string[]): boolean {
  return argv.includes('--version') || (argv.length === 1 && argv[0] === 'version')
}

export async function run(ctx: Context, op: OperationOf<'version'>): Promise<void> {
  const v = versionInfo('cluster-manager', ctx.env)
  if (op.json) return ctx.out.json(v)
  for (const line of versionLines(v)) ctx.out.line(line)
}
