// The adversarial suite: bootstraps interrupted at random moments, against the simulator with
// create and import delays, and the state each leaves checked. `npm run test:chaos` runs it in
// full (test/chaos/run.ts); test/chaos.test.ts runs a small seeded subset inside `npm test`.
import path from 'node:path'
import { fs, YAML } from 'zx'
import { makeSandbox } from '../helpers/sandbox.ts'
import type { Sandbox } from '../helpers/sandbox.ts'
import { makeRepo } from '../helpers/git.ts'
import { DEV_UP, MANAGER, configDir, entries, heldLocks, kubeconfigFile, metaFile, sandboxProcesses, simClusters, simKube, sleep, start, until } from '../helpers/runs.ts'
import type { Finished } from '../helpers/runs.ts'

export const ATTACKS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGKILL', 'EPIPE', 'delete'] as const
export type Attack = (typeof ATTACKS)[number]
/** The concurrency groups, by the name CHAOS_ONLY takes, and their row in the table. */
export const GROUPS = ['identities', 'wait'] as const
export type Group = (typeof GROUPS)[number]
const GROUP_ROW: Record<Group, string> = { identities: '16 identities at once, 20-port ranges', wait: '4 runs of one identity, --wait' }

const PERSONAL = 'threads-agent-vitalii-se-c18b4c'
/** One of the configured default images, present in the simulated docker: every cluster imports it. */
const IMAGE = 'bitnami/postgresql:16'

/** mulberry32: a small seeded PRNG, so a run can be replayed from its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A seed of its own for iteration I of ATTACK: one iteration replays alone. */
export function iterationSeed(seed: number, attack: string, i: number): number {
  let h = seed >>> 0
  for (const ch of `${attack}#${i}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0
  return h
}

export interface Violation {
  attack: string
  iteration: number
  what: string
}

export interface Row {
  attack: string
  runs: number
  violations: number
  /** How the attacked runs ended: undone, committed before the attack, failed cleanly... */
  outcomes: Record<string, number>
}

/** Every parse and consistency rule that holds whatever the interruption. */
async function checkFiles(sb: Sandbox, say: (what: string) => void): Promise<void> {
  const names = new Set((await simClusters(sb)).map((c) => c.name))
  const metaDir = path.join(configDir(sb), 'clusters')
  for (const f of await entries(metaDir)) {
    if (!f.endsWith('.json')) continue
    try {
      JSON.parse(await fs.readFile(path.join(metaDir, f), 'utf8'))
    } catch {
      say(`metadata ${f} does not parse`)
    }
    if (!names.has(f.slice(0, -5))) say(`metadata ${f} for a cluster k3d does not have`)
  }
  const kubeDir = path.dirname(kubeconfigFile(sb, 'x'))
  for (const f of await entries(kubeDir)) {
    if (!f.startsWith('config-')) continue
    try {
      YAML.parse(await fs.readFile(path.join(kubeDir, f), 'utf8'))
    } catch {
      say(`kubeconfig ${f} does not parse`)
    }
  }
  for (const f of await entries(path.join(configDir(sb), 'reservations'))) {
    try {
      JSON.parse(await fs.readFile(path.join(configDir(sb), 'reservations', f), 'utf8'))
    } catch {
      say(`reservation ${f} does not parse`)
    }
  }
}

/** The cluster is complete: running, labelled, cluster-info, the image, metadata and kubeconfig that match it. */
async function checkComplete(sb: Sandbox, name: string, say: (what: string) => void): Promise<void> {
  const c = (await simClusters(sb)).find((x) => x.name === name)
  if (!c) return say(`cluster ${name} missing`)
  if (!c.running || c.creating) say(`cluster ${name} not running`)
  const kube = await simKube(sb, name)
  const nodes = Object.values(kube?.nodes ?? {})
  if (nodes.length === 0 || !nodes.every((n) => n.labels.developer && n.labels['email-hash'] && n.labels.repository)) say(`cluster ${name}: nodes not labelled`)
  if (!kube || !('default/cluster-info' in kube.configmaps)) say(`cluster ${name}: no cluster-info configmap`)
  if (!c.images.includes(IMAGE)) say(`cluster ${name}: image not imported`)
  const meta = await fs.readJson(metaFile(sb, name)).catch(() => null)
  if (!meta) say(`cluster ${name}: no metadata`)
  const kubeconfig = await fs.readFile(kubeconfigFile(sb, name), 'utf8').catch(() => null)
  if (!kubeconfig) say(`cluster ${name}: no kubeconfig`)
  else if (meta && !kubeconfig.includes(`https://localhost:${meta.api_port}`)) say(`cluster ${name}: kubeconfig does not match the metadata's API port`)
}

/** No reservation and no held (or dead) lock generation left. */
async function checkNoLeftovers(sb: Sandbox, say: (what: string) => void, when: string): Promise<void> {
  const reservations = await entries(path.join(configDir(sb), 'reservations'))
  if (reservations.length > 0) say(`${when}: reservation left: ${reservations.join(', ')}`)
  const gens = await heldLocks(path.join(configDir(sb), 'ports.lock'))
  if (gens.length > 0) say(`${when}: port lock left: ${gens.join(', ')}`)
}

/** Waits for the children a SIGKILLed run left (they run on, as after a real kill -9), at most 20 s. */
async function waitForOrphans(sb: Sandbox): Promise<void> {
  await until(async () => (await sandboxProcesses(sb)).length === 0, 20_000)
}

function outcome(attack: Attack, r: Finished): string {
  if (r.code === 0) return 'completed'
  // Before the entry point listens for signals (while Node loads the code) a signal kills as usual.
  if (r.code === null && attack !== 'SIGKILL') return 'stopped while loading'
  if (attack === 'SIGKILL') return r.signal === 'SIGKILL' ? 'killed' : `exit ${r.code}`
  if (r.code === 1) return 'failed cleanly'
  return [129, 130, 141, 143].includes(r.code ?? -1) ? 'interrupted' : `exit ${r.code}`
}

/** Starts the attack on RUN at its moment; resolves when it has been dealt. */
async function strike(sb: Sandbox, attack: Attack, run: ReturnType<typeof start>, repo: string, random: () => number): Promise<void> {
  switch (attack) {
    case 'EPIPE':
      return run.closeStdout()
    case 'delete':
      await sb.run(MANAGER, ['delete', PERSONAL, '--yes'], { cwd: repo, endToEnd: true })
      return
    case 'SIGINT':
      // Half the time as a terminal's Ctrl-C: the whole foreground process group.
      return signal(random() < 0.5 ? -run.pid : run.pid, 'SIGINT')
    default:
      return signal(run.pid, attack)
  }
}

/** A signal to a run that may have ended already. */
function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig)
  } catch {
    // it finished before the attack
  }
}

