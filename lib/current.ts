import { access, readdir } from 'node:fs/promises'
import type { Dirent } from 'node:fs'
import path from 'node:path'
import { readIfExists, writeFileAtomic, removeIfExists } from './fsutil.ts'
import { md5Prefix } from './hash.ts'
import { identityFromGit, nameFor, worktreeNameFor } from './identity.ts'
import { clusterOfContext, currentContext } from './kubeconfig.ts'
import { k3dNameProblem } from './names.ts'
import type { Paths } from './paths.ts'
import { kubeconfigPath, credentialsPath } from './paths.ts'
import type { Runner } from './proc.ts'
import { isWorkTreeTop, workTreeTop } from './worktree.ts'

/** Why a cluster is the current one (spec: Behaviour, current), in resolution order. */
export type Selection =
  | { kind: 'KUBECONFIG'; file: string }
  | { kind: 'worktree'; worktree: string; file: string; namespace?: string }
  | { kind: 'identity'; worktree: string; shared: boolean; perWorktree?: boolean }
  | { kind: 'pointer'; file: string }

export interface Current {
  name: string
  source: Selection
}

/** $KUBECONFIG selects a context that is not a k3d cluster: kubectl talks to that, not to ours. */
export interface Foreign {
  name: null
  context: string
  file: string
}

/** The git settings the identity step needs, read in the work tree (null: none readable). */
export type GitConfigReader = (cwd: string) => Promise<{ remoteUrl: string | null; userName: string | null; email: string | null } | null>

/** NAME when FILE is one of our kubeconfigs (`~/.kube/threads-agent/config-NAME`). */
export function clusterOfKubeconfigPath(p: Paths, file: string): string | null {
  const resolved = path.resolve(file)
  if (path.dirname(resolved) !== p.kubeDir) return null
  const base = path.basename(resolved)
  if (!base.startsWith('config-')) return null
  const name = base.slice('config-'.length)
  return k3dNameProblem(name) === null ? name : null
}

const validName = (v: unknown): string | null => (typeof v === 'string' && v !== '' && k3dNameProblem(v) === null ? v : null)

async function readPointer(file: string): Promise<string | null> {
  return validName((await readIfExists(file))?.trim())
}

// ---------------------------------------------------------------- choices per work tree

/**
 * One work tree's choice: `~/.config/threads-agent/worktrees/<md5 of its path>.json`, one file
 * per work tree so that agents switching in different work trees never write the same file.
 * The path inside guards against a hash collision and lets cleanup find removed work trees.
 */
export interface WorktreeChoice {
  worktree: string
  current: string | null
  previous: string | null
  /** `switch NAME --namespace NS`: the work tree uses NAME's credentials for NS (absent: the admin kubeconfig). */
  namespace?: string | null
}

/** A namespace as Kubernetes allows it (names.ts validateNamespace says why one is not). */
const validNamespace = (v: unknown): string | null => (typeof v === 'string' && /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(v) ? v : null)

export function choiceFile(p: Paths, worktree: string): string {
  return path.join(p.worktreesDir, `${md5Prefix(worktree, 16)}.json`)
}

/** Pure: a choice file's text, or null when it is not one (then it is ignored). */
export function parseChoice(text: string): WorktreeChoice | null {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    return null
  }
  if (typeof data !== 'object' || data === null) return null
  const o = data as Record<string, unknown>
  if (typeof o.worktree !== 'string' || !path.isAbsolute(o.worktree)) return null
  const choice: WorktreeChoice = { worktree: o.worktree, current: validName(o.current), previous: validName(o.previous) }
  const namespace = validNamespace(o.namespace)
  return namespace && choice.current ? { ...choice, namespace } : choice
}

export async function readChoice(p: Paths, worktree: string): Promise<WorktreeChoice | null> {
  const text = await readIfExists(choiceFile(p, worktree))
  const choice = text === null ? null : parseChoice(text)
  return choice?.worktree === worktree ? choice : null
}

