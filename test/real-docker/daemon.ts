// A private Docker daemon for one run of the real-docker tier, and nothing else: its own
// temporary data root, exec root, pid file and socket, no iptables and no default bridge, so it
// neither touches nor is touched by any other daemon on the machine. Stopped by its own pid.
import { spawn, spawnSync } from 'node:child_process'
import { closeSync, existsSync, openSync, readFileSync, readdirSync, readSync } from 'node:fs'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { $, which } from 'zx'

export const DIR_PREFIX = 'mc-dockerd-'

/**
 * The private daemon's networks take their subnets from here, not from docker's 31 default
 * pools (libnetwork/ipamutils: 172.17-31.0.0/16 and 192.168.0.0/16 in /20s). A network's Linux
 * bridge outlives a daemon that is stopped or killed while the network exists, and the data root
 * that named it is gone with the run: 31 runs that left one each exhausted the defaults ("could
 * not find an available, non-overlapping IPv4 address pool among the defaults"), for every
 * Docker on the machine. A bridge in this pool is ours alone, so a later run can remove it.
 */
export const ADDRESS_POOL = { base: '10.213.0.0/16', size: 24 }
const inPool = (ip: string) => ip.startsWith('10.213.')

export interface DockerResult {
  code: number
  stdout: string
  stderr: string
}

export interface PrivateDaemon {
  /** The temporary directory holding everything the daemon writes. */
  dir: string
  /** `unix://DIR/docker.sock`: the value for DOCKER_HOST. */
  host: string
  pid: number
  /** The environment that points the docker CLI at this daemon only. */
  env: Record<string, string>
  docker(args: readonly string[], input?: string): Promise<DockerResult>
  /** SIGTERM by pid, SIGKILL after a grace period; idempotent. The directory stays until remove(). */
  stop(): Promise<void>
  remove(): Promise<void>
}

/** Whether an ELF executable needs no dynamic loader (a static busybox runs in an empty image). */
export function isStaticElf(file: string): boolean {
  const fd = openSync(file, 'r')
  try {
    const head = Buffer.alloc(64)
    readSync(fd, head, 0, 64, 0)
    if (head.readUInt32BE(0) !== 0x7f454c46 || head[4] !== 2) return false // ELF, 64-bit
    const phoff = Number(head.readBigUInt64LE(32))
    const phentsize = head.readUInt16LE(54)
    const phnum = head.readUInt16LE(56)
    const table = Buffer.alloc(phentsize * phnum)
    readSync(fd, table, 0, table.length, phoff)
    for (let i = 0; i < phnum; i++) if (table.readUInt32LE(i * phentsize) === 3) return false // PT_INTERP
    return true
  } finally {
    closeSync(fd)
  }
}

const HOW = 'install with: apt-get install -y docker.io busybox-static (as root)'

/** Null when this machine can run the tier, else one line saying why not and how to get it. */
export async function missingPrerequisite(): Promise<string | null> {
  if (process.platform !== 'linux') return `the real-docker tier runs its own dockerd, which needs Linux (this is ${process.platform})`
  if (process.getuid?.() !== 0) return 'the real-docker tier starts its own dockerd, which needs root; run it as root (e.g. in CI or a VM)'
  const missing = []
  if (!(await which('dockerd', { nothrow: true }))) missing.push('dockerd')
  if (!(await which('docker', { nothrow: true }))) missing.push('the docker CLI')
  if (!busyboxPath()) missing.push('a static busybox')
  return missing.length ? `${missing.join(', ')} not found; ${HOW}` : null
}

/** Debian's busybox-static installs /bin/busybox; any static busybox on PATH does. */
export function busyboxPath(): string | null {
  const candidates = ['/bin/busybox', '/usr/bin/busybox', ...(process.env.PATH ?? '').split(':').map((d) => path.join(d, 'busybox'))]
  return candidates.find((f) => existsSync(f) && isStaticElf(f)) ?? null
}

/**
 * Stops daemons that an earlier run of this tier left behind (killed with SIGKILL): only a
 * process whose pid file lies in one of our own temporary directories and whose command line
 * names that directory, so no other daemon is ever signalled. Then removes the bridges their
 * networks left (ADDRESS_POOL's, which no other daemon uses).
 */
export function reapLeftovers(): string[] {
  const reaped: string[] = []
  for (const entry of readdirSync(os.tmpdir())) {
    if (!entry.startsWith(DIR_PREFIX)) continue
    const dir = path.join(os.tmpdir(), entry)
    const pid = Number(readText(path.join(dir, 'dockerd.pid')))
    if (pid > 0 && readText(`/proc/${pid}/cmdline`).includes(dir)) {
      process.kill(pid, 'SIGKILL')
      reaped.push(`${pid} (${dir})`)
    }
    unmountUnder(dir)
    spawnSync('rm', ['-rf', dir])
  }
  for (const bridge of leftBridges()) {
    if (spawnSync('ip', ['link', 'delete', bridge]).status === 0) reaped.push(`bridge ${bridge}`)
  }
  return reaped
}

