import path from 'node:path'
import crypto from 'node:crypto'
import fs from 'node:fs/promises'
import { ensurePrivateDir, readIfExists, writeFileAtomic } from './fsutil.ts'
import { OperationError } from './errors.ts'
import { timestamp } from './registry.ts'

/** True when PID names a live process (EPERM: alive but not ours). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Moves a dead owner's lock out of the way. A rename has one winner, and the pid inside the
 * moved directory tells whether a live process relocked it since we judged it dead: then it
 * goes back.
 */
async function takeOver(lockDir: string, deadPid: number): Promise<void> {
  const grave = `${lockDir}.stale.${process.pid}.${crypto.randomBytes(3).toString('hex')}`
  try {
    await fs.rename(lockDir, grave)
  } catch {
    return // another waiter took it over first
  }
  const found = Number((await readIfExists(path.join(grave, 'pid')))?.trim())
  if (found !== deadPid && processAlive(found)) await fs.rename(grave, lockDir).catch(() => undefined)
  else await fs.rm(grave, { recursive: true, force: true })
}

/**
 * Inter-process mutex: a directory created with mkdir (atomic on every local file system)
 * holding the owner's pid. A lock whose owner died is taken over, so a killed run never
 * blocks the next one.
 */
export async function withLock<T>(lockDir: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  await ensurePrivateDir(path.dirname(lockDir))
  const owner = path.join(lockDir, 'pid')
  const deadline = Date.now() + timeoutMs
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.mkdir(lockDir, { mode: 0o700 })
      await fs.writeFile(owner, String(process.pid))
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const pid = Number((await readIfExists(owner))?.trim())
      const stat = await fs.stat(lockDir).catch(() => null)
      // No pid yet: the owner is between mkdir and write; give it a moment before judging.
      const orphaned = Number.isNaN(pid) || pid === 0 ? !!stat && Date.now() - stat.mtimeMs > 2000 : !processAlive(pid)
      if (orphaned) {
        await takeOver(lockDir, pid)
        continue
      }
      if (Date.now() > deadline) {
        throw new OperationError(`timed out waiting for the port lock ${lockDir} (held by pid ${pid})`, `if no bootstrap is running, remove ${lockDir}`)
      }
      await sleep(Math.min(20 + attempt * 10, 100))
    }
  }
  try {
    return await fn()
  } finally {
    await fs.rm(lockDir, { recursive: true, force: true })
  }
}

/** Ports a running bootstrap has chosen but k3d does not show yet. */
export interface Reservation {
  name: string
  pid: number
  lb_port: number
  api_port: number
  created_at: string
}

export class Reservations {
  constructor(readonly dir: string) {}

  private file(name: string) {
    return path.join(this.dir, `${name}.json`)
  }

  /** Live reservations; those of dead processes are removed on the way (unless PRUNE is false). */
  async live({ prune = true } = {}): Promise<Reservation[]> {
    const entries = await fs.readdir(this.dir).catch(() => [] as string[])
    const out: Reservation[] = []
    for (const entry of entries.filter((e) => e.endsWith('.json'))) {
      const file = path.join(this.dir, entry)
      let r: Reservation | null = null
      try {
        r = JSON.parse((await readIfExists(file)) ?? 'null') as Reservation | null
      } catch {
        r = null
      }
      if (r && processAlive(r.pid)) out.push(r)
      else if (prune) await fs.rm(file, { force: true })
    }
    return out
  }

  async reserve(name: string, lbPort: number, apiPort: number): Promise<void> {
    const r: Reservation = { name, pid: process.pid, lb_port: lbPort, api_port: apiPort, created_at: timestamp() }
    await writeFileAtomic(this.file(name), JSON.stringify(r))
  }

  async release(name: string): Promise<void> {
    await fs.rm(this.file(name), { force: true })
  }

  /** Removes reservations of dead processes; returns their names. */
  async prune(): Promise<string[]> {
    const before = (await fs.readdir(this.dir).catch(() => [] as string[])).filter((e) => e.endsWith('.json'))
    const alive = new Set((await this.live()).map((r) => `${r.name}.json`))
    return before.filter((e) => !alive.has(e)).map((e) => e.slice(0, -5))
  }
}