async function writeChoice(p: Paths, choice: WorktreeChoice): Promise<void> {
  const file = choiceFile(p, choice.worktree)
  if (choice.current === null && choice.previous === null) await removeIfExists(file)
  else await writeFileAtomic(file, `${JSON.stringify(choice, null, 2)}\n`)
}

async function allChoices(p: Paths): Promise<Array<{ file: string; choice: WorktreeChoice | null }>> {
  const entries = await readdir(p.worktreesDir).catch(() => [] as string[])
  const files = entries.filter((e) => e.endsWith('.json') && !e.startsWith('.')).map((e) => path.join(p.worktreesDir, e))
  return Promise.all(files.map(async (file) => ({ file, choice: parseChoice((await readIfExists(file)) ?? '') })))
}

// ---------------------------------------------------------------- resolution

/** `git config` of the work tree at CWD: origin URL, user.name, user.email (one git call). */
export function gitConfigReader(runner: Runner): GitConfigReader {
  return async (cwd) => {
    const r = await runner('git', ['config', '-z', '--get-regexp', '^(remote\\.origin\\.url|user\\.name|user\\.email)$'], { cwd })
    if (r.code !== 0 && r.stdout === '') return r.code === 1 ? { remoteUrl: null, userName: null, email: null } : null
    const values = new Map<string, string>()
    for (const entry of r.stdout.split('\0')) {
      const nl = entry.indexOf('\n')
      if (nl > 0) values.set(entry.slice(0, nl).toLowerCase(), entry.slice(nl + 1))
    }
    return { remoteUrl: values.get('remote.origin.url') ?? null, userName: values.get('user.name') ?? null, email: values.get('user.email') ?? null }
  }
}

/** The cluster `dev-up-multi` would use in WORKTREE for this git identity, if it was created (personal first, then shared). */
async function identityCluster(p: Paths, worktree: string, git: GitConfigReader): Promise<Current | null> {
  const facts = await git(worktree).catch(() => null)
  if (!facts) return null
  const identity = identityFromGit({ topLevel: worktree, ...facts })
  const exists = (name: string) => access(path.join(p.metaDir, `${name}.json`)).then(() => true, () => false)
  // This work tree's own cluster (`--worktree`) first: its name holds this work tree's hash, so it
  // is found whatever the isolation setting, and an agent there never lands on a sibling's.
  const own = worktreeNameFor(identity)
  if (await exists(own)) return { name: own, source: { kind: 'identity', worktree, shared: false, perWorktree: true } }
  for (const shared of [false, true]) {
    const name = nameFor(identity, shared)
    if (await exists(name)) return { name, source: { kind: 'identity', worktree, shared } }
  }
  return null
}

/** What $KUBECONFIG selects, kubectl's way: the first file naming a current-context wins. */
async function fromKubeconfigEnv(p: Paths, env: NodeJS.ProcessEnv): Promise<Current | Foreign | null> {
  const files = (env.KUBECONFIG ?? '').split(path.delimiter).filter((f) => f !== '')
  for (const f of files) {
    // One of our files needs no read: its name says which cluster it holds.
    const ours = clusterOfKubeconfigPath(p, f)
    if (ours) return { name: ours, source: { kind: 'KUBECONFIG', file: path.resolve(f) } }
    const text = await readIfExists(f).catch(() => null)
    const context = text === null ? null : currentContext(text)
    if (context === null) continue
    const name = validName(clusterOfContext(context))
    return name ? { name, source: { kind: 'KUBECONFIG', file: path.resolve(f) } } : { name: null, context, file: path.resolve(f) }
  }
  return null
}

export interface ResolveOptions {
  cwd?: string
  /** Reads the work tree's git config for the identity step; without it that step is skipped. */
  git?: GitConfigReader
}

