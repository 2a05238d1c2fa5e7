import path from 'node:path'
import fs from 'node:fs/promises'
import { ensurePrivateDir, readIfExists, writeFileAtomic } from './fsutil.ts'
import { OperationError } from './errors.ts'
import { NEVER, sleep } from './cancel.ts'
import { asOwner, newOwner, ownerAlive } from './owner.ts'
import type { Owner } from './owner.ts'
import { timestamp } from './registry.ts'

export { processAlive } from './owner.ts'

/**
 * The port lock: a directory of numbered generations, `ports.lock/000000000007/owner`.
 * Taking the lock is publishing the next number: a directory with the owner record inside is
 * built aside and renamed into place, and a rename onto a name that exists fails, so each
 * number has one winner and appears complete. The holder is the highest number, while its
 * owner lives. A dead holder (or a released generation, its owner replaced by a marker) is
 * passed by publishing the number after it. The top number never goes down (a release keeps
 * its generation, and never empty: a rename onto an empty directory succeeds), so a run that
 * publishes from a stale view either collides with an existing number or lands below the top,
 * sees the higher number and steps back: a takeover cannot leave two holders. Lower numbers are
 * history, removed by the next holder.
 */
const GEN = /^\d{12}$/
const genName = (n: number) => String(n).padStart(12, '0')

export interface LockHandle {
  dir: string
  gen: number
  owner: Owner
}

async function generations(lockDir: string): Promise<number[]> {
  const entries = await fs.readdir(lockDir).catch(() => [] as string[])
  return entries.filter((e) => GEN.test(e)).map(Number).sort((a, b) => a - b)
}

/** The owner recorded in generation GEN; null when it is gone (released) or unreadable. */
async function ownerOf(lockDir: string, gen: number): Promise<Owner | null> {
  try {
    return asOwner(JSON.parse((await readIfExists(path.join(lockDir, genName(gen), 'owner'))) ?? 'null'))
  } catch {
    return null
  }
}

/** Renames a private directory holding OWNER onto generation GEN; false when GEN exists. */
async function publish(lockDir: string, gen: number, owner: Owner): Promise<boolean> {
  const tmp = path.join(lockDir, `.new-${owner.token}-${gen}`)
  await fs.mkdir(tmp, { mode: 0o700 })
  await fs.writeFile(path.join(tmp, 'owner'), JSON.stringify(owner), { mode: 0o600 })
  try {
    await fs.rename(tmp, path.join(lockDir, genName(gen)))
    return true
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true })
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'EPERM' || code === 'EISDIR') return false
    throw err
  }
}

/** Removes generation GEN as a whole (renamed aside first, so it vanishes at once). */
async function discard(lockDir: string, gen: number, token: string): Promise<void> {
  const aside = path.join(lockDir, `.old-${token}-${gen}`)
  try {
    await fs.rename(path.join(lockDir, genName(gen)), aside)
  } catch {
    return // already gone
  }
  await fs.rm(aside, { recursive: true, force: true })
}

/** Removes what runs that died mid-publish or mid-discard left (`.new-*`, `.old-*`, a minute old). */
async function sweep(lockDir: string): Promise<void> {
  const entries = await fs.readdir(lockDir).catch(() => [] as string[])
  for (const e of entries.filter((x) => x.startsWith('.new-') || x.startsWith('.old-'))) {
    const st = await fs.lstat(path.join(lockDir, e)).catch(() => null)
    if (st && Date.now() - st.mtimeMs > 60_000) await fs.rm(path.join(lockDir, e), { recursive: true, force: true })
  }
}

/** The live holder of the lock, or the dead owner whose generation still tops it, or nobody. */
export async function lockState(lockDir: string): Promise<{ holder: Owner; alive: boolean } | null> {
  const top = (await generations(lockDir)).at(-1)
  if (top === undefined) return null
  const holder = await ownerOf(lockDir, top)
  return holder ? { holder, alive: ownerAlive(holder) } : null
}

