import minimist from 'minimist'
import { ArgumentError, UsageError } from '../errors.ts'
import { validateClusterName } from '../names.ts'

export interface BootstrapOptions {
  share: boolean
  force: boolean
  tag: string
  /** --tag was given: an existing cluster gets that tag's images imported too. */
  tagGiven: boolean
  name: string | null
  dryRun: boolean
  json: boolean
  /** Another live run creating the same cluster is waited for (up to waitTimeout seconds). */
  wait: boolean
  waitTimeout: number
  /** --worktree / --no-worktree (undefined: CLUSTER_ISOLATION, then the config file decide; lib/isolation.ts). */
  worktree: boolean | undefined
  /** `-o yaml` (with --dry-run): print the k3d config document alone. */
  output: 'yaml' | null
}

export const BOOTSTRAP_USAGE = `Usage: dev-up-multi.ts [--share|-s] [--force|-f] [--tag|-t TAG] [--name NAME] [--worktree] [--wait] [--wait-timeout SECONDS] [--dry-run] [--json] [share]
  --share, -s    shared cluster for this repository (name: REPO, no user part); the word "share" too
  --force, -f    delete and recreate the cluster if it exists
  --tag, -t TAG  tag of the images to preload (default: $TAG or "local"); on an existing cluster,
                 imports that tag's local images into it
  --name NAME    use NAME instead of the generated cluster name
  --worktree     a personal cluster for this work tree (REPO-USER-HASH-WWWW), not one per identity;
                 --no-worktree the opposite (default: $CLUSTER_ISOLATION, then "isolation" in
                 multi-cluster.config.json, else per identity)
  --wait         if another run is creating this same cluster, wait for it, then reuse it
                 (without --wait that is an error, exit 1)
  --wait-timeout SECONDS
                 how long --wait waits at most (default 300)
  --dry-run      change nothing; print what would be done, with the k3d config it would create from
  -o yaml        with --dry-run: print only that k3d config (k3d.io/v1alpha5), e.g. to review or keep
  --json         print the result as JSON on stdout (logs go to stderr)
  --version      show the version, Node and how this script runs
Environment: TAG, FORCE_RECREATE=true, SHARE_CLUSTER=true, CLUSTER_ISOLATION=worktree|identity, LB_PORT_RANGE, API_PORT_RANGE,
BIND_ADDRESS (127.0.0.1 by default; 0.0.0.0 shares the ports on the network), READY_TIMEOUT (seconds)`

/** Docker's rule for a tag. */
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/

const last = (v: unknown) => (Array.isArray(v) ? v[v.length - 1] : v) as string | undefined

function seconds(text: string | undefined, flag: string): number {
  if (text === undefined) return 300
  const n = Number(text)
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a number of seconds above 0, got ${JSON.stringify(text)}`)
  return n
}

/** Pure: argv (after the script name) and env → options, or 'help'. Usage errors throw (exit 2). */
export function parseBootstrapArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): BootstrapOptions | 'help' {
  const unknown: string[] = []
  const a = minimist([...argv], {
    boolean: ['share', 'force', 'dry-run', 'json', 'help', 'wait', 'worktree'],
    string: ['tag', 'name', 'wait-timeout', 'output'],
    alias: { s: 'share', f: 'force', t: 'tag', h: 'help', o: 'output' },
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
  const tagFlag = last(a.tag)
  if (tagFlag === '') throw new UsageError('--tag needs a value: --tag TAG (e.g. --tag v1.0.0)')
  const tag = tagFlag ?? env.TAG ?? 'local'
  if (!TAG_RE.test(tag)) throw new UsageError(`invalid image tag ${JSON.stringify(tag)}`, 'a tag is up to 128 of [A-Za-z0-9_.-], not starting with . or -')
  const name = last(a.name)
  const output = last(a.output)
  if (output !== undefined && output !== 'yaml') throw new UsageError(`-o takes yaml (the k3d config of a dry run), got ${JSON.stringify(output)}`)
  if (output === 'yaml' && !a['dry-run']) throw new UsageError('-o yaml prints the k3d config a run would create from: add --dry-run')
  if (output === 'yaml' && a.json) throw new UsageError('--json and -o yaml both take stdout: pick one')
  // minimist makes a declared boolean false when absent: only a given --[no-]worktree decides here.
  const worktreeGiven = argv.some((w) => w === '--worktree' || w === '--no-worktree' || w.startsWith('--worktree='))
  return {
    share: a.share || words.includes('share') || env.SHARE_CLUSTER === 'true',
    force: a.force || env.FORCE_RECREATE === 'true',
    tag,
    tagGiven: tagFlag !== undefined,
    name: name === undefined ? null : validateClusterName(name),
    dryRun: a['dry-run'],
    json: a.json,
    wait: a.wait,
    waitTimeout: seconds(last(a['wait-timeout']), '--wait-timeout'),
    output: output === 'yaml' ? 'yaml' : null,
    worktree: worktreeGiven ? Boolean(last(a.worktree as unknown)) : undefined,
  }
}