/**
 * One attacked run and the next: A is interrupted at a random moment (some are --force
 * recreations of an existing cluster); then B, an ordinary run, must succeed and leave the cluster complete.
 */
export async function attackOnce(attack: Attack, seed: number, iteration: number): Promise<{ violations: Violation[]; outcome: string }> {
  const random = rng(iterationSeed(seed, attack, iteration))
  const violations: Violation[] = []
  const say = (what: string) => violations.push({ attack, iteration, what })
  // The checks' k3d and kubectl calls in-process; every run of ours a process (attacks run in parallel).
  const sb = await makeSandbox({ inProcess: true })
  try {
    const repo = await makeRepo(sb)
    const env = { K3D_SIM_IMAGES: IMAGE, K3D_SIM_CREATE_DELAY_MS: String(100 + Math.floor(random() * 500)), K3D_SIM_IMPORT_DELAY_MS: String(100 + Math.floor(random() * 500)) }
    const force = random() < 0.25
    if (force && (await sb.run(DEV_UP, [], { cwd: repo, env, endToEnd: true })).code !== 0) say('setup run failed')
    // The moment: from the run's first tool call (Node has loaded it, it listens for signals)
    // over about the time the rest takes, so the attacks land in every step, the undo's too.
    const at = Math.floor(random() * (1500 + Number(env.K3D_SIM_CREATE_DELAY_MS) + Number(env.K3D_SIM_IMPORT_DELAY_MS)))
    const before = sb.calls().length
    const a = start(sb, DEV_UP, force ? ['--force'] : [], repo, env)
    let finished = false
    void a.done.then(() => (finished = true))
    await until(() => finished || sb.calls().length > before, 30_000)
    await Promise.race([sleep(at), a.done])
    await strike(sb, attack, a, repo, random)
    const ra = await a.done
    const trace = ra.stderr.split('\n').find((l) => /^\s+at /.test(l))
    if (trace) say(`attacked run printed a stack trace (${trace.trim()})`)
    if (attack === 'SIGKILL') await waitForOrphans(sb)
    await checkFiles(sb, say)
    if (attack !== 'SIGKILL') {
      // An interrupted run is undone, or (the signal came after its last step) complete: never half.
      for (const c of await simClusters(sb)) await checkComplete(sb, c.name, (w) => say(`after the attacked run (${outcome(attack, ra)}): ${w}`))
      await checkNoLeftovers(sb, say, 'after the attacked run')
    }
    await nextRun(sb, repo, env, say)
    return { violations, outcome: outcome(attack, ra) }
  } finally {
    await sb.cleanup()
  }
}