/**
 * The current cluster (spec: Behaviour, current). Files only, no k3d or docker call:
 * 1. $KUBECONFIG: one of our files, or a kubeconfig whose current-context is k3d-NAME (any other
 *    context is reported as Foreign: kubectl in this shell talks to that cluster);
 * 2. the choice `switch` recorded for this git work tree;
 * 3. the cluster this git identity would bootstrap here (personal, then shared), if it was created;
 * 4. the global pointer (`switch` outside any work tree, or the last switch anywhere);
 * else null.
 */
export async function resolveCurrent(p: Paths, env: NodeJS.ProcessEnv = process.env, opts: ResolveOptions = {}): Promise<Current | Foreign | null> {
  const fromEnv = await fromKubeconfigEnv(p, env)
  if (fromEnv) return fromEnv
  const worktree = await workTreeTop(opts.cwd ?? process.cwd())
  if (worktree) {
    const choice = await readChoice(p, worktree)
    if (choice?.current) {
      const source: Selection = { kind: 'worktree', worktree, file: choiceFile(p, worktree), ...(choice.namespace ? { namespace: choice.namespace } : {}) }
      return { name: choice.current, source }
    }
    const mine = opts.git ? await identityCluster(p, worktree, opts.git) : null
    if (mine) return mine
  }
  const pointed = await readPointer(p.currentFile)
  return pointed ? { name: pointed, source: { kind: 'pointer', file: p.currentFile } } : null
}

// ---------------------------------------------------------------- writing

async function setPointer(p: Paths, name: string): Promise<void> {
  const before = await readPointer(p.currentFile)
  if (before && before !== name) await writeFileAtomic(p.previousFile, `${before}\n`)
  await writeFileAtomic(p.currentFile, `${name}\n`)
}

export interface Where {
  /** The work tree to record NAME for; default: the one holding the working directory (null: none). */
  worktree?: string | null
  /** What was current there before, to become its previous (`switch -`); default: its recorded choice. */
  before?: string | null
  /** The namespace whose credentials the work tree uses (`switch --namespace`); default none: the admin kubeconfig. */
  namespace?: string | null
}

/**
 * Makes NAME current: for the git work tree (when there is one) and as the global pointer used
 * outside any work tree. The one it replaces becomes previous, in each.
 */
export async function setCurrent(p: Paths, name: string, where: Where = {}): Promise<void> {
  const worktree = where.worktree === undefined ? await workTreeTop(process.cwd()) : where.worktree
  if (worktree) {
    const choice = await readChoice(p, worktree)
    const before = where.before === undefined ? (choice?.current ?? null) : where.before
    const previous = before && before !== name ? before : (choice?.previous ?? null)
    const next: WorktreeChoice = { worktree, current: name, previous: previous === name ? null : previous }
    await writeChoice(p, where.namespace ? { ...next, namespace: where.namespace } : next)
  }
  await setPointer(p, name)
}

// ---------------------------------------------------------------- the kubeconfig of a work tree

/**
 * One work tree's own kubeconfig, `~/.kube/threads-agent/worktree-<md5 of its path>`: a copy of the
 * kubeconfig of the cluster current there (or of its namespace credentials), rewritten by every
 * `switch` in that work tree and by dev-start. An MCP server or agent that holds this one path
 * follows the switches without a restart, and `.mcp.json` never changes for a switch. Its first
 * line names the work tree (a YAML comment: kubectl and MCP servers skip it), so cleanup can drop
 * the files of work trees that are gone.
 */
export function worktreeKubeconfigPath(p: Paths, worktree: string): string {
  return path.join(p.kubeDir, `worktree-${md5Prefix(worktree, 16)}`)
}

const WORKTREE_MARK = '# threads-agent work tree: '

/** Pure: the work tree a work tree kubeconfig says it belongs to (its first line), or null. */
export function worktreeOfKubeconfig(text: string): string | null {
  const first = text.split('\n', 1)[0]!
  if (!first.startsWith(WORKTREE_MARK)) return null
  const dir = first.slice(WORKTREE_MARK.length)
  return path.isAbsolute(dir) ? dir : null
}

