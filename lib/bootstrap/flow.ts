import { CliError, OperationError, UsageError } from '../errors.ts'
import type { GitFacts, Identity } from '../identity.ts'
import { identityFromGit, readGitFacts } from '../identity.ts'
import { clusterNameOf, isolationOf } from '../isolation.ts'
import { imagesFor, loadConfig } from '../config.ts'
import type { ProjectConfig } from '../config.ts'
import { K3d, K3dError } from '../k3d.ts'
import { Kubectl } from '../kubectl.ts'
import { Docker } from '../docker.ts'
import { Registry, timestamp, MetaFormatError } from '../registry.ts'
import type { ClusterMeta } from '../registry.ts'
import { Reservations } from '../lock.ts'
import type { Reservation } from '../lock.ts'
import { bindingText, isLoopback, probeFor } from '../ports.ts'
import type { PortProbe } from '../ports.ts'
import { documentFlags, readsConfigFromStdin } from '../k3dconfig.ts'
import { kubeconfigPath } from '../paths.ts'
import type { Paths } from '../paths.ts'
import type { Output } from '../output.ts'
import { printable } from '../output.ts'
import type { Runner } from '../proc.ts'
import { ignoringSignal, withSignal } from '../proc.ts'
import { NEVER, stopOf } from '../cancel.ts'
import { checkDocker, checkGitIdentity, checkK3d, checkProgram, requireAll, requireFileSlots, requireWritableDirs } from '../preflight.ts'
import type { BootstrapOptions } from './args.ts'
import { claimOrWait, reclaimPorts, releaseReservation } from './claim.ts'
import type { ClaimIO } from './claim.ts'
import { portsOf } from './plan.ts'
import type { Plan } from './plan.ts'
import { runSteps, StepFailed } from './pipeline.ts'
import { startLookups, stepsFor } from './steps.ts'
import type { Flow, LocalImages } from './steps.ts'
import type { BootstrapResult } from './summary.ts'
import { documentFor } from './document.ts'
import { planRegistry } from './registry.ts'
import type { SharedRegistry } from './registry.ts'

export interface BootstrapDeps {
  cwd: string
  env: NodeJS.ProcessEnv
  paths: Paths
  out: Output
  runner: Runner
  /** The run's cancellation signal: every program and wait stops when it fires. */
  signal?: AbortSignal
  probe?: PortProbe
}

/** What a bootstrap produced, with the project it read (so callers need not read it again). */
export interface Bootstrapped {
  result: BootstrapResult
  /** The summary's first line ('' on a dry run); the caller prints the summary. */
  headline: string
  topLevel: string
  config: ProjectConfig
}

/** Git identity and the tools, checked together; the first failure stops the run with its fix. */
async function checkMachine(cwd: string, runner: Runner, out: Output): Promise<{ identity: Identity; k3dVersion: string }> {
  const [facts, docker, k3d, kubectl] = await Promise.all([
    readGitFacts(cwd, runner).catch((err: unknown): GitFacts | CliError => {
      if (err instanceof CliError) return err
      throw err
    }),
    checkDocker(runner),
    checkK3d(runner),
    checkProgram('kubectl', 'install kubectl (https://kubernetes.io/docs/tasks/tools/)', true),
  ])
  requireAll([checkGitIdentity(facts), docker, k3d, kubectl])
  if (facts instanceof CliError) throw facts // requireAll has thrown already; this narrows the type
  const identity = identityFromGit(facts)
  if (!identity.emailConfigured) out.warn('git user.email is not set; using unknown@example.com (git config user.email you@example.com)')
  return { identity, k3dVersion: k3d.version ?? '' }
}

function readyTimeoutOf(env: NodeJS.ProcessEnv): number {
  const seconds = Number(env.READY_TIMEOUT ?? 60)
  if (!(seconds > 0)) throw new UsageError(`READY_TIMEOUT must be a number of seconds above 0, got ${JSON.stringify(env.READY_TIMEOUT)}`)
  return seconds
}

async function readMetaOrWarn(registry: Registry, name: string, out: Output): Promise<ClusterMeta | null> {
  try {
    return await registry.read(name)
  } catch (err) {
    if (!(err instanceof MetaFormatError)) throw err
    out.warn(`ignoring unreadable metadata ${err.message}`)
    return null
  }
}

interface Subject {
  name: string
  identity: Identity
  opts: BootstrapOptions
  paths: Paths
  config: ProjectConfig
  /** The work tree a per-work-tree cluster belongs to (recorded in its metadata), else null. */
  worktree: string | null
}

/**
 * The --json object for PLAN: PORTS as chosen, or k3d's (else the metadata's) for a cluster that
 * stays, with the k3d config document it is created from (for one that stays: --force's) and
 * its flag form. A cluster that stays keeps its binding (k3d's HostIp) and its registry.
 */
