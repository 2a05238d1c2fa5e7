/**
 * Exit codes of both entry points (spec: Output and exit codes); 126/127 are a shell's, for a
 * command `exec` cannot run or find, 130 is Ctrl-C's.
 */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, CANNOT_RUN: 126, NOT_FOUND: 127, INTERRUPTED: 130 } as const
export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

/**
 * An error the user can act on: one line of message, an exit code, and an optional
 * hint (the fix). Commands throw these; only the entry point prints and exits.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.FAILED,
    readonly hint?: string,
  ) {
    super(message)
    this.name = 'CliError'
  }
}

/** Unknown command or flag, missing or invalid argument, bad config: exit 2. */
export class UsageError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, EXIT.USAGE, hint)
    this.name = 'UsageError'
  }
}

/** A bad command line: the entry point follows the error with its usage text. */
export class ArgumentError extends UsageError {
  constructor(message: string) {
    super(message)
    this.name = 'ArgumentError'
  }
}

/** The operation failed (k3d/docker error, cluster not found, range exhausted): exit 1. */
export class OperationError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, EXIT.FAILED, hint)
    this.name = 'OperationError'
  }
}

/** The user pressed Ctrl-C at a question or a picker: exit 130, nothing done. */
export class InterruptedError extends CliError {
  constructor(message = 'interrupted') {
    super(message, EXIT.INTERRUPTED)
    this.name = 'InterruptedError'
  }
}

/** Collapses any thrown value into the one line a user sees. */
export function describeError(err: unknown): { message: string; exitCode: ExitCode; hint?: string } {
  if (err instanceof CliError) return { message: err.message, exitCode: err.exitCode, hint: err.hint }
  const message = err instanceof Error ? err.message : String(err)
  return { message: firstLine(message) || 'unexpected error', exitCode: EXIT.FAILED }
}

export function firstLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? ''
}
