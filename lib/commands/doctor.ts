import { which } from 'zx/core'
import path from 'node:path'
import { takenPorts } from '../clusters.ts'
import { loadConfig } from '../config.ts'
import type { ProjectConfig } from '../config.ts'
import { CliError } from '../errors.ts'
import { readGitFacts } from '../identity.ts'
import type { K3dCluster } from '../k3d.ts'
import { Reservations, lockState } from '../lock.ts'
import type { Check } from '../preflight.ts'
import { checkDocker, checkGitIdentity, checkK3d, checkProgram, dirProblem } from '../preflight.ts'
import { formatRange, probeHostPort, searchOrder } from '../ports.ts'
import { runtimeCheck } from '../runtime.ts'
import type { PortRange } from '../ports.ts'
import type { OperationOf } from './args.ts'
import type { Context } from './context.ts'

async function freeCount(range: PortRange, taken: ReadonlySet<number>): Promise<number> {
  const candidates = searchOrder(range, range.start).filter((p) => !taken.has(p))
  const free = await Promise.all(candidates.map(probeHostPort))
  return free.filter(Boolean).length
}

/** `just` may be global or this project's own (npm's rust-just): either works. */
async function checkJust(): Promise<Check> {
  const own = path.resolve(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'just')
  const found = (await which('just', { nothrow: true })) || ((await which(own, { nothrow: true })) ? own : null)
  return found
    ? { name: 'just', ok: true, detail: found, required: false }
    : { name: 'just', ok: false, detail: 'not found', fix: 'npm ci (installs rust-just; then use npx just ...)', required: false }
}

async function checkPorts(ctx: Context, clusters: K3dCluster[] | null, top: string): Promise<Check> {
  let config: ProjectConfig
  try {
    config = await loadConfig(top, ctx.env)
  } catch (err) {
    if (!(err instanceof CliError)) throw err
    return { name: 'config', ok: false, detail: err.message, fix: 'fix the file or the range variable', required: true }
  }
  const [{ metas }, live] = await Promise.all([ctx.registry.list(), new Reservations(ctx.paths.reservationsDir).live()])
  const taken = takenPorts(clusters ?? [], metas, live)
  const ranges = [
    ['load balancer', config.lbPortRange, 'LB_PORT_RANGE'],
    ['API', config.apiPortRange, 'API_PORT_RANGE'],
  ] as const
  const counts = await Promise.all(ranges.map(([, r]) => freeCount(r, taken)))
  const detail = ranges.map(([what, r], i) => `${counts[i]} ${what} ports free in ${formatRange(r)}`).join(', ')
  const empty = ranges.find((_, i) => counts[i] === 0)
  return empty
    ? { name: 'ports', ok: false, detail, fix: `delete unused clusters or widen ${empty[2]}`, required: true }
    : { name: 'ports', ok: true, detail: clusters ? detail : `${detail} (k3d unavailable: its clusters not counted)`, required: true }
}

/** Our directories can be written (or created): a file in their place or bad permissions is named. */
async function checkDirs(ctx: Context): Promise<Check> {
  const dirs = [ctx.paths.configDir, ctx.paths.metaDir, ctx.paths.reservationsDir, ctx.paths.kubeDir]
  const problem = (await Promise.all(dirs.map(dirProblem))).find((p) => p !== null)
  return problem
    ? { name: 'directories', ok: false, detail: problem.message, fix: problem.fix, required: true }
    : { name: 'directories', ok: true, detail: `${ctx.paths.configDir} and ${ctx.paths.kubeDir} writable`, required: true }
}

/** What runs that died left: the port lock, reservations (stale, or of a cluster left unfinished). */
async function checkLeftovers(ctx: Context, clusters: K3dCluster[] | null): Promise<Check> {
  const [lock, scan] = await Promise.all([lockState(ctx.paths.lockDir), new Reservations(ctx.paths.reservationsDir).scan()])
  const exists = (name: string) => clusters?.some((c) => c.name === name) ?? false
  const stale = [
    ...(lock && !lock.alive ? [`the port lock of pid ${lock.holder.pid}`] : []),
    ...scan.dead.filter((r) => !exists(r.name)).map((r) => `the reservation of '${r.name}' (pid ${r.pid})`),
    ...scan.unreadable,
  ]
  const unfinished = scan.dead.filter((r) => exists(r.name))
  const running = scan.live.map((r) => `'${r.name}' (pid ${r.pid})`)
  if (stale.length === 0 && unfinished.length === 0) {
    return { name: 'runs', ok: true, detail: running.length ? `bootstrapping now: ${running.join(', ')}` : 'nothing left by a run that died', required: false }
  }
  const detail = [
    ...(stale.length ? [`left by runs that died: ${stale.join(', ')}`] : []),
    ...unfinished.map((r) => `'${r.name}' was left unfinished by pid ${r.pid}`),
  ].join('; ')
  const fix = [...(stale.length ? ["'cluster-manager cleanup' removes them"] : []), ...unfinished.map((r) => `'dev-up-multi --name ${r.name}' finishes it`)].join('; ')
  return { name: 'runs', ok: false, detail, fix, required: false }
}

/** `doctor`: one ✓/✗ line per check with the fix; exit 1 when a required check fails. */
export async function run(ctx: Context, _op: OperationOf<'doctor'>): Promise<number> {
  const cwd = process.cwd()
  const git = await readGitFacts(cwd, ctx.runner).catch((err: unknown) => {
    if (err instanceof CliError) return err
    throw err
  })
  const [docker, k3d, kubectl, just] = await Promise.all([
    checkDocker(ctx.runner),
    checkK3d(ctx.runner),
    checkProgram('kubectl', 'install kubectl (https://kubernetes.io/docs/tasks/tools/)', true),
    checkJust(),
  ])
  const clusters = docker.ok && k3d.ok ? await ctx.k3d.list().catch(() => null) : null
  const top = git instanceof CliError ? cwd : git.topLevel
  const checks = [docker, k3d, kubectl, checkGitIdentity(git), just, await checkPorts(ctx, clusters, top), await checkDirs(ctx), await checkLeftovers(ctx, clusters), runtimeCheck()]
  const c = ctx.out.c
  for (const check of checks) {
    const mark = check.ok ? c.green('✓') : check.required ? c.red('✗') : c.yellow('!')
    ctx.out.line(`${mark} ${check.name}: ${check.detail}${check.ok || !check.fix ? '' : ` — ${check.fix}`}`)
  }
  const failed = checks.filter((x) => x.required && !x.ok).length
  ctx.out.line()
  ctx.out.line(failed === 0 ? 'All required checks passed.' : `${failed} required check(s) failed.`)
  return failed === 0 ? 0 : 1
}
