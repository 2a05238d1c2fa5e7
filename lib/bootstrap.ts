import minimist from 'minimist'
import { quote } from 'zx/core'
import { ArgumentError, CliError, OperationError, UsageError } from './errors.ts'
import type { GitFacts, Identity } from './identity.ts'
import { identityFromGit, nameFor, readGitFacts } from './identity.ts'
import { validateClusterName } from './names.ts'
import { imagesFor, loadConfig } from './config.ts'
import type { ProjectConfig } from './config.ts'
import { K3d, K3dError, createArgs } from './k3d.ts'
import type { K3dCluster } from './k3d.ts'
import { Kubectl, labelValue } from './kubectl.ts'
import { Docker } from './docker.ts'
import { Registry, timestamp, MetaFormatError } from './registry.ts'
import type { ClusterMeta } from './registry.ts'
import { Reservations, withLock } from './lock.ts'
import type { Reservation } from './lock.ts'
import { takenPorts } from './clusters.ts'
import { choosePorts, probeHostPort } from './ports.ts'
import type { PortPlan, PortProbe } from './ports.ts'
import { kubeconfigPath } from './paths.ts'
import type { Paths } from './paths.ts'
import { ensureKubeconfig, exportLine, rewriteKubeconfig, writeKubeconfig } from './kubeconfig.ts'
import { removeIfExists } from './fsutil.ts'
import type { Output } from './output.ts'
import type { Runner } from './proc.ts'
import { checkDocker, checkGitIdentity, checkK3d, checkProgram, requireAll } from './preflight.ts'
import { onInterrupt } from './main.ts'

export interface BootstrapOptions {
  share: boolean
  force: boolean
  tag: string
  name: string | null
  dryRun: boolean
  json: boolean
}

export const BOOTSTRAP_USAGE = `Usage: dev-up-multi.ts [--share|-s] [--force|-f] [--tag|-t TAG] [--name NAME] [--dry-run] [--json] [share]
  --share, -s    shared cluster for this repository (name: REPO, no user part); the word "share" too
  --force, -f    delete and recreate the cluster if it exists
  --tag, -t TAG  tag of the images to preload (default: $TAG or "local")
  --name NAME    use NAME instead of the generated cluster name
  --dry-run      change nothing; print what would be done
  --json         print the result as JSON on stdout (logs go to stderr)
  --version      show the version, Node and how this script runs
Environment: TAG, FORCE_RECREATE=true, SHARE_CLUSTER=true, LB_PORT_RANGE, API_PORT_RANGE, READY_TIMEOUT (seconds)`

/** Docker's rule for a tag. */
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/

/** Pure: argv (after the script name) and env → options, or 'help'. Usage errors throw (exit 2). */
export function parseBootstrapArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): BootstrapOptions | 'help' {
  const unknown: string[] = []
  const a = minimist([...argv], {
    boolean: ['share', 'force', 'dry-run', 'json', 'help'],
    string: ['tag', 'name'],
    alias: { s: 'share', f: 'force', t: 'tag', h: 'help' },
    unknown: (arg) => {
      if (arg.startsWith('-')) unknown.push(arg)
      return !arg.startsWith('-')
    },
  })
  if (unknown.length > 0) throw new ArgumentError(`unknown flag: ${unknown[0]}`)
  if (a.help) return 'help'
  const words = a._.map(String)
  const extra = words.filter((w) => w !== 'share')
  if (extra.length > 0) throw new ArgumentError(`unexpected argument: ${extra[0]}`)
  const last = (v: unknown) => (Array.isArray(v) ? v[v.length - 1] : v) as string | undefined
  if (last(a.tag) === '') throw new ArgumentError('--tag needs a value: --tag TAG (e.g. --tag v1.0.0)')
  const tag = last(a.tag) ?? env.TAG ?? 'local'
  if (!TAG_RE.test(tag)) throw new UsageError(`invalid image tag ${JSON.stringify(tag)}`, 'a tag is up to 128 of [A-Za-z0-9_.-], not starting with . or -')
  const name = last(a.name)
  return {
    share: a.share || words.includes('share') || env.SHARE_CLUSTER === 'true',
    force: a.force || env.FORCE_RECREATE === 'true',
    tag,
    name: name === undefined ? null : validateClusterName(name),
    dryRun: a['dry-run'],
    json: a.json,
  }
}