/** B: must succeed, leave the cluster complete, and clear what a killed A left within 2 s of its start. */
async function nextRun(sb: Sandbox, repo: string, env: Record<string, string>, say: (what: string) => void): Promise<void> {
  const leftover = new Set([
    ...(await entries(path.join(configDir(sb), 'reservations'))),
    ...(await heldLocks(path.join(configDir(sb), 'ports.lock'))),
  ])
  const before = sb.calls().length
  const b = start(sb, DEV_UP, [], repo, env)
  if (leftover.size > 0) {
    // The 2 s count from the run's first tool call: Node loading it is not the run (on a loaded
    // 2-core machine that alone can take 2 s).
    let exited = false
    void b.done.then(() => (exited = true))
    await until(() => exited || sb.calls().length > before, 30_000)
    const cleared = await until(async () => {
      const now = [...(await entries(path.join(configDir(sb), 'reservations'))), ...(await heldLocks(path.join(configDir(sb), 'ports.lock')))]
      // The same name may be B's own reservation again: compare the owner.
      const file = path.join(configDir(sb), 'reservations', `${PERSONAL}.json`)
      const owner = (await fs.readJson(file).catch(() => null))?.pid
      return [...leftover].every((e) => !now.includes(e) || (e.endsWith('.json') && owner === b.pid))
    }, 2000)
    if (!cleared) say(`a dead run's reservation or lock outlived 2 s of the next run: ${[...leftover].join(', ')}`)
  }
  const rb = await b.done
  if (rb.code !== 0) return say(`the next run failed (exit ${rb.code}): ${rb.stderr.split('\n').filter((l) => l.startsWith('✗')).join(' ')}`)
  await checkComplete(sb, PERSONAL, (w) => say(`after the next run: ${w}`))
  await checkFiles(sb, say)
  await checkNoLeftovers(sb, say, 'after the next run')
}

/** Sixteen identities at once in 20-port ranges: every run succeeds, no port twice. */
export async function identitiesRound(seed: number, round: number): Promise<Violation[]> {
  const random = rng(iterationSeed(seed, 'identities', round))
  const violations: Violation[] = []
  const say = (what: string) => violations.push({ attack: GROUP_ROW.identities, iteration: round, what })
  const sb = await makeSandbox()
  try {
    const lb = 20000 + Math.floor(random() * 500) * 20
    const api = lb + 20000
    const env = { LB_PORT_RANGE: `${lb}-${lb + 19}`, API_PORT_RANGE: `${api}-${api + 19}`, K3D_SIM_CREATE_DELAY_MS: '200', K3D_SIM_IMAGES: IMAGE }
    const repos = await Promise.all(Array.from({ length: 16 }, (_, i) => makeRepo(sb, { dir: `agent${i}/threads-agent`, userName: `Agent ${i}`, email: `agent${i}@example.com` })))
    const runs = await Promise.all(repos.map((cwd) => sb.run(DEV_UP, ['--json'], { cwd, env })))
    const results = runs.flatMap((r, i) => {
      if (r.code !== 0) say(`agent ${i} failed (exit ${r.code}): ${r.stderr.split('\n').filter((l) => l.startsWith('✗')).join(' ')}`)
      return r.code === 0 ? [JSON.parse(r.stdout) as { name: string; lb_port: number; api_port: number }] : []
    })
    const ports = results.flatMap((r) => [r.lb_port, r.api_port])
    const collisions = ports.length - new Set(ports).size
    if (collisions > 0) say(`${collisions} port collision(s)`)
    for (const r of results) {
      if (r.lb_port < lb || r.lb_port > lb + 19 || r.api_port < api || r.api_port > api + 19) say(`${r.name}: a port outside the range`)
      await checkComplete(sb, r.name, say)
    }
    await checkFiles(sb, say)
    await checkNoLeftovers(sb, say, 'after the round')
    return violations
  } finally {
    await sb.cleanup()
  }
}

