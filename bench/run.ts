// Speed budgets of the spec, measured against the simulator (its own cost included).
// `npm run bench`; prints one line per budget and exits 1 when one is exceeded.
import path from 'node:path'
import net from 'node:net'
import { performance } from 'node:perf_hooks'
import fs from 'fs-extra'
import { makeSandbox, REPO_ROOT } from '../test/helpers/sandbox.ts'
import type { Sandbox } from '../test/helpers/sandbox.ts'
import { makeRepo } from '../test/helpers/git.ts'
import { choosePorts, probeHostPort } from '../lib/ports.ts'

const MANAGER = path.join(REPO_ROOT, 'scripts', 'cluster-manager.ts')
const DEV_UP = path.join(REPO_ROOT, 'scripts', 'dev-up-multi.ts')

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now()
  await fn()
  return performance.now() - t
}

async function must(sb: Sandbox, cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  const r = await sb.run(cmd, args, opts)
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.code}: ${r.stderr}`)
  return r
}

/** Ports from a high range so the bench does not trip over the machine's own listeners. */
let nextPort = 20000
async function freePortPair(): Promise<[number, number]> {
  const pick = async () => {
    while (!(await probeHostPort(nextPort))) nextPort++
    return nextPort++
  }
  return [await pick(), await pick()]
}

async function seedClusters(sb: Sandbox, count: number): Promise<string[]> {
  const names = Array.from({ length: count }, (_, i) => `bench-${String(i).padStart(3, '0')}`)
  const metaDir = path.join(sb.home, '.config', 'threads-agent', 'clusters')
  await fs.mkdirp(metaDir)
  for (let i = 0; i < names.length; i += 8) {
    await Promise.all(names.slice(i, i + 8).map(async (name) => {
      const [lb, api] = await freePortPair()
      await must(sb, 'k3d', ['cluster', 'create', name, '-p', `${lb}:80@loadbalancer`, '--api-port', String(api), '--kubeconfig-update-default=false'])
      await fs.writeFile(path.join(metaDir, `${name}.json`), JSON.stringify({
        name, repository: 'bench', developer: 'Bench', email: 'b@example.com', lb_port: lb, api_port: api,
        kubeconfig: path.join(sb.home, '.kube', 'threads-agent', `config-${name}`), created_at: '2026-01-01T00:00:00Z', k3d_version: 'v5.8.3', shared: false,
      }))
    }))
  }
  return names
}

interface Result { name: string; value: number; budget: number; unit: string; note: string }
const results: Result[] = []

async function benchCurrent() {
  const sb = await makeSandbox()
  try {
    const [name] = await seedClusters(sb, 1)
    await must(sb, MANAGER, ['switch', name!])
    await must(sb, MANAGER, ['current']) // warm tsx's transform cache
    const runs: number[] = []
    for (let i = 0; i < 15; i++) runs.push(await timed(() => must(sb, MANAGER, ['current'])))
    results.push({ name: 'cluster-manager current (median of 15)', value: median(runs) / 1000, budget: 0.45, unit: 's', note: '' })
  } finally {
    await sb.cleanup()
  }
}

async function benchList() {
  const sb = await makeSandbox()
  try {
    await seedClusters(sb, 100)
    await must(sb, MANAGER, ['list'])
    const runs: number[] = []
    for (let i = 0; i < 7; i++) runs.push(await timed(() => must(sb, MANAGER, ['list'])))
    const k3dCalls = sb.calls('k3d').filter((c) => c.args[1] === 'list').length
    results.push({ name: 'cluster-manager list, 100 clusters (median of 7)', value: median(runs) / 1000, budget: 1.0, unit: 's', note: `${k3dCalls} k3d list calls for 8 runs` })
  } finally {
    await sb.cleanup()
  }
}

async function benchPorts() {
  const servers: net.Server[] = []
  // A 100-port range with 95 ports held: 50 by real listeners, 45 by metadata/k3d.
  const start = 31000
  const range = { start, end: start + 99 }
  const taken = new Set<number>()
  for (let p = start; p < start + 95; p++) {
    if (p % 2 === 0) {
      const s = net.createServer()
      const ok = await new Promise<boolean>((r) => { s.once('error', () => r(false)); s.listen(p, '0.0.0.0', () => r(true)) })
      if (ok) servers.push(s)
      else taken.add(p)
    } else taken.add(p)
  }
  const runs: number[] = []
  for (let i = 0; i < 20; i++) runs.push(await timed(() => choosePorts('bench', { lb: range, api: { start: 32000, end: 32099 } }, taken, probeHostPort, { lb: start, api: 32000 })))
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  results.push({ name: 'port choice, 95% of the range taken (median of 20)', value: median(runs), budget: 50, unit: 'ms', note: `${servers.length} real listeners` })
}

async function benchDevUp() {
  const runs: number[] = []
  const overheads: number[] = []
  for (let i = 0; i < 3; i++) {
    const sb = await makeSandbox()
    try {
      const repo = await makeRepo(sb)
      // A timing shim in front of the simulator's k3d tells k3d's own time apart from ours.
      const shim = path.join(sb.root, 'shim')
      await fs.mkdirp(shim)
      const log = path.join(sb.root, 'k3d-times')
      await fs.writeFile(path.join(shim, 'k3d'), `#!/bin/sh\ns=$(date +%s%N)\n${path.join(REPO_ROOT, 'test', 'fixtures', 'bin', 'k3d')} "$@"\nrc=$?\necho $(( $(date +%s%N) - s )) >> ${log}\nexit $rc\n`, { mode: 0o755 })
      const env = { PATH: `${shim}:${sb.env.PATH}` }
      const wall = await timed(() => must(sb, DEV_UP, [], { cwd: repo, env }))
      const k3dNs = (await fs.readFile(log, 'utf8')).trim().split('\n').reduce((a, b) => a + Number(b), 0)
      runs.push(wall / 1000)
      overheads.push(wall / 1000 - k3dNs / 1e9)
    } finally {
      await sb.cleanup()
    }
  }
  results.push({ name: 'dev-up-multi overhead beyond k3d (median of 3)', value: median(overheads), budget: 1.5, unit: 's', note: `wall ${median(runs).toFixed(2)} s with the simulator` })
}

await benchPorts()
await benchCurrent()
await benchList()
await benchDevUp()

let over = 0
for (const r of results) {
  const ok = r.value <= r.budget
  if (!ok) over++
  const v = r.unit === 'ms' ? r.value.toFixed(1) : r.value.toFixed(3)
  console.log(`${ok ? '✓' : '✗'} ${r.name}: ${v} ${r.unit} (budget ${r.budget} ${r.unit})${r.note ? `; ${r.note}` : ''}`)
}
process.exitCode = over === 0 ? 0 : 1
