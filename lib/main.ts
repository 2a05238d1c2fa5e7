import { ArgumentError, describeError, EXIT } from './errors.ts'
import { chalk } from 'zx/core'
import { stopChildren } from './proc.ts'
import { colorEnabled } from './output.ts'

export type Cleanup = () => Promise<void>
const cleanups = new Set<Cleanup>()

/** Registers work that must run if the user interrupts (Ctrl-C) before it is removed. */
export function onInterrupt(fn: Cleanup): () => void {
  cleanups.add(fn)
  return () => cleanups.delete(fn)
}

/**
 * The entry points' frame: runs MAIN, turns any error into one line on stderr (plus the fix)
 * and the right exit code, and on Ctrl-C runs the registered cleanups before exiting 130.
 */
export async function runMain(main: () => Promise<number | void>, usage?: string): Promise<void> {
  let interrupted = false
  const onSignal = async (signal: NodeJS.Signals) => {
    if (interrupted) return
    interrupted = true
    process.stderr.write(`\n${chalk.red('✗')} interrupted (${signal}); cleaning up\n`)
    await stopChildren()
    for (const fn of [...cleanups].reverse()) await fn().catch(() => undefined)
    process.exit(signal === 'SIGINT' ? 130 : 143)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  if (!colorEnabled(process.env, !!process.stderr.isTTY)) chalk.level = 0
  try {
    process.exitCode = (await main()) ?? EXIT.OK
  } catch (err) {
    if (interrupted) return
    const { message, exitCode, hint } = describeError(err)
    process.stderr.write(`${chalk.red('✗')} ${message}${hint ? ` — ${hint}` : ''}\n`)
    if (usage && err instanceof ArgumentError) process.stderr.write(`\n${usage}\n`)
    if (process.env.DEBUG_MULTI_CLUSTER && err instanceof Error) process.stderr.write(`${err.stack}\n`)
    process.exitCode = exitCode
  }
}
