// Runs a command on a pseudo-terminal (util-linux `script`) and types into it, as a person would:
// each step waits until the screen shows a pattern, then sends keys.
import { spawn } from 'node:child_process'
import type { Sandbox } from './sandbox.ts'

export interface PtyStep {
  /** Wait until the output (since the start) matches this. */
  expect: RegExp
  /** Then type this ('\r' Enter, '\x03' Ctrl-C, '\x04' Ctrl-D, '\x1b[B' down arrow). */
  send: string
}

export interface PtyResult {
  code: number
  /** Everything the terminal showed, escape sequences removed. */
  screen: string
}

const sq = (s: string) => `'${s.replace(/'/g, "'\\''")}'`
/** Terminal escape sequences out, so tests can match the text. */
export const plain = (s: string) => s.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '').replace(/\x1b[()][A-Za-z0-9]/g, '').replace(/\r/g, '')

export function runInPty(sb: Sandbox, argv: string[], opts: { cwd?: string; env?: Record<string, string | undefined>; steps?: PtyStep[]; timeoutMs?: number } = {}): Promise<PtyResult> {
  const env: NodeJS.ProcessEnv = { ...sb.env, TERM: 'xterm', COLUMNS: '100', LINES: '30' }
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k]
    else env[k] = v
  }
  // stty gives the terminal a size (script's pty has none when its own stdin is not a terminal).
  const command = `stty cols 100 rows 30 2>/dev/null; exec ${argv.map(sq).join(' ')}`
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-q', '-e', '-f', '-c', command, '/dev/null'], { cwd: opts.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] })
    let raw = ''
    const steps = [...(opts.steps ?? [])]
    let matchedUpTo = 0
    const advance = () => {
      const step = steps[0]
      if (!step) return
      const text = plain(raw).slice(matchedUpTo)
      const m = step.expect.exec(text)
      if (!m) return
      matchedUpTo += m.index + m[0].length
      steps.shift()
      child.stdin.write(step.send)
      setImmediate(advance)
    }
    child.stdout.on('data', (b: Buffer) => {
      raw += b.toString('utf8')
      advance()
    })
    child.stderr.on('data', (b: Buffer) => (raw += b.toString('utf8')))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`pty: timed out waiting for ${steps[0]?.expect ?? 'the exit'}; screen:\n${plain(raw)}`))
    }, opts.timeoutMs ?? 20_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      if (steps.length > 0) return reject(new Error(`pty: exited (${code}) before ${steps[0]!.expect}; screen:\n${plain(raw)}`))
      resolve({ code: code ?? 1, screen: plain(raw) })
    })
    child.stdin.on('error', () => undefined)
  })
}
