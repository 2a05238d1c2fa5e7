import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { constants } from 'node:os'
import { CliError, EXIT } from './errors.ts'

export interface InteractiveOptions {
  env: NodeJS.ProcessEnv
  cwd?: string
}

/** Signals a user or a supervisor sends us that belong to the program we run. */
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const

/**
 * Runs CMD with the terminal (stdin, stdout, stderr inherited) and resolves with its exit status,
 * a shell's way: the code, or 128 + the signal that killed it. Every child that takes over the
 * terminal (`exec`, `shell`) goes through here, so there is one place to route it through the
 * run's cancellation later.
 *
 * While it runs, this process only relays signals: SIGTERM/SIGHUP/SIGQUIT are forwarded, and so
 * is SIGINT unless stdin is a terminal (Ctrl-C there already reached the child, which is in our
 * process group; sending it twice would hit programs that treat a second Ctrl-C as "force").
 * The entry point's own handlers are set aside meanwhile: the child decides what Ctrl-C means.
 */
export function runInteractive(cmd: string, args: readonly string[], opts: InteractiveOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const saved = FORWARDED.map((sig) => [sig, process.listeners(sig)] as const)
    const restore = () => {
      for (const [sig, listeners] of saved) {
        process.removeAllListeners(sig)
        for (const l of listeners) process.on(sig, l as NodeJS.SignalsListener)
      }
    }
    const terminal = !!process.stdin.isTTY
    let child: ChildProcess | null = null
    const pending: NodeJS.Signals[] = []
    // Listening before the spawn: a signal sent the moment the program starts is not lost.
    for (const sig of FORWARDED) {
      process.removeAllListeners(sig)
      process.on(sig, () => {
        if (sig === 'SIGINT' && terminal) return
        if (child) child.kill(sig)
        else pending.push(sig)
      })
    }
    child = spawn(cmd, [...args], { stdio: 'inherit', env: opts.env, cwd: opts.cwd })
    for (const sig of pending) child.kill(sig)
    child.once('error', (err: NodeJS.ErrnoException) => {
      restore()
      if (err.code === 'ENOENT') reject(new CliError(`${cmd}: command not found`, EXIT.NOT_FOUND, 'check the name, or give its path'))
      else if (err.code === 'EACCES') reject(new CliError(`${cmd}: permission denied`, EXIT.CANNOT_RUN, `make it executable (chmod +x ${cmd})`))
      else reject(new CliError(`${cmd}: ${err.message}`, EXIT.CANNOT_RUN))
    })
    child.once('exit', (code, signal) => {
      restore()
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0))
    })
  })
}
