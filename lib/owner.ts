import crypto from 'node:crypto'
import { readFileSync } from 'node:fs'

/**
 * Who holds a lock or a reservation: a pid alone is not an identity (pids are reused), so it
 * comes with the process's start time where the system tells it, and a random token that
 * only the holder knows, checked before anything of its is removed.
 */
export interface Owner {
  pid: number
  /** Linux: field 22 of /proc/PID/stat (clock ticks after boot); null elsewhere. */
  start: string | null
  token: string
  /** When the owner (re)wrote it, ISO 8601: the age cap where no start time is known. */
  since: string
}

/** Where the start time is unknown, a live pid is trusted for this long after `since`. */
export const AGE_CAP_MS = 60 * 60 * 1000

/**
 * Linux's record of a process: its state and start time, from /proc/PID/stat. The second
 * field is the command name in parentheses and may itself hold spaces and ')', so the fields
 * are counted after the last ')': state is field 3, starttime field 22 (proc(5)).
 */
export function parseProcStat(text: string): { state: string; start: string } | null {
  const close = text.lastIndexOf(')')
  if (close < 0) return null
  const fields = text.slice(close + 1).trim().split(/\s+/)
  const state = fields[0]
  const start = fields[22 - 3]
  return state && start && /^\d+$/.test(start) ? { state, start } : null
}

/** The start time of PID; null when the system has no /proc or the process is gone or a zombie. */
export function processStart(pid: number): string | null {
  try {
    const stat = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))
    return stat && stat.state !== 'Z' ? stat.start : null
  } catch {
    return null
  }
}

const hasProc = (() => {
  try {
    readFileSync('/proc/self/stat')
    return true
  } catch {
    return false
  }
})()

/** True when PID names a live process (EPERM: alive but not ours; a zombie is dead). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  return hasProc ? processStart(pid) !== null : true
}

let myStart: string | null | undefined

/** A fresh owner record for this process. */
export function newOwner(now = new Date()): Owner {
  myStart ??= processStart(process.pid)
  return { pid: process.pid, start: myStart, token: crypto.randomBytes(8).toString('hex'), since: now.toISOString() }
}

/**
 * The owner is this very process, alive: its pid runs and, where the system tells start
 * times, started when the record says (a reused pid has another); elsewhere the record is
 * trusted for AGE_CAP_MS.
 */
export function ownerAlive(o: Pick<Owner, 'pid' | 'start' | 'since'>, now = Date.now()): boolean {
  if (!processAlive(o.pid)) return false
  const start = hasProc ? processStart(o.pid) : null
  if (start !== null && o.start) return start === o.start
  const since = Date.parse(o.since)
  return Number.isFinite(since) && now - since < AGE_CAP_MS
}

/** Reads an owner record from parsed JSON; null when it does not have the shape. */
export function asOwner(value: unknown): Owner | null {
  if (typeof value !== 'object' || value === null) return null
  const o = value as Record<string, unknown>
  if (typeof o.pid !== 'number' || !Number.isInteger(o.pid)) return null
  return {
    pid: o.pid,
    start: typeof o.start === 'string' ? o.start : null,
    token: typeof o.token === 'string' ? o.token : '',
    since: typeof o.since === 'string' ? o.since : typeof o.created_at === 'string' ? o.created_at : '',
  }
}