/** Four runs of one identity at once with --wait: all succeed, one creates. */
export async function waitRound(seed: number, round: number): Promise<Violation[]> {
  const violations: Violation[] = []
  const say = (what: string) => violations.push({ attack: GROUP_ROW.wait, iteration: round, what })
  const sb = await makeSandbox()
  try {
    const repo = await makeRepo(sb)
    const delay = 200 + Math.floor(rng(iterationSeed(seed, 'wait', round))() * 800)
    const env = { K3D_SIM_CREATE_DELAY_MS: String(delay), K3D_SIM_IMAGES: IMAGE }
    const runs = await Promise.all(Array.from({ length: 4 }, () => sb.run(DEV_UP, ['--wait'], { cwd: repo, env })))
    runs.forEach((r, i) => r.code !== 0 && say(`run ${i} failed (exit ${r.code}): ${r.stderr.split('\n').filter((l) => l.startsWith('✗')).join(' ')}`))
    const creates = sb.calls('k3d').filter((c) => c.args[1] === 'create').length
    if (creates !== 1) say(`${creates} creates, not 1`)
    await checkComplete(sb, PERSONAL, say)
    await checkNoLeftovers(sb, say, 'after the round')
    return violations
  } finally {
    await sb.cleanup()
  }
}

export interface ChaosOptions {
  seed: number
  runs: number
  /** Rounds of the two concurrency groups (0 leaves them out). */
  rounds: number
  only?: ReadonlySet<string>
  concurrency: number
  log?: (line: string) => void
}

/** Runs JOBS, at most N at a time. */
async function pool<T>(jobs: Array<() => Promise<T>>, n: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length)
  let next = 0
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, async () => {
    while (next < jobs.length) {
      const i = next++
      const job = jobs[i]
      if (job) results[i] = await job()
    }
  }))
  return results
}

export async function runChaos(o: ChaosOptions): Promise<{ rows: Row[]; violations: Violation[] }> {
  const log = o.log ?? (() => undefined)
  const rows: Row[] = []
  const violations: Violation[] = []
  for (const attack of ATTACKS.filter((a) => o.runs > 0 && (!o.only || o.only.has(a)))) {
    const jobs = Array.from({ length: o.runs }, (_, i) => () => attackOnce(attack, o.seed, i))
    const results = await pool(jobs, o.concurrency)
    const outcomes: Record<string, number> = {}
    for (const r of results) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1
    const bad = results.flatMap((r) => r.violations)
    for (const v of bad) log(`violation: ${v.attack} #${v.iteration}: ${v.what}`)
    violations.push(...bad)
    rows.push({ attack, runs: results.length, violations: new Set(bad.map((v) => v.iteration)).size, outcomes })
    log(`${attack}: ${results.length} runs, ${bad.length} violation(s)`)
  }
  const groups: Array<[Group, (seed: number, round: number) => Promise<Violation[]>, number]> = [
    ['identities', identitiesRound, 16],
    ['wait', waitRound, 4],
  ]
  for (const [group, round, perRound] of groups) {
    if (o.rounds === 0 || (o.only && !o.only.has(group))) continue
    const bad: Violation[] = []
    for (let i = 0; i < o.rounds; i++) bad.push(...(await round(o.seed, i)))
    violations.push(...bad)
    rows.push({ attack: `${GROUP_ROW[group]} (${o.rounds} rounds)`, runs: o.rounds * perRound, violations: bad.length, outcomes: {} })
    log(`${GROUP_ROW[group]}: ${o.rounds} round(s), ${bad.length} violation(s)`)
  }
  return { rows, violations }
}

/** The table: attack | runs | violations (and how the attacked runs ended). */
export function table(rows: readonly Row[]): string {
  const lines = [['attack', 'runs', 'violations', 'outcomes'], ...rows.map((r) => [r.attack, String(r.runs), String(r.violations), Object.entries(r.outcomes).map(([k, v]) => `${k} ${v}`).join(', ')])]
  const widths = lines[0]?.map((_, i) => Math.max(3, ...lines.map((l) => (l[i] ?? '').length))) ?? []
  const row = (cells: readonly string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`
  const [head = [], ...body] = lines
  return [row(head), row(widths.map((w) => '-'.repeat(w))), ...body.map(row)].join('\n')
}
