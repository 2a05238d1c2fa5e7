import { setTimeout as delay } from 'node:timers/promises'

/** Why a run stops before its end: a signal, or its output closed under it (EPIPE). */
export type StopCause = 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'EPIPE'

/**
 * Exit codes after the undo: 128 + the signal's number, as shells report a process a signal
 * ended (SIGHUP 1, SIGINT 2, SIGTERM 15); a closed output is SIGPIPE's 141, what `yes | head -1`
 * leaves for `yes`.
 */
export const STOP_EXIT: Record<StopCause, number> = { SIGHUP: 129, SIGINT: 130, EPIPE: 141, SIGTERM: 143 }

/**
 * The reason the one AbortController of a run is aborted with. Every wait and every child
 * process that sees the signal throws this, so an abort travels up like any error and no
 * step can mistake it for a failure of its own.
 */
export class Interrupted extends Error {
  readonly exitCode: number
  constructor(readonly stop: StopCause) {
    super(stop === 'EPIPE' ? 'output closed (EPIPE)' : `interrupted (${stop})`)
    this.name = 'Interrupted'
    this.exitCode = STOP_EXIT[stop]
  }
}

/** A signal that never fires: for work that must finish even after an abort (the undo). */
export const NEVER: AbortSignal = new AbortController().signal

/** The Interrupted reason of SIGNAL, or null while it has not fired. */
export function stopOf(signal: AbortSignal): Interrupted | null {
  return signal.aborted && signal.reason instanceof Interrupted ? signal.reason : null
}

/** Throws the signal's reason when it has fired: a step must not carry on after an abort. */
export function rethrowIfAborted(err: unknown, signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason
  if (err instanceof Interrupted) throw err
}

/** Waits MS milliseconds, or throws the signal's reason as soon as it fires. */
export async function sleep(ms: number, signal: AbortSignal = NEVER): Promise<void> {
  signal.throwIfAborted()
  try {
    await delay(ms, undefined, { signal })
  } catch (err) {
    if (signal.aborted) throw signal.reason
    throw err
  }
}
