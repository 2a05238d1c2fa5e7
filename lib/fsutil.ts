import fs from 'node:fs/promises'
import path from 'node:path'
import crypto from 'node:crypto'

/** Creates DIR (and parents) and makes DIR itself private (0700). */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 })
  await fs.chmod(dir, 0o700)
}

/**
 * Writes a file so that readers see the old content or the new, never half of it:
 * temp file in the same directory, fsync, rename. Mode defaults to 0600 since
 * these files hold cluster-admin keys or name them.
 */
export async function writeFileAtomic(file: string, data: string, mode = 0o600, privateDir = true): Promise<void> {
  const dir = path.dirname(file)
  // Our own directories are made private; a project file (.mcp.json) leaves its directory alone.
  if (privateDir) await ensurePrivateDir(dir)
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`)
  const fh = await fs.open(tmp, 'w', mode)
  try {
    await fh.writeFile(data)
    await fh.sync()
  } finally {
    await fh.close()
  }
  try {
    await fs.chmod(tmp, mode)
    await fs.rename(tmp, file)
  } catch (err) {
    await fs.rm(tmp, { force: true })
    throw err
  }
}

/** Reads a file, or null when it does not exist. */
export async function readIfExists(file: string): Promise<string | null> {
  try {
    return await fs.readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
}

export async function removeIfExists(file: string): Promise<boolean> {
  try {
    await fs.unlink(file)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw err
  }
}