function resultOf(s: Subject, plan: Plan, meta: ClusterMeta | null, registry: SharedRegistry | null, ports = portsOf(plan)): BootstrapResult {
  const { name, identity, config } = s
  const lb = ports.lb ?? meta?.lb_port ?? 0
  const api = ports.api ?? meta?.api_port ?? 0
  const doc = documentFor(config, name, { lb, api }, registry)
  const stays = plan.kind === 'reuse'
  const metaText = (key: string) => (typeof meta?.[key] === 'string' ? (meta[key] as string) : null)
  return {
    name,
    repository: identity.repository,
    developer: identity.developer,
    email: identity.email,
    email_hash: identity.emailHash,
    shared: plan.kind === 'reuse' ? (meta?.shared ?? s.opts.share) : s.opts.share,
    lb_port: lb,
    api_port: api,
    kubeconfig: kubeconfigPath(s.paths, name),
    metadata_file: new Registry(s.paths.metaDir).file(name),
    action: plan.kind,
    k3d_args: stays ? [] : documentFlags(doc),
    bind_address: stays ? (plan.cluster.lbHostIp ?? plan.cluster.apiHostIp ?? metaText('bind_address')) : config.bindAddress,
    registry: registry?.ref ?? (stays ? metaText('registry') : null),
    k3d_config: doc,
    ...(s.worktree ? { worktree: s.worktree } : {}),
  }
}

/** Says what the run is about to do with an existing or half-made cluster. */
function announcePlan(out: Output, name: string, plan: Plan): void {
  if (plan.kind === 'reuse' && plan.finish) {
    out.warn(`Cluster '${name}' was left unfinished by run ${plan.finish.pid}, which stopped after k3d created it; finishing it (kubeconfig, labels, cluster-info, images, metadata)`)
  } else if (plan.kind === 'reuse') {
    out.success(`Cluster '${name}' already exists!`)
    out.log('Use --force to recreate')
  } else if (plan.kind === 'recreate' && plan.why === 'half-made') {
    out.warn(`Cluster '${name}' was left half-created by a run that died; deleting it and creating it again`)
  } else if (plan.kind === 'recreate') {
    out.warn(`Cluster '${name}' exists, forcing recreation...`)
  }
}

/** A run in progress: its steps' context, its plan, and our reservation (a port retry moves it). */
interface Run {
  flow: Flow
  plan: Plan
  io: ClaimIO
  held: { reservation: Reservation | null }
  /** Settles when every lookup the run began has ended (none outlives a failed run). */
  lookups(): Promise<void> | undefined
}

function startRun(base: Omit<Flow, 'ports' | 'rechoose' | 'markCreated' | 'localImages'>, plan: Plan, io: ClaimIO, reservation: Reservation | null, ports: Flow['ports']): Run {
  const held = { reservation }
  let images: Promise<LocalImages> | null = null
  const flow: Flow = {
    ...base,
    ports,
    localImages() {
      if (!images) {
        images = base.docker.localImages(imagesFor(base.config, base.opts.tag))
        images.catch(() => undefined) // a run that fails before the image step never reads it
      }
      return images
    },
    async rechoose(avoid) {
      if (!held.reservation) throw new OperationError('internal: a port retry without a reservation')
      const moved = await reclaimPorts(io, held.reservation, avoid)
      held.reservation = moved.reservation
      return { lb: moved.ports.lbPort, api: moved.ports.apiPort }
    },
    async markCreated() {
      if (held.reservation) held.reservation = await io.reservations.update(held.reservation, { stage: 'created' })
    },
  }
  return { flow, plan, io, held, lookups: () => images?.then(() => undefined, () => undefined) }
}

/**
 * After a failed or aborted run: the reservation goes when nothing is left behind; it stays
 * (the evidence the next run finishes or remakes the cluster with) when a half-made cluster
 * could not be deleted, and always for a cluster this run was finishing. Returns the error to show.
 */
async function settle(err: unknown, r: Run): Promise<unknown> {
  if (!(err instanceof StepFailed)) {
    await releaseReservation(r.io, r.held.reservation)
    return err
  }
  const { name } = r.flow
  const clash = err.reason instanceof K3dError && err.reason.kind === 'name-taken'
  const kept = r.plan.kind === 'reuse' // a cluster this run did not make stays, finished or not
  // Only a delete or create this run began can have left a cluster half-made; before them an
  // existing cluster (--force stopped early) is intact.
  const touched = err.begun.some((t) => t === 'k3d cluster create' || t === 'k3d cluster delete')
  const left = !kept && !clash && touched && (await r.flow.calm.list().then((all) => all.some((c) => c.name === name), () => true))
  if (!kept && !left && err.unwound.failed.length === 0) await releaseReservation(r.io, r.held.reservation)
  const stop = stopOf(r.flow.signal)
  const { message, hint } = err.reason instanceof CliError ? err.reason : { message: (err.reason as Error).message, hint: undefined }
  // A k3d failure says what failed itself ("k3d cluster create failed: ..."): its cause is enough here.
  const cause = err.reason instanceof K3dError ? err.reason.reason : message
  const what = stop ? `${stop.message} ${err.begun.includes(err.step) ? 'during' : 'before'} ${err.step}` : `${err.step} failed: ${cause}`
  const after = kept
    ? `the cluster '${name}' stays as it was${r.plan.kind === 'reuse' && r.plan.finish ? '; run this again to finish it' : ''}`
    : left
      ? `the half-made cluster '${name}' could not be deleted (${err.unwound.failed.map((f) => (f.error as Error).message).join('; ') || 'k3d still lists it'}); the next run finishes or remakes it`
      : err.unwound.undone.includes('k3d cluster create')
        ? `the half-made cluster '${name}' was deleted again`
        : 'nothing was left behind'
  return new OperationError(`${what}; ${after}`, stop ? undefined : (hint ?? 'fix the cause and run it again'))
}