/** The file the work tree's kubeconfig copies: NAME's admin kubeconfig, or its credentials for NAMESPACE. */
export function sourceKubeconfig(p: Paths, name: string, namespace: string | null = null): string {
  return namespace ? credentialsPath(p, name, namespace) : kubeconfigPath(p, name)
}

/**
 * Rewrites WORKTREE's kubeconfig with the text of SOURCE (a kubeconfig of ours), atomically and
 * 0600: a watcher sees the old file or the new, never half of one. Returns its path.
 */
export async function writeWorktreeKubeconfig(p: Paths, worktree: string, source: string): Promise<string> {
  const text = await readIfExists(source)
  if (text === null) throw new Error(`${source} is missing`)
  const file = worktreeKubeconfigPath(p, worktree)
  const body = text.replace(/^---\s*\n/, '')
  if ((await readIfExists(file)) !== `${WORKTREE_MARK}${worktree}\n${body}`) await writeFileAtomic(file, `${WORKTREE_MARK}${worktree}\n${body}`)
  return file
}

async function worktreeKubeconfigs(p: Paths): Promise<Array<{ file: string; text: string }>> {
  const entries: Dirent[] = await readdir(p.kubeDir, { withFileTypes: true }).catch(() => [])
  const files = entries.filter((e) => e.isFile() && /^worktree-[0-9a-f]{16}$/.test(e.name)).map((e) => path.join(p.kubeDir, e.name))
  const texts = await Promise.all(files.map((file) => readIfExists(file).catch(() => null)))
  return files.flatMap((file, i) => (texts[i] === null || texts[i] === undefined ? [] : [{ file, text: texts[i] }]))
}

/** The cluster `switch -` returns to: this work tree's previous one, or the global previous outside any. */
export async function previousCluster(p: Paths, worktree: string | null = null): Promise<string | null> {
  if (worktree) return (await readChoice(p, worktree))?.previous ?? null
  return readPointer(p.previousFile)
}

/**
 * Forgets NAME everywhere it is current or previous (after `delete`, `cleanup`), and removes the
 * work tree kubeconfigs that hold it: a key to a cluster that is gone opens nothing.
 */
export async function forgetCluster(p: Paths, name: string): Promise<void> {
  for (const { file, text } of await worktreeKubeconfigs(p)) {
    if (currentContext(text) === `k3d-${name}`) await removeIfExists(file)
  }
  if ((await readPointer(p.currentFile)) === name) await removeIfExists(p.currentFile)
  if ((await readPointer(p.previousFile)) === name) await removeIfExists(p.previousFile)
  for (const { choice } of await allChoices(p)) {
    if (!choice || (choice.current !== name && choice.previous !== name)) continue
    await writeChoice(p, { ...choice, current: choice.current === name ? null : choice.current, previous: choice.previous === name ? null : choice.previous })
  }
}

/**
 * Removes the choices and the kubeconfigs of work trees that are gone (and unreadable choice
 * files); returns what each was. A work tree kubeconfig that does not say its work tree is kept.
 */
export async function pruneChoices(p: Paths): Promise<Array<{ file: string; worktree: string | null; what: 'choice' | 'kubeconfig' }>> {
  const removed: Array<{ file: string; worktree: string | null; what: 'choice' | 'kubeconfig' }> = []
  for (const { file, choice } of await allChoices(p)) {
    if (choice && (await isWorkTreeTop(choice.worktree))) continue
    if (await removeIfExists(file)) removed.push({ file, worktree: choice?.worktree ?? null, what: 'choice' })
  }
  for (const { file, text } of await worktreeKubeconfigs(p)) {
    const worktree = worktreeOfKubeconfig(text)
    if (worktree === null || (await isWorkTreeTop(worktree))) continue
    if (await removeIfExists(file)) removed.push({ file, worktree, what: 'kubeconfig' })
  }
  return removed
}