export interface LockOptions {
  timeoutMs?: number
  signal?: AbortSignal
}

export async function acquireLock(lockDir: string, { timeoutMs = 30_000, signal = NEVER }: LockOptions = {}): Promise<LockHandle> {
  await ensurePrivateDir(lockDir)
  const owner = newOwner()
  const deadline = Date.now() + timeoutMs
  for (let attempt = 0; ; attempt++) {
    signal.throwIfAborted()
    const top = (await generations(lockDir)).at(-1) ?? 0
    const holder = top > 0 ? await ownerOf(lockDir, top) : null
    if (holder && ownerAlive(holder)) {
      if (Date.now() > deadline) {
        throw new OperationError(`timed out waiting for the port lock ${lockDir} (held by pid ${holder.pid})`, `if that process is not a bootstrap, stop it; 'cluster-manager cleanup' removes a lock whose owner is gone`)
      }
      await sleep(Math.min(10 + attempt * 10, 100), signal)
      continue
    }
    const gen = top + 1
    if (!(await publish(lockDir, gen, owner))) continue
    const after = await generations(lockDir)
    if (after.some((g) => g > gen)) {
      await discard(lockDir, gen, owner.token) // we were slow: a later generation exists
      continue
    }
    for (const old of after.filter((g) => g < gen)) await discard(lockDir, old, owner.token)
    await sweep(lockDir)
    return { dir: lockDir, gen, owner }
  }
}

/**
 * Gives the lock up: only our own generation, and only while it still holds our token. The
 * generation stays, without its owner (a `released` marker instead), so the top number never
 * goes down: a run that read the generations before this release and publishes "top + 1" then
 * collides with a number that exists (or is below the top and steps back) instead of publishing
 * above a live holder's fresh number and discarding it as history (two holders; the lock test
 * races 6 processes).
 */
export async function releaseLock(handle: LockHandle): Promise<void> {
  const owner = await ownerOf(handle.dir, handle.gen)
  if (owner?.token !== handle.owner.token) return
  // The marker first, then the owner: never an empty directory, which rename(2) would replace
  // (a stale run would then "publish" this number over it: two holders, seen once under load).
  const dir = path.join(handle.dir, genName(handle.gen))
  await fs.writeFile(path.join(dir, 'released'), '', { mode: 0o600 })
  await fs.rm(path.join(dir, 'owner'), { force: true })
}

/**
 * Inter-process mutex around FN (see above). A lock whose owner died is passed at once, so a
 * killed run never blocks the next one; a live holder is waited for up to TIMEOUTMS.
 */
export async function withLock<T>(lockDir: string, fn: () => Promise<T>, opts: LockOptions | number = {}): Promise<T> {
  const handle = await acquireLock(lockDir, typeof opts === 'number' ? { timeoutMs: opts } : opts)
  try {
    return await fn()
  } finally {
    await releaseLock(handle)
  }
}

/**
 * Removes a lock left by a dead owner (taking it, then giving it back, collects it);
 * returns that owner. A live holder's lock is never touched.
 */
export async function clearStaleLock(lockDir: string): Promise<Owner | null> {
  const state = await lockState(lockDir)
  if (!state || state.alive) return null
  await withLock(lockDir, async () => undefined, { timeoutMs: 2000 })
  return state.holder
}

export type Stage = 'reserved' | 'created'

/**
 * Ports a running bootstrap has chosen but k3d does not show yet, and how far that run got:
 * 'created' once k3d created the cluster. A reservation whose owner died with its cluster
 * present is the evidence a later run of that name finishes the cluster with.
 */
export interface Reservation extends Owner {
  name: string
  lb_port: number
  api_port: number
  created_at: string
  stage: Stage
}