/** Bridges (`br-NETWORKID`) with an address in ADDRESS_POOL: networks of a private daemon that is gone. */
function leftBridges(): string[] {
  const r = spawnSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8' })
  if (r.status !== 0) return []
  const found = new Set<string>()
  for (const line of r.stdout.split('\n')) {
    const m = /^\d+:\s+(br-[0-9a-f]+)\s+inet\s+([\d.]+)\//.exec(line)
    if (m && inPool(m[2]!)) found.add(m[1]!)
  }
  return [...found]
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim()
  } catch {
    return ''
  }
}

/** Lazily unmounts whatever the daemon left mounted below DIR (netns files, shm), deepest first. */
function unmountUnder(dir: string): void {
  const mounts = readText('/proc/self/mounts').split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(dir + '/'))
  for (const m of mounts.sort().reverse()) spawnSync('umount', ['-l', m])
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

export interface DaemonOptions {
  /**
   * Let containers reach the network (docker's default bridge and iptables NAT), as k3s nodes
   * must to pull their images. Only for a machine where no other daemon runs: the iptables
   * chains are shared. The real-docker tier keeps it off: no iptables, no default bridge.
   */
  nat?: boolean
}

export async function startPrivateDaemon(options: DaemonOptions = {}): Promise<PrivateDaemon> {
  const dir = await mkdtemp(path.join(os.tmpdir(), DIR_PREFIX))
  const host = `unix://${dir}/docker.sock`
  const log = openSync(path.join(dir, 'dockerd.log'), 'a')
  const args = [
    '--storage-driver=vfs', ...(options.nat ? [] : ['--iptables=false', '--ip6tables=false', '--bridge=none']),
    `--data-root=${dir}/data`, `--exec-root=${dir}/exec`, `--pidfile=${dir}/dockerd.pid`, `--host=${host}`,
    `--default-address-pool=base=${ADDRESS_POOL.base},size=${ADDRESS_POOL.size}`,
    // containers here are sleepers that ignore SIGTERM: do not wait 15 s for each at shutdown
    '--shutdown-timeout=1',
  ]
  const child = spawn('dockerd', args, { stdio: ['ignore', log, log] })
  closeSync(log)
  const pid = child.pid!
  const env: Record<string, string> = { DOCKER_HOST: host, DOCKER_CONFIG: path.join(dir, 'cli') }
  const docker = async (dockerArgs: readonly string[], input?: string): Promise<DockerResult> => {
    const r = await $({ quiet: true, nothrow: true, input, env: { ...process.env, DOCKER_CONTEXT: undefined, ...env } })`docker ${dockerArgs}`
    return { code: r.exitCode ?? 1, stdout: r.stdout, stderr: r.stderr }
  }
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    // Containers, then their networks: dockerd leaves a network's bridge behind when it stops.
    if (alive(pid)) {
      const ids = (await docker(['ps', '-aq'])).stdout.split(/\s+/).filter(Boolean)
      if (ids.length > 0) await docker(['rm', '-f', ...ids])
      await docker(['network', 'prune', '-f'])
    }
    if (alive(pid)) process.kill(pid, 'SIGTERM')
    for (let i = 0; i < 100 && alive(pid); i++) await sleep(100)
    if (alive(pid)) process.kill(pid, 'SIGKILL')
    // the containerd it started goes with it; after a SIGKILL it may not
    const containerd = Number(readText(path.join(dir, 'exec', 'containerd', 'containerd.pid')))
    if (containerd > 0 && readText(`/proc/${containerd}/cmdline`).includes(dir)) process.kill(containerd, 'SIGKILL')
  }
  const daemon: PrivateDaemon = {
    dir, host, pid, env, docker, stop,
    remove: async () => {
      await stop()
      unmountUnder(dir)
      await rm(dir, { recursive: true, force: true })
    },
  }
  for (let i = 0; i < 300; i++) {
    if (!alive(pid) || child.exitCode !== null) break
    if (existsSync(`${dir}/docker.sock`) && (await docker(['version', '--format', '{{.Server.Version}}'])).code === 0) return daemon
    await sleep(100)
  }
  const tail = readText(path.join(dir, 'dockerd.log')).split('\n').slice(-5).join('\n')
  await daemon.remove()
  throw new Error(`the private dockerd did not start within 30 s:\n${tail}`)
}

/**
 * Makes IMAGE from a busybox root filesystem with `docker import` (nothing is pulled): /bin holds
 * busybox and the applets the tier runs (sh, sleep).
 */
export async function importBusybox(daemon: PrivateDaemon, image: string): Promise<void> {
  const root = path.join(daemon.dir, 'rootfs')
  await mkdir(path.join(root, 'bin'), { recursive: true })
  await writeFile(path.join(root, 'bin', 'busybox'), readFileSync(busyboxPath()!), { mode: 0o755 })
  for (const applet of ['sh', 'sleep']) await symlink('busybox', path.join(root, 'bin', applet))
  const tar = spawnSync('tar', ['-C', root, '-cf', '-', '.'], { maxBuffer: 64 * 1024 * 1024 })
  if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr}`)
  const r = await $({ quiet: true, nothrow: true, input: tar.stdout, env: { ...process.env, ...daemon.env } })`docker import - ${image}`
  if (r.exitCode !== 0) throw new Error(`docker import failed: ${r.stderr.trim()}`)
}
