// A private image registry for the tier (Debian's docker-registry, the distribution registry),
// on a loopback port of its own: pushing to it is the only way, without a network, to give a
// local image a repo digest. Optional: without it, digest references are checked absent only.
import { spawn } from 'node:child_process'
import { openSync, closeSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import { which } from 'zx'

export interface Registry {
  /** `localhost:PORT`, as image references name it. */
  host: string
  stop(): Promise<void>
}

async function freeLoopbackPort(): Promise<number> {
  const srv = net.createServer()
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  const port = (srv.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => srv.close(() => resolve()))
  return port
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Starts docker-registry under DIR/registry; null when it is not installed. */
export async function startRegistry(dir: string): Promise<Registry | null> {
  if (!(await which('docker-registry', { nothrow: true }))) return null
  const root = path.join(dir, 'registry')
  await mkdir(root, { recursive: true })
  const port = await freeLoopbackPort()
  const config = path.join(root, 'config.yml')
  await writeFile(config, `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${root}/data\nhttp:\n  addr: 127.0.0.1:${port}\n`)
  const log = openSync(path.join(root, 'registry.log'), 'a')
  const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', log, log] })
  closeSync(log)
  const alive = () => child.exitCode === null && child.signalCode === null
  for (let i = 0; i < 100 && alive(); i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(s.end() && true)).on('error', () => resolve(false))
    })
    if (up) {
      return {
        host: `localhost:${port}`,
        stop: async () => {
          if (!alive()) return
          child.kill('SIGTERM')
          for (let j = 0; j < 50 && alive(); j++) await sleep(100)
          if (alive()) child.kill('SIGKILL')
        },
      }
    }
    await sleep(100)
  }
  if (alive()) child.kill('SIGKILL')
  throw new Error(`docker-registry did not start on 127.0.0.1:${port} (see ${path.join(root, 'registry.log')})`)
}