/** Says on stderr, once, that an aborted run is undoing its steps (nothing for a closed output). */
function sayUndoing(out: Output, signal: AbortSignal): () => void {
  return () => {
    const stop = stopOf(signal)
    if (stop && stop.stop !== 'EPIPE') out.warn(`${stop.message}: undoing what this run did`)
  }
}

/** Creates, reuses or recreates the cluster of the identity holding deps.cwd (the main job). */
export async function bootstrap(opts: BootstrapOptions, deps: BootstrapDeps): Promise<Bootstrapped> {
  const { out, paths } = deps
  const signal = deps.signal ?? NEVER
  const runner = withSignal(deps.runner, signal)
  const { identity, k3dVersion } = await checkMachine(deps.cwd, runner, out)
  const config = await loadConfig(identity.topLevel, deps.env)
  const perWorktree = !opts.share && isolationOf(opts.worktree, deps.env, config.isolation) === 'worktree'
  const name = opts.name ?? clusterNameOf(identity, opts.share, perWorktree ? 'worktree' : 'identity')
  const worktree = perWorktree ? identity.topLevel : null
  const readyTimeout = readyTimeoutOf(deps.env)
  await requireWritableDirs([paths.configDir, paths.metaDir, paths.reservationsDir, paths.kubeDir])
  await requireFileSlots([new Registry(paths.metaDir).file(name), kubeconfigPath(paths, name)])
  const subject: Subject = { name, identity, opts, paths, config, worktree }

  out.log(`Using ${opts.share ? 'shared' : worktree ? 'per-work-tree' : 'personal'} cluster mode: ${name}`)
  if (worktree) out.log(`Work tree: ${worktree}`)
  out.log(`Repository: ${identity.repository}`)
  out.log(`Developer: ${printable(`${identity.developer} <${identity.email}>`)}`)

  // A k3d too old to read the document gets its flags: what they cannot say is said before anything changes.
  if (!readsConfigFromStdin(k3dVersion)) documentFlags(documentFor(config, name, { lb: 1, api: 1 }, null))
  const k3d = new K3d(runner)
  const registry = new Registry(paths.metaDir)
  const io: ClaimIO = { k3d, registry, reservations: new Reservations(paths.reservationsDir), lockDir: paths.lockDir, probe: deps.probe ?? probeFor(config.bindAddress), config, signal }
  const { plan, reservation } = await claimOrWait(io, out, name, opts)
  const meta = plan.kind === 'reuse' ? await readMetaOrWarn(registry, name, out) : null
  const makes = plan.kind !== 'reuse'
  if (makes && !isLoopback(config.bindAddress)) out.warn(`bind_address ${bindingText(config.bindAddress)}: the cluster's API server and load balancer are shared with the network, not only this machine`)
  // A dry run says which registry the cluster would use: the one that exists, or the port a new one would get.
  const sharedPlan = opts.dryRun && config.registry ? await planRegistry(io, config.registry, config.bindAddress) : null
  const planned = resultOf(subject, plan, meta, sharedPlan)
  const done = (result: BootstrapResult, headline: string): Bootstrapped => ({ result, headline, topLevel: identity.topLevel, config })
  if (opts.dryRun) {
    if (makes && sharedPlan && !sharedPlan.exists) out.log(`The shared registry ${sharedPlan.node} does not exist yet: a run would create it on ${sharedPlan.hostIp}:${sharedPlan.port}`)
    return done(planned, '')
  }

  announcePlan(out, name, plan)
  const { kubeconfig } = planned
  const tools = { k3d, calm: new K3d(ignoringSignal(deps.runner)), kubectl: new Kubectl(kubeconfig, runner), docker: new Docker(runner), registry }
  const base = { ...tools, name, opts, identity, config, paths, out, signal, worktree, kubeconfig, k3dVersion, readyTimeout, meta, createdAt: timestamp(), claim: io, imageRegistry: null }
  const r = startRun(base, plan, io, reservation, { lb: planned.lb_port, api: planned.api_port })
  const steps = stepsFor(plan, opts, config.registry !== null)
  startLookups(steps, r.flow)
  try {
    await runSteps(steps, r.flow, signal, sayUndoing(out, signal))
  } catch (err) {
    await r.lookups()
    throw await settle(err, r)
  }
  await releaseReservation(io, r.held.reservation)
  if (plan.kind === 'reuse') {
    const result = r.flow.imageRegistry ? { ...planned, registry: r.flow.imageRegistry.ref } : planned
    return done(result, plan.finish ? `Cluster '${name}' finished and ready!` : 'Cluster ready!')
  }
  return done(resultOf(subject, plan, null, r.flow.imageRegistry, r.flow.ports), `Cluster '${name}' created successfully!`)
}
