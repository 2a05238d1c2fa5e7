import net from 'node:net'
import { cksum } from './hash.ts'
import { OperationError, UsageError } from './errors.ts'
import { howTo } from './invocation.ts'

/** Inclusive range of host ports. */
export interface PortRange {
  start: number
  end: number
}

export const DEFAULT_LB_RANGE: PortRange = { start: 8080, end: 8179 }
export const DEFAULT_API_RANGE: PortRange = { start: 6445, end: 6544 }

export interface PortPlan {
  lbPort: number
  apiPort: number
  preferredLb: number
  preferredApi: number
}

export const rangeSize = (r: PortRange) => r.end - r.start + 1
export const formatRange = (r: PortRange) => `${r.start}-${r.end}`

/** Parses `8080-8179` (from LB_PORT_RANGE, API_PORT_RANGE or the config file). */
export function parseRange(text: string, source: string): PortRange {
  const m = /^\s*(\d{1,5})\s*-\s*(\d{1,5})\s*$/.exec(text)
  if (!m) throw new UsageError(`${source}: expected START-END such as 8080-8179, got ${JSON.stringify(text)}`)
  return checkRange({ start: Number(m[1]), end: Number(m[2]) }, source)
}

export function checkRange(r: PortRange, source: string): PortRange {
  if (!Number.isInteger(r.start) || !Number.isInteger(r.end) || r.start < 1 || r.end > 65535) {
    throw new UsageError(`${source}: ports must be whole numbers from 1 to 65535`)
  }
  if (r.start > r.end) throw new UsageError(`${source}: range ${formatRange(r)} is inverted (start > end)`)
  return r
}

/** The old script's port: range start + cksum(name) mod range size. */
export function preferredPort(name: string, range: PortRange): number {
  return range.start + (cksum(name) % rangeSize(range))
}

/** Ports of RANGE in search order: from PREFERRED forward, wrapping to the start. */
export function searchOrder(range: PortRange, preferred: number): number[] {
  const size = rangeSize(range)
  const first = preferred - range.start
  return Array.from({ length: size }, (_, i) => range.start + ((first + i) % size))
}

/** Says whether a host port can be bound right now. */
export type PortProbe = (port: number) => Promise<boolean>

const PROBE_BATCH = 16

/**
 * First port of RANGE, from PREFERRED on, that is neither in TAKEN nor busy per PROBE. The
 * first candidate is probed alone (it is usually free: 2 binds instead of 32, under the port
 * lock); after it, small parallel batches, so a nearly full range still answers in milliseconds.
 */
export async function findFreePort(
  range: PortRange,
  preferred: number,
  taken: ReadonlySet<number>,
  probe: PortProbe,
  what: string,
  envVar: string,
): Promise<number> {
  const candidates = searchOrder(range, preferred).filter((p) => !taken.has(p))
  for (let i = 0; i < candidates.length; i += i === 0 ? 1 : PROBE_BATCH) {
    const batch = candidates.slice(i, i === 0 ? 1 : i + PROBE_BATCH)
    const free = await Promise.all(batch.map(probe))
    const index = free.indexOf(true)
    if (index >= 0) return batch[index]!
  }
  throw new OperationError(
    `no free ${what} port left in ${formatRange(range)} (all ${rangeSize(range)} are in use or reserved)`,
    `delete unused clusters (${howTo(process.env, 'list')} lists them) or widen the range, e.g. ${envVar}=${range.start}-${range.end + 100}`,
  )
}

const inRange = (p: number | undefined, r: PortRange): p is number => p !== undefined && p >= r.start && p <= r.end

/**
 * The port pair for NAME: the old script's preferred ports (or PREFER, e.g. a recreated
 * cluster's own ports, when inside the ranges), then the next free ones.
 */
export async function choosePorts(
  name: string,
  ranges: { lb: PortRange; api: PortRange },
  taken: ReadonlySet<number>,
  probe: PortProbe,
  prefer: { lb?: number; api?: number } = {},
): Promise<PortPlan> {
  const preferredLb = inRange(prefer.lb, ranges.lb) ? prefer.lb : preferredPort(name, ranges.lb)
  const preferredApi = inRange(prefer.api, ranges.api) ? prefer.api : preferredPort(name, ranges.api)
  const lbPort = await findFreePort(ranges.lb, preferredLb, taken, probe, 'load balancer', 'LB_PORT_RANGE')
  // Ranges may overlap when overridden: the API port must differ from the LB port.
  const apiPort = await findFreePort(ranges.api, preferredApi, new Set([...taken, lbPort]), probe, 'API', 'API_PORT_RANGE')
  return { lbPort, apiPort, preferredLb, preferredApi }
}

function canListen(port: number, host: string, ipv6Only: boolean): Promise<boolean | null> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.unref()
    server.once('error', (err: NodeJS.ErrnoException) => {
      // No such address family or address on this host: nothing can hold the port there.
      if (err.code === 'EAFNOSUPPORT' || err.code === 'EADDRNOTAVAIL') resolve(null)
      else resolve(false)
    })
    server.listen({ port, host, ipv6Only, exclusive: true }, () => server.close(() => resolve(true)))
  })
}

/** Where clusters publish their ports unless the project shares them on the network. */
export const LOOPBACK = '127.0.0.1'
export const ALL_INTERFACES = '0.0.0.0'

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/

/**
 * A bind address from multi-cluster.config.json or BIND_ADDRESS: an IPv4 address of this host
 * (k3d's --api-port takes `HOSTIP:PORT` in IPv4 only: cmd/util/ports.go apiPortRegexp).
 */
export function parseBindAddress(text: string, source: string): string {
  const value = text.trim()
  if (!IPV4.test(value)) throw new UsageError(`${source}: expected an IPv4 address such as 127.0.0.1 (this machine only) or 0.0.0.0 (the network), got ${JSON.stringify(text)}`)
  return value
}

/** True for 127.0.0.0/8: a port bound there is reachable from this machine only. */
export const isLoopback = (address: string) => address.startsWith('127.')

/** Where the ports listen, in words: loopback is this machine only; anything else reaches the network. */
export function bindingText(address: string): string {
  if (isLoopback(address)) return `${address} (this machine only)`
  return `${address} (${address === '0.0.0.0' ? 'every interface' : 'that interface'}: reachable from the network)`
}

/**
 * The probe for ports docker will publish on ADDRESS, trying exactly those binds:
 * - 0.0.0.0: docker binds 0.0.0.0:P and [::]:P, so a listener on either, or on any single
 *   address such as 127.0.0.1:P (Linux refuses 0.0.0.0:P then), makes P taken;
 * - one address (127.0.0.1): docker binds that address alone, which a listener on it or on
 *   0.0.0.0:P blocks. For loopback [::1]:P is tried too: the kubeconfig names
 *   `https://localhost:P`, and a client that resolves localhost to ::1 would reach whatever
 *   listens there instead of the cluster.
 */
export function probeFor(address: string): PortProbe {
  if (address === ALL_INTERFACES) {
    return async (port) => {
      if ((await canListen(port, ALL_INTERFACES, false)) === false) return false
      return (await canListen(port, '::', true)) !== false
    }
  }
  return async (port) => {
    if ((await canListen(port, address, false)) === false) return false
    return !isLoopback(address) || (await canListen(port, '::1', true)) !== false
  }
}

/** The probe for a port published on all interfaces (k3d's default when no host is given). */
export const probeHostPort: PortProbe = probeFor(ALL_INTERFACES)
