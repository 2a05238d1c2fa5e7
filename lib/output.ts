import { chalk } from 'zx/core'

/** Colour only on a TTY; NO_COLOR turns it off, FORCE_COLOR (not "0") turns it on. */
export function colorEnabled(env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '') return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false'
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  return isTTY
}

/**
 * Sets the colour of everything chalk writes from here on, by colorEnabled(): off, or at least
 * the 16 named colours (all we use). Never left to chalk's own guess, made when it was loaded:
 * in a startup snapshot that was while the build ran, without a terminal.
 */
export function applyColor(env: NodeJS.ProcessEnv, isTTY: boolean): void {
  if (!colorEnabled(env, isTTY)) chalk.level = 0
  // Not `=== 0`: zx's chalk (a proxy) reads a level of 0 as undefined.
  else if (!chalk.level) chalk.level = 1
}

export interface OutputOptions {
  /** Machine output on stdout alone; every human line goes to stderr. */
  machine?: boolean
  env?: NodeJS.ProcessEnv
  stdout?: NodeJS.WriteStream
  stderr?: NodeJS.WriteStream
}

/**
 * TEXT with control characters (C0, DEL, C1) shown as \xNN: a git user.name holding
 * `\x1b]0;...` or `\x1b[2J` must not retitle or clear the terminal it is printed on.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`)
}

/** Writes unless the stream was closed under us (EPIPE: the entry point is already stopping). */
function put(stream: NodeJS.WriteStream, text: string): void {
  if (stream.writable) stream.write(text)
}

const clock = () => new Date().toTimeString().slice(0, 8)

/**
 * The terminal. Commands print through this and nothing else, so --json and --shell keep
 * stdout clean and colours follow one rule.
 */
export class Output {
  readonly machine: boolean
  readonly tty: boolean
  readonly c: typeof chalk
  private readonly stdout: NodeJS.WriteStream
  private readonly stderr: NodeJS.WriteStream

  constructor(opts: OutputOptions = {}) {
    this.stdout = opts.stdout ?? process.stdout
    this.stderr = opts.stderr ?? process.stderr
    this.machine = !!opts.machine
    const human = this.machine ? this.stderr : this.stdout
    this.tty = !!human.isTTY
    applyColor(opts.env ?? process.env, this.tty)
    this.c = chalk
  }

  private human(text: string) {
    put(this.machine ? this.stderr : this.stdout, `${text}\n`)
  }

  /** A line of the result (tables, details). */
  line(text = '') {
    this.human(text)
  }

  /** A progress line, timestamped like the old scripts' log(). */
  log(text: string) {
    this.human(`${this.c.blue(`[${clock()}]`)} ${text}`)
  }

  success(text: string) {
    this.human(`${this.c.green('✓')} ${text}`)
  }

  warn(text: string) {
    put(this.stderr, `${this.c.yellow('⚠')} ${text}\n`)
  }

  /** A plain line on stderr in every mode: around a program that owns the terminal's stdout. */
  note(text: string) {
    this.stderr.write(`${text}\n`)
  }

  error(text: string) {
    put(this.stderr, `${this.c.red('✗')} ${text}\n`)
  }

  /** The machine result: JSON on stdout, nothing else there. */
  json(value: unknown) {
    put(this.stdout, `${JSON.stringify(value, null, 2)}\n`)
  }

  /** Raw text on stdout (e.g. the `export KUBECONFIG=...` line of `switch --shell`). */
  raw(text: string) {
    put(this.stdout, text.endsWith('\n') ? text : `${text}\n`)
  }

  /** A step that takes seconds: a spinner on a TTY, start and end lines otherwise. */
  async step<T>(title: string, fn: () => Promise<T>): Promise<T> {
    if (this.tty && !this.machine) {
      const { spinner } = await import('zx') // only terminals pay for loading it
      const result = await spinner(title, fn)
      this.success(title)
      return result
    }
    this.log(`${title}...`)
    const started = Date.now()
    const result = await fn()
    this.log(`${title}: done in ${((Date.now() - started) / 1000).toFixed(1)}s`)
    return result
  }
}