function asReservation(value: unknown, name: string): Reservation | null {
  const owner = asOwner(value)
  if (!owner) return null
  const o = value as Record<string, unknown>
  const port = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v > 0 && v < 65536 ? v : null)
  const lb = port(o.lb_port)
  const api = port(o.api_port)
  if (lb === null || api === null || o.name !== name) return null
  return { ...owner, name, lb_port: lb, api_port: api, created_at: typeof o.created_at === 'string' ? o.created_at : '', stage: o.stage === 'created' ? 'created' : 'reserved' }
}

export interface ReservationScan {
  live: Reservation[]
  dead: Reservation[]
  /** Files that are not reservations (garbage, directories): left alone, named for cleanup. */
  unreadable: string[]
}

export class Reservations {
  constructor(readonly dir: string) {}

  file(name: string): string {
    return path.join(this.dir, `${name}.json`)
  }

  /** NAME's reservation, or null (none, or a file that is not one). */
  async read(name: string): Promise<Reservation | null> {
    try {
      return asReservation(JSON.parse((await readIfExists(this.file(name))) ?? 'null'), name)
    } catch {
      return null
    }
  }

  /** Every reservation, split by whether its owner still runs. Changes nothing. */
  async scan(): Promise<ReservationScan> {
    const entries = await fs.readdir(this.dir).catch(() => [] as string[])
    const names = entries.filter((e) => e.endsWith('.json') && !e.startsWith('.')).map((e) => e.slice(0, -5))
    const found = await Promise.all(names.map((n) => this.read(n)))
    const scan: ReservationScan = { live: [], dead: [], unreadable: [] }
    names.forEach((n, i) => {
      const r = found[i]
      if (!r) scan.unreadable.push(this.file(n))
      else (ownerAlive(r) ? scan.live : scan.dead).push(r)
    })
    return scan
  }

  /** Live reservations (compatibility with callers that only count ports). */
  async live(): Promise<Reservation[]> {
    return (await this.scan()).live
  }

  /** Writes our reservation of NAME (replacing a dead one's); under the port lock. */
  async reserve(name: string, ports: { lb: number; api: number }, stage: Stage = 'reserved'): Promise<Reservation> {
    const r: Reservation = { ...newOwner(), name, lb_port: ports.lb, api_port: ports.api, created_at: timestamp(), stage }
    await writeFileAtomic(this.file(name), JSON.stringify(r))
    return r
  }

  /** Rewrites our reservation R with CHANGES, if the file is still ours; returns the new record. */
  async update(r: Reservation, changes: Partial<Pick<Reservation, 'lb_port' | 'api_port' | 'stage'>>): Promise<Reservation> {
    const now = await this.read(r.name)
    if (now?.token !== r.token) return r
    const next = { ...r, ...changes, since: new Date().toISOString() }
    await writeFileAtomic(this.file(r.name), JSON.stringify(next))
    return next
  }

  /** Removes R's file if it still holds R's token: never another run's reservation. */
  async release(r: Reservation): Promise<boolean> {
    const now = await this.read(r.name)
    if (now?.token !== r.token) return false
    await fs.rm(this.file(r.name), { force: true })
    return true
  }

  /**
   * Removes the reservations of dead owners (and unreadable files) unless KEEP says the
   * reservation is evidence to keep; under the port lock. Returns what was removed.
   */
  async removeDead(keep: (r: Reservation) => boolean): Promise<{ removed: Reservation[]; kept: Reservation[]; junk: string[] }> {
    const { dead, unreadable } = await this.scan()
    const removed: Reservation[] = []
    const kept: Reservation[] = []
    for (const r of dead) {
      if (keep(r)) kept.push(r)
      else if (await this.release(r)) removed.push(r)
    }
    const junk: string[] = []
    for (const file of unreadable) {
      const st = await fs.lstat(file).catch(() => null)
      if (st?.isFile()) {
        await fs.rm(file, { force: true })
        junk.push(file)
      }
    }
    return { removed, kept, junk }
  }
}
