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
import { formatRange, probeFor, searchOrder } from '../ports.ts'
import type { PortProbe } from '../ports.ts'
import { runtimeCheck } from '../runtime.ts'
import type { PortRange } from '../ports.ts'
import { Docker } from '../docker.ts'
import { howTo } from '../invocation.ts'
import { machineChecks } from '../machine.ts'
import type { OperationOf } from './args.ts'
import type { Context } from './context.ts'

async function freeCount(range: PortRange, taken: ReadonlySet<number>, probe: PortProbe): Promise<number> {
  const candidates = searchOrder(range, range.start).filter((p) => !taken.has(p))
  const free = await Promise.all(candidates.map(probe))
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

/** The project's config, or the check that says why it cannot be read. */
async function readConfig(ctx: Context, top: string): Promise<ProjectConfig | Check> {
  try {
    return await loadConfig(top, ctx.env)
  } catch (err) {
    if (!(err instanceof CliError)) throw err
    return { name: 'config', ok: false, detail: err.message, fix: 'fix the file or the range variable', required: true }
  }
}

/** Free ports of each range, probed as docker would bind them on the project's bind_address. */
async function checkPorts(ctx: Context, clusters: K3dCluster[] | null, config: ProjectConfig): Promise<Check> {
  const [{ metas }, live] = await Promise.all([ctx.registry.list(), new Reservations(ctx.paths.reservationsDir).live()])
  const taken = takenPorts(clusters ?? [], metas, live)
  const ranges = [
    ['load balancer', config.lbPortRange, 'LB_PORT_RANGE'],
    ['API', config.apiPortRange, 'API_PORT_RANGE'],
  ] as const
  const probe = probeFor(config.bindAddress)
  const counts = await Promise.all(ranges.map(([, r]) => freeCount(r, taken, probe)))
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

/** How a check came out: ✓ ok, ⚠ a warning (not required), ✗ a required check that failed. */
const statusOf = (c: Check) => (c.ok ? 'ok' : c.required ? 'fail' : 'warn')

/**
 * `doctor`: one ✓/⚠/✗ line per check with the fix (or, with --json, the checks as an object);
 * exit 1 when a required check fails.
 */
export async function run(ctx: Context, op: OperationOf<'doctor'>): Promise<number> {
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
  const config = await readConfig(ctx, top)
  const project = 'ok' in config ? null : config
  const machine = project && docker.ok
    ? await machineChecks({
        docker: new Docker(ctx.runner),
        k3d: ctx.k3d,
        clusters,
        config: project,
        env: ctx.env,
        howTo: { stop: howTo(ctx.env, 'stop', 'NAME'), registry: howTo(ctx.env, 'registry') },
      })
    : []
  const checks = [
    docker, k3d, kubectl, checkGitIdentity(git), just,
    project ? await checkPorts(ctx, clusters, project) : (config as Check),
    await checkDirs(ctx), await checkLeftovers(ctx, clusters), runtimeCheck(),
    ...machine,
  ]
  const failed = checks.filter((x) => x.required && !x.ok).length
  if (op.json) {
    ctx.out.json({ ok: failed === 0, checks: checks.map((x) => ({ name: x.name, status: statusOf(x), required: x.required, detail: x.detail, fix: x.ok ? null : (x.fix ?? null) })) })
    return failed === 0 ? 0 : 1
  }
  const c = ctx.out.c
  const marks = { ok: c.green('✓'), warn: c.yellow('⚠'), fail: c.red('✗') }
  for (const check of checks) {
    ctx.out.line(`${marks[statusOf(check)]} ${check.name}: ${check.detail}${check.ok || !check.fix ? '' : ` — ${check.fix}`}`)
  }
  ctx.out.line()
  ctx.out.line(failed === 0 ? 'All required checks passed.' : `${failed} required check(s) failed.`)
  return failed === 0 ? 0 : 1
}