export type Action = 'create' | 'reuse' | 'recreate'

/** The spec's `dev-up-multi --json` object. */
export interface BootstrapResult {
  name: string
  repository: string
  developer: string
  email: string
  email_hash: string
  shared: boolean
  lb_port: number
  api_port: number
  kubeconfig: string
  metadata_file: string
  action: Action
  k3d_args: string[]
}

export interface BootstrapDeps {
  cwd: string
  env: NodeJS.ProcessEnv
  paths: Paths
  out: Output
  runner: Runner
  probe?: PortProbe
}

/** How many times a port lost between probe and create is chosen again. */
const PORT_RETRIES = 3
const READY_POLL_MS = 500

interface Decision {
  action: Action
  existing?: K3dCluster
  plan?: PortPlan
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Creates, reuses or recreates the cluster of the identity holding deps.cwd (the main job). */
/** What a bootstrap produced, with the project it read (so callers need not read it again). */
export interface Bootstrapped {
  result: BootstrapResult
  topLevel: string
  config: ProjectConfig
}

export async function bootstrap(opts: BootstrapOptions, deps: BootstrapDeps): Promise<Bootstrapped> {
  const { out, paths, runner } = deps
  const facts: GitFacts | CliError = await readGitFacts(deps.cwd).catch((err: unknown) => {
    if (err instanceof CliError) return err
    throw err
  })
  const [docker, k3dCheck, kubectl] = await Promise.all([
    checkDocker(runner),
    checkK3d(runner),
    checkProgram('kubectl', 'install kubectl (https://kubernetes.io/docs/tasks/tools/)', true),
  ])
  requireAll([checkGitIdentity(facts), docker, k3dCheck, kubectl])
  const identity = identityFromGit(facts as GitFacts)
  if (!identity.emailConfigured) out.warn('git user.email is not set; using unknown@example.com (git config user.email you@example.com)')
  const name = opts.name ?? nameFor(identity, opts.share)
  const config = await loadConfig(identity.topLevel, deps.env)
  const done = (result: BootstrapResult): Bootstrapped => ({ result, topLevel: identity.topLevel, config })
  const readyTimeout = Number(deps.env.READY_TIMEOUT ?? 60)
  if (!(readyTimeout > 0)) throw new UsageError(`READY_TIMEOUT must be a number of seconds above 0, got ${JSON.stringify(deps.env.READY_TIMEOUT)}`)

  out.log(`Using ${opts.share ? 'shared' : 'personal'} cluster mode: ${name}`)
  out.log(`Repository: ${identity.repository}`)
  out.log(`Developer: ${identity.developer} <${identity.email}>`)

  const k3d = new K3d(runner)
  const registry = new Registry(paths.metaDir)
  const reservations = new Reservations(paths.reservationsDir)
  const probe = deps.probe ?? probeHostPort

  const choose = async (existing: K3dCluster | undefined, clusters: readonly K3dCluster[], avoid: ReadonlySet<number>, live: Reservation[]) => {
    const { metas } = await registry.list()
    const taken = takenPorts(
      clusters.filter((c) => c.name !== name),
      metas.filter((m) => m.name !== name),
      live.filter((r) => r.name !== name),
    )
    for (const p of avoid) taken.add(p)
    // A cluster we are about to delete and recreate still holds its own ports.
    const own = new Set(existing?.hostPorts ?? [])
    const plan = await choosePorts(name, { lb: config.lbPortRange, api: config.apiPortRange }, taken, (p) => (own.has(p) ? Promise.resolve(true) : probe(p)), {
      lb: existing?.lbPort ?? undefined,
      api: existing?.apiPort ?? undefined,
    })
    if (!opts.dryRun) await reservations.reserve(name, plan.lbPort, plan.apiPort)
    return plan
  }

  const decide = async (): Promise<Decision> => {
    const [clusters, live] = await Promise.all([k3d.list(), reservations.live({ prune: !opts.dryRun })])
    // Another run (an agent with the same identity) is creating this very cluster right now.
    const busy = live.find((r) => r.name === name && r.pid !== process.pid)
    if (busy) throw new OperationError(`cluster '${name}' is being created by another run (pid ${busy.pid})`, 'wait for it to finish, then run this again to reuse the cluster')
    const existing = clusters.find((c) => c.name === name)
    if (existing && !opts.force) return { action: 'reuse', existing }
    return { action: existing ? 'recreate' : 'create', existing, plan: await choose(existing, clusters, new Set(), live) }
  }
  // A dry run takes no lock: it must not create a file, not even the lock directory.
  const decision = opts.dryRun ? await decide() : await withLock(paths.lockDir, decide)

  const kubeconfig = kubeconfigPath(paths, name)
  const base = {
    name,
    repository: identity.repository,
    developer: identity.developer,
    email: identity.email,
    email_hash: identity.emailHash,
    shared: opts.share,
    kubeconfig,
    metadata_file: registry.file(name),
    action: decision.action,
  }

  if (decision.action === 'reuse') {
    const existing = decision.existing!
    const meta = await readMetaOrWarn(registry, name, out)
    const lb = existing.lbPort ?? meta?.lb_port ?? null
    const api = existing.apiPort ?? meta?.api_port ?? null
    const result: BootstrapResult = { ...base, shared: meta?.shared ?? opts.share, lb_port: lb ?? 0, api_port: api ?? 0, k3d_args: [] }
    if (opts.dryRun) return done(result)
    out.success(`Cluster '${name}' already exists!`)
    out.log('Use --force to recreate')
    await reuse(existing, meta, result, { k3d, paths, registry, identity, out, k3dVersion: k3dCheck.version ?? '' })
    return done(result)
  }

  let plan = decision.plan!
  const argsFor = (p: PortPlan) =>
    createArgs({ name, servers: config.servers, agents: config.agents, lbPort: p.lbPort, apiPort: p.apiPort, k3sArgs: config.k3sArgs })
  const planned: BootstrapResult = { ...base, lb_port: plan.lbPort, api_port: plan.apiPort, k3d_args: argsFor(plan) }
  if (opts.dryRun) return done(planned)

  let clusterMayExist = false
  let wroteKubeconfig = false
  const rollback = async () => {
    if (clusterMayExist) {
      // Ctrl-C can land just after the metadata was written: it goes with the cluster.
      await registry.remove(name).catch(() => undefined)
      await k3d.delete(name, kubeconfig).catch(() => undefined)
    }
    if (wroteKubeconfig) await removeIfExists(kubeconfig).catch(() => undefined)
    await reservations.release(name)
  }
  const unregister = onInterrupt(rollback)
  let step = 'k3d cluster create'
  try {
    if (decision.action === 'recreate') {
      step = 'k3d cluster delete'
      out.warn(`Cluster '${name}' exists, forcing recreation...`)
      await registry.remove(name) // first: no metadata may outlive its cluster, even on Ctrl-C
      await out.step(`Deleting cluster '${name}'`, () => k3d.delete(name, kubeconfig))
    }
    const avoid = new Set<number>()
    for (let attempt = 0; ; attempt++) {
      step = 'k3d cluster create'
      out.log(`LoadBalancer port: ${plan.lbPort}`)
      out.log(`API port: ${plan.apiPort}`)
      try {
        clusterMayExist = true
        await out.step(`Creating k3d cluster '${name}'`, () => k3d.create(argsFor(plan)))
        break
      } catch (err) {
        // k3d rolls back a port clash itself, and a name clash means the cluster is someone
        // else's: neither is ours to delete. Anything else (killed by Ctrl-C too) may have
        // left parts behind, so the rollback deletes them.
        const clash = err instanceof K3dError && (err.kind === 'port-conflict' || err.kind === 'name-taken')
        if (clash) clusterMayExist = false
        if (!(err instanceof K3dError && err.kind === 'port-conflict') || attempt >= PORT_RETRIES) throw err
        avoid.add(plan.lbPort).add(plan.apiPort)
        out.warn(`a port was taken between the check and the create (${err.reason}); choosing again`)
        plan = await withLock(paths.lockDir, async () => {
          const [clusters, live] = await Promise.all([k3d.list(), reservations.live()])
          return choose(undefined, clusters, avoid, live)
        })
      }
    }
    step = 'kubeconfig'
    wroteKubeconfig = true
    await writeKubeconfig(kubeconfig, rewriteKubeconfig(await k3d.kubeconfig(name), name, plan.apiPort))
    step = 'readiness wait'
    const kubectl = new Kubectl(kubeconfig, runner)
    await out.step('Waiting for the cluster to be ready', () => waitReady(kubectl, readyTimeout))
    step = 'node labels'
    const createdAt = timestamp()
    await kubectl.labelAllNodes({
      developer: labelValue(identity.user),
      'email-hash': identity.emailHash,
      repository: labelValue(identity.repository),
    })
    step = 'cluster-info configmap'
    await kubectl.applyConfigMap('cluster-info', 'default', {
      'cluster-name': name,
      developer: identity.developer,
      email: identity.email,
      repository: identity.repository,
      'created-at': createdAt,
    })
    step = 'image import'
    await importImages(config, opts.tag, name, { k3d, docker: new Docker(runner), out })
    step = 'metadata'
    await registry.write({
      name,
      repository: identity.repository,
      developer: identity.developer,
      email: identity.email,
      lb_port: plan.lbPort,
      api_port: plan.apiPort,
      kubeconfig,
      created_at: createdAt,
      k3d_version: k3dCheck.version ?? '',
      shared: opts.share,
    })
  } catch (err) {
    await rollback()
    const { message, hint } = err instanceof CliError ? err : { message: (err as Error).message, hint: undefined }
    const undone = clusterMayExist ? `the half-made cluster '${name}' was deleted again` : 'nothing was left behind'
    throw new OperationError(`${step} failed: ${message.replace(/^k3d cluster create failed: /, '')}; ${undone}`, hint ?? 'fix the cause and run it again')
  } finally {
    unregister()
    await reservations.release(name)
  }
  const result: BootstrapResult = { ...planned, lb_port: plan.lbPort, api_port: plan.apiPort, k3d_args: argsFor(plan) }
  printSummary(out, result, `Cluster '${name}' created successfully!`)
  return done(result)
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

async function waitReady(kubectl: Kubectl, timeoutSeconds: number): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000
  for (;;) {
    if (await kubectl.ready()) return
    if (Date.now() >= deadline) throw new OperationError(`the API server did not answer /readyz within ${timeoutSeconds}s`, 'check `docker ps` for the k3d containers, or raise READY_TIMEOUT')
    await sleep(READY_POLL_MS)
  }
}

/** The configured images present locally, in one `k3d image import` (absent ones: a warning each). */
async function importImages(config: ProjectConfig, tag: string, name: string, io: { k3d: K3d; docker: Docker; out: Output }): Promise<void> {
  const images = imagesFor(config, tag)
  try {
    const { present, absent } = await io.docker.localImages(images)
    for (const img of absent) io.out.warn(`Image ${img} not found locally, skipping import`)
    if (present.length === 0) return
    await io.out.step(`Importing ${present.length} image(s)`, () => io.k3d.importImages(present, name))
  } catch (err) {
    // The cluster works without them; say so rather than throw the cluster away.
    io.out.warn(`${(err as Error).message}; import the images later with: k3d image import IMAGE... -c ${name}`)
  }
}

interface ReuseIO {
  k3d: K3d
  paths: Paths
  registry: Registry
  identity: Identity
  out: Output
  k3dVersion: string
}

/** Existing cluster, no --force: start it if stopped, refresh its kubeconfig, adopt it if it has no metadata. */
async function reuse(existing: K3dCluster, meta: ClusterMeta | null, result: BootstrapResult, io: ReuseIO): Promise<void> {
  const { k3d, out } = io
  if (!existing.running) await out.step(`Starting stopped cluster '${result.name}'`, () => k3d.start(result.name))
  if (!result.api_port) throw new OperationError(`cluster '${result.name}' has no API port mapping that k3d reports`, 'recreate it with --force')
  await ensureKubeconfig(k3d, io.paths, existing)
  if (!meta && result.lb_port) {
    await io.registry.write({
      name: result.name,
      repository: io.identity.repository,
      developer: io.identity.developer,
      email: io.identity.email,
      lb_port: result.lb_port,
      api_port: result.api_port,
      kubeconfig: result.kubeconfig,
      created_at: timestamp(),
      k3d_version: io.k3dVersion,
      shared: result.shared,
      adopted: true,
    })
    out.log(`Adopted '${result.name}' (it had no metadata)`)
  } else if (meta && (meta.lb_port !== result.lb_port || meta.api_port !== result.api_port || meta.kubeconfig !== result.kubeconfig)) {
    // k3d's ports are the truth; an old file may name a /tmp kubeconfig or stale ports.
    await io.registry.write({ ...meta, lb_port: result.lb_port || meta.lb_port, api_port: result.api_port, kubeconfig: result.kubeconfig })
  } else if (!result.lb_port) {
    out.warn(`'${result.name}' has no load balancer port mapping; not recording metadata for it`)
  }
  printSummary(out, result, 'Cluster ready!')
}

/** The summary in the old script's and the guide's words, ending with the export line. */
export function printSummary(out: Output, r: BootstrapResult, headline: string): void {
  const c = out.c
  out.line()
  out.success(headline)
  out.line()
  out.line('📋 Cluster Details:')
  out.line(`  Repository: ${r.repository}`)
  out.line(`  Developer: ${r.developer} <${r.email}>`)
  out.line(`  Cluster: ${r.name}`)
  out.line(`  Type: ${r.shared ? 'Shared' : 'Personal'}`)
  out.line()
  out.line('🔗 Access Points:')
  out.line(`  LoadBalancer: ${r.lb_port ? `http://localhost:${r.lb_port}` : '(none)'}`)
  out.line(`  API Server: https://localhost:${r.api_port}`)
  out.line()
  out.line('🔑 Kubeconfig:')
  out.line(`  ${c.bold(exportLine(r.kubeconfig))}`)
}

/** The plan of --dry-run in words. */
export function printPlan(out: Output, r: BootstrapResult): void {
  const verb = { create: 'create', reuse: 'reuse (start if stopped, refresh kubeconfig)', recreate: 'delete and recreate' }[r.action]
  out.line(`Dry run: would ${verb} cluster '${r.name}'`)
  out.line(`  Repository: ${r.repository}`)
  out.line(`  Developer: ${r.developer} <${r.email}>`)
  out.line(`  Type: ${r.shared ? 'Shared' : 'Personal'}`)
  out.line(`  LoadBalancer: http://localhost:${r.lb_port}`)
  out.line(`  API Server: https://localhost:${r.api_port}`)
  out.line(`  Kubeconfig: ${r.kubeconfig}`)
  out.line(`  Metadata: ${r.metadata_file}`)
  if (r.k3d_args.length > 0) out.line(`  Command: k3d ${r.k3d_args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : quote(a))).join(' ')}`)
}
