import path from 'node:path'
import fs from 'node:fs/promises'
import { constants } from 'node:fs'
import { ensurePrivateDir, removeIfExists, writeFileAtomic } from './fsutil.ts'
import { k3dNameProblem } from './names.ts'

/**
 * One metadata file, `~/.config/threads-agent/clusters/NAME.json`. The field set is the
 * old script's; more fields may follow and are kept when a file is rewritten.
 */
export interface ClusterMeta {
  name: string
  repository: string
  developer: string
  email: string
  lb_port: number
  api_port: number
  kubeconfig: string
  created_at: string // YYYY-MM-DDTHH:MM:SSZ
  k3d_version: string
  shared: boolean
  [extra: string]: unknown
}

export interface MetaProblem {
  file: string
  reason: string
}

export class MetaFormatError extends Error {}

/** A read error in a few words: "is a directory", "permission denied" (the path is named by the caller). */
function unreadable(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'EISDIR') return 'is a directory, not a metadata file'
  if (code === 'EACCES' || code === 'EPERM') return 'cannot be read (permission denied)'
  if (code === 'ENOTDIR') return 'is not a directory'
  if (code === 'ELOOP') return 'is a symbolic link; not followed'
  return `cannot be read (${code ?? (err as Error).message})`
}

/** Makes FILE's mode exactly MODE when it is looser (files the old script wrote were 0644). */
async function repairMode(file: string, mode: number): Promise<void> {
  const st = await fs.stat(file).catch(() => null)
  if (st && (st.mode & 0o777) !== mode) await fs.chmod(file, mode).catch(() => undefined)
}

/**
 * Reads a metadata file, repairing its mode to 0600 on the way; null when it does not exist,
 * an Error (with the reason in words) when it is a directory or unreadable.
 */
async function readPrivate(file: string): Promise<string | Error | null> {
  let fh: fs.FileHandle
  try {
    // Not through a symlink (the chmod below would land on its target), never blocking on a FIFO.
    fh = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    return new Error(unreadable(err))
  }
  try {
    const st = await fh.stat()
    if (st.isDirectory()) return new Error(unreadable({ code: 'EISDIR' }))
    if (!st.isFile()) return new Error('is not a regular file')
    if ((st.mode & 0o777) !== 0o600) await fh.chmod(0o600).catch(() => undefined)
    return await fh.readFile('utf8')
  } catch (err) {
    return new Error(unreadable(err))
  } finally {
    await fh.close()
  }
}

function asPort(value: unknown, field: string): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535) {
    throw new MetaFormatError(`${field} is not a port number`)
  }
  return n
}

function asString(value: unknown, field: string): string {
  if (value === undefined || value === null) return ''
  if (typeof value !== 'string') throw new MetaFormatError(`${field} is not a string`)
  return value
}

/** UTC timestamp in the old script's format (`date -u +%Y-%m-%dT%H:%M:%SZ`). */
export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/**
 * Parses one metadata file. The old script wrote it with a heredoc, so `shared` is a bare
 * true/false and `k3d_version` may be empty; both forms are read as they are.
 */
export function parseMeta(text: string, fileName: string): ClusterMeta {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (err) {
    throw new MetaFormatError(`not valid JSON (${(err as Error).message})`)
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new MetaFormatError('not a JSON object')
  const o = data as Record<string, unknown>
  const fileStem = path.basename(fileName, '.json')
  const name = asString(o.name, 'name') || fileStem
  if (k3dNameProblem(name)) throw new MetaFormatError(`name ${JSON.stringify(name)} is not a valid cluster name`)
  // Files are found by name (NAME.json): one that names another cluster could never be removed.
  if (name !== fileStem) throw new MetaFormatError(`name ${JSON.stringify(name)} does not match the file name`)
  const shared = o.shared === true || o.shared === 'true'
  if (!(shared || o.shared === false || o.shared === 'false' || o.shared === undefined)) {
    throw new MetaFormatError('shared is not true or false')
  }
  return {
    ...o,
    name,
    repository: asString(o.repository, 'repository'),
    developer: asString(o.developer, 'developer'),
    email: asString(o.email, 'email'),
    lb_port: asPort(o.lb_port, 'lb_port'),
    api_port: asPort(o.api_port, 'api_port'),
    kubeconfig: asString(o.kubeconfig, 'kubeconfig'),
    created_at: asString(o.created_at, 'created_at'),
    k3d_version: asString(o.k3d_version, 'k3d_version'),
    shared,
  }
}

export function serializeMeta(meta: ClusterMeta): string {
  return `${JSON.stringify(meta, null, 2)}\n`
}

/** The metadata store: one directory of NAME.json files. */
export class Registry {
  constructor(readonly dir: string) {}

  file(name: string): string {
    return path.join(this.dir, `${name}.json`)
  }

  /** Every readable file, plus one problem per file that is not (never throws for bad files). */
  async list(): Promise<{ metas: ClusterMeta[]; problems: MetaProblem[] }> {
    let entries: string[]
    try {
      entries = await fs.readdir(this.dir)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ENOENT') return { metas: [], problems: [] }
      return { metas: [], problems: [{ file: this.dir, reason: unreadable(err) }] }
    }
    await repairMode(this.dir, 0o700)
    const metas: ClusterMeta[] = []
    const problems: MetaProblem[] = []
    const files = entries.filter((e) => e.endsWith('.json') && !e.startsWith('.')).sort()
    const texts = await Promise.all(files.map((f) => readPrivate(path.join(this.dir, f))))
    files.forEach((f, i) => {
      const file = path.join(this.dir, f)
      const text = texts[i]
      if (text === null || text === undefined) return // removed while we listed
      if (text instanceof Error) return void problems.push({ file, reason: text.message })
      try {
        metas.push(parseMeta(text, f))
      } catch (err) {
        problems.push({ file, reason: (err as Error).message })
      }
    })
    return { metas, problems }
  }

  /** The metadata of NAME, null when there is none; a bad or unreadable file throws MetaFormatError. */
  async read(name: string): Promise<ClusterMeta | null> {
    const text = await readPrivate(this.file(name))
    if (text === null) return null
    try {
      if (text instanceof Error) throw text
      return parseMeta(text, `${name}.json`)
    } catch (err) {
      throw new MetaFormatError(`${this.file(name)}: ${(err as Error).message}`)
    }
  }

  async write(meta: ClusterMeta): Promise<string> {
    await ensurePrivateDir(path.dirname(this.dir))
    const file = this.file(meta.name)
    await writeFileAtomic(file, serializeMeta(meta))
    return file
  }

  /** Removes NAME's file; a directory (or anything but a file) there is not ours to remove: false. */
  async remove(name: string): Promise<boolean> {
    const st = await fs.lstat(this.file(name)).catch(() => null)
    if (st?.isDirectory()) return false
    return removeIfExists(this.file(name))
  }
}
