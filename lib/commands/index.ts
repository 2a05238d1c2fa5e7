import { UsageError } from '../errors.ts'
import { explainFsError } from '../fsproblem.ts'
import { usageHint } from '../invocation.ts'
import type { ProgramIo } from '../program.ts'
import type { Operation, OperationKind, OperationOf } from './args.ts'
import { parseArgs, USAGE_HINT } from './args.ts'
import type { Context } from './context.ts'
import { makeContext } from './context.ts'

type Command<K extends OperationKind> = { run(ctx: Context, op: OperationOf<K>): Promise<number | void> }

/**
 * Operation kind → the module that runs it, loaded on demand so a cheap command (`current`)
 * does not pay for the others. A kind without an entry is an unknown command.
 */
export const COMMANDS: { [K in OperationKind]?: () => Promise<Command<K>> } = {
  help: () => import('./help.ts'),
  list: () => import('./list.ts'),
  current: () => import('./current.ts'),
  info: () => import('./info.ts'),
  switch: () => import('./switch.ts'),
  delete: () => import('./delete.ts'),
  resources: () => import('./resources.ts'),
  cleanup: () => import('./cleanup.ts'),
  start: () => import('./startstop.ts'),
  stop: () => import('./startstop.ts'),
  doctor: () => import('./doctor.ts'),
  registry: () => import('./imageregistry.ts'),
  'mcp-setup': () => import('./mcp.ts'),
  'dev-start': () => import('./devstart.ts'),
  exec: () => import('./exec.ts'),
  shell: () => import('./shell.ts'),
  completion: () => import('./completion.ts'),
  version: () => import('./version.ts'),
  credentials: () => import('./credentials.ts'),
}

/** --json and --shell reserve stdout for the machine result; human lines go to stderr. */
export function machineOutput(op: Operation): boolean {
  return ('json' in op && op.json) || ('shell' in op && op.shell)
}

export async function dispatch(ctx: Context, op: Operation): Promise<number | void> {
  const load = COMMANDS[op.kind] as (() => Promise<Command<typeof op.kind>>) | undefined
  if (!load) throw new UsageError(`unknown command '${op.kind}'`, USAGE_HINT)
  const command = await load()
  return command.run(ctx, op as never)
}

/** cluster-manager: IO's arguments parsed, the command run with IO's streams, environment and runner. */
export async function clusterManager(io: ProgramIo, signal: AbortSignal): Promise<number | void> {
  const op = parseArgs(io.argv, (topic) => usageHint(io.env, topic))
  const ctx = makeContext({ machine: machineOutput(op), signal, env: io.env, runner: io.runner, stdin: io.stdin, stdout: io.stdout, stderr: io.stderr })
  // A file where our directory should be, or one we may not write: its path and the fix, one line.
  return dispatch(ctx, op).catch((err: unknown) => {
    throw explainFsError(err)
  })
}
