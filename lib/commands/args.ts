import minimist from 'minimist'
import { UsageError } from '../errors.ts'
import { validateClusterName, validateNamespace } from '../names.ts'
import type { Access } from '../access.ts'
import { DEFAULT_TOKEN_DURATION, parseTokenDuration } from '../access.ts'
import type { McpClient, McpMode } from '../mcp.ts'
import { knownClient } from '../mcp.ts'

/** Shells whose line `switch --shell` prints, and whose completion script `completion` prints. */
export const SHELLS = ['bash', 'zsh', 'fish', 'sh'] as const
export type ShellSyntax = (typeof SHELLS)[number]
export const COMPLETION_SHELLS = ['bash', 'zsh', 'fish'] as const
export type CompletionShell = (typeof COMPLETION_SHELLS)[number]
/** `list -o`: the guide's blocks (default), one table line per cluster, names only (json: --json). */
export const LIST_FORMATS = ['table', 'name', 'json'] as const
export type ListFormat = 'guide' | 'table' | 'name'

/** What the user asked for: the result of parsing argv, before anything runs. */
export type Operation =
  | { kind: 'help'; topic: OperationKind | null } // topic: `COMMAND --help`, `help COMMAND`
  | { kind: 'version'; json: boolean }
  | { kind: 'list'; json: boolean; format: ListFormat; headers: boolean }
  | { kind: 'current'; json: boolean; nameOnly: boolean }
  | { kind: 'info'; name: string; json: boolean }
  // name '-': the previous cluster; null: pick one (on a terminal). shell: print only SYNTAX's line.
  // namespace: use the scoped credentials of that namespace (`credentials`) instead of the admin kubeconfig.
  | { kind: 'switch'; name: string | null; shell: boolean; syntax: ShellSyntax; verbose: boolean; namespace: string | null }
  | { kind: 'delete'; names: string[]; yes: boolean }
  | { kind: 'resources'; name: string | null } // null: the current cluster
  // yes: also delete the clusters of work trees that are gone (`--worktree` clusters); registry: also remove the shared image registry when no cluster uses it.
  | { kind: 'cleanup'; yes: boolean; registry: boolean }
  | { kind: 'start'; names: string[] }
  | { kind: 'stop'; names: string[] }
  | { kind: 'exec'; name: string; command: string[]; namespace: string | null }
  | { kind: 'shell'; name: string; namespace: string | null }
  // name null: the current cluster. duration: the token's lifetime in seconds.
  | { kind: 'credentials'; name: string | null; namespace: string; access: Access; duration: number; json: boolean }
  | { kind: 'completion'; target: CompletionShell }
  // Parsed here, implemented by lib/commands/doctor.ts, mcp.ts and devstart.ts.
  | { kind: 'doctor'; json: boolean }
  // The shared image registry (lib/imageregistry.ts): its address and images, or its removal.
  | { kind: 'registry'; action: 'status' | 'delete'; json: boolean; force: boolean }
  // mode null: keep the mode the entry has (read-write when new); namespace: pin it to those credentials.
  | { kind: 'mcp-setup'; client: McpClient; mode: McpMode | null; force: boolean; namespace: string | null }
  | { kind: 'dev-start'; words: string[] }

export type OperationKind = Operation['kind']
export type OperationOf<K extends OperationKind> = Extract<Operation, { kind: K }>

/** The hint of a usage error; the entry point passes one naming what the user can type there. */
export type UsageHint = (topic: OperationKind | null) => string
export const defaultUsageHint: UsageHint = (topic) => `run 'cluster-manager ${topic ? `${topic} --help` : 'help'}' for usage`
export const USAGE_HINT = defaultUsageHint(null)

export type Flag =
  | 'json' | 'shell' | 'yes' | 'name' | 'verbose' | 'output' | 'headers'
  | 'namespace' | 'read-only' | 'non-destructive' | 'read-write' | 'duration' | 'client' | 'force' | 'registry'

/** How each flag is spelled on the command line (for the completion scripts and help). */
export const FLAG_SPELLINGS: Record<Flag, readonly string[]> = {
  json: ['--json'],
  shell: ['--shell'],
  yes: ['--yes', '-y'],
  name: ['--name', '-q'],
  verbose: ['--verbose', '-v'],
  output: ['--output', '-o'],
  headers: ['--no-headers'],
  namespace: ['--namespace', '-n'],
  'read-only': ['--read-only'],
  'non-destructive': ['--non-destructive'],
  'read-write': ['--read-write'],
  duration: ['--duration'],
  client: ['--client'],
  force: ['--force'],
  registry: ['--registry'],
}

/** Flags that take a value (the completion scripts skip it, and offer values for some). */
export const VALUE_FLAGS: readonly Flag[] = ['output', 'namespace', 'duration', 'client']

/** Command words (aliases included) → the operation kind. */
export const COMMAND_WORDS: Record<string, OperationKind> = {
  list: 'list',
  ls: 'list',
  switch: 'switch',
  use: 'switch',
  current: 'current',
  info: 'info',
  delete: 'delete',
  rm: 'delete',
  resources: 'resources',
  res: 'resources',
  cleanup: 'cleanup',
  start: 'start',
  stop: 'stop',
  exec: 'exec',
  shell: 'shell',
  completion: 'completion',
  version: 'version',
  help: 'help',
  doctor: 'doctor',
  registry: 'registry',
  'mcp-setup': 'mcp-setup',
  'dev-start': 'dev-start',
  credentials: 'credentials',
}

/** Flags each command accepts (--help is accepted everywhere). */
export const FLAGS: Record<OperationKind, readonly Flag[]> = {
  help: [],
  version: ['json'],
  list: ['json', 'output', 'headers'],
  current: ['json', 'name'],
  info: ['json'],
  switch: ['shell', 'verbose', 'namespace'],
  delete: ['yes'],
  resources: [],
  cleanup: ['yes', 'registry'],
  start: [],
  stop: [],
  exec: ['namespace'],
  shell: ['namespace'],
  completion: [],
  doctor: ['json'],
  registry: ['json', 'force'],
  'mcp-setup': ['client', 'read-only', 'non-destructive', 'read-write', 'force', 'namespace'],
  'dev-start': [],
  credentials: ['namespace', 'read-only', 'duration', 'json'],
}

/** What each command takes after its word: the completion scripts offer cluster names for NAME. */
export const ARGUMENTS: Record<OperationKind, 'none' | 'name' | 'names' | 'optional-name' | 'shell' | 'topic' | 'words'> = {
  help: 'topic',
  version: 'none',
  list: 'none',
  current: 'none',
  info: 'name',
  switch: 'optional-name',
  delete: 'names',
  resources: 'optional-name',
  cleanup: 'none',
  start: 'names',
  stop: 'names',
  exec: 'name',
  shell: 'name',
  completion: 'shell',
  doctor: 'none',
  registry: 'words',
  'mcp-setup': 'none',
  'dev-start': 'words',
  credentials: 'optional-name',
}

interface Parsed {
  words: string[]
  flags: Set<Flag>
  help: boolean
  version: boolean
  shell: string | undefined
  output: string | undefined
  namespace: string | undefined
  duration: string | undefined
  client: string | undefined
}

const isFlag = (arg: string) => arg.startsWith('-') && arg !== '-'
const last = (v: unknown): string | undefined => (Array.isArray(v) ? v[v.length - 1] : v) as string | undefined

function parseFlags(argv: string[], hint: UsageHint): Parsed {
  const unknown: string[] = []
  const parsed = minimist(argv, {
    boolean: ['json', 'yes', 'help', 'name', 'verbose', 'version', 'headers', 'read-only', 'non-destructive', 'read-write', 'force', 'registry'],
    string: ['_', 'shell', 'output', 'namespace', 'duration', 'client'], // names such as `123` or `1e3` stay strings
    alias: { y: 'yes', h: 'help', q: 'name', v: 'verbose', o: 'output', n: 'namespace' },
    default: { headers: true },
    unknown: (arg) => {
      if (!isFlag(arg)) return true
      if (!unknown.includes(arg)) unknown.push(arg)
      return false
    },
  })
  if (unknown.length > 0) throw new UsageError(`unknown flag: ${unknown[0]}`, hint(null))
  const words = parsed._.map(String)
  // `--shell` takes an optional shell: `switch --shell NAME` keeps NAME a word.
  let shell = last(parsed.shell)
  if (shell !== undefined && shell !== '' && !(SHELLS as readonly string[]).includes(shell)) {
    words.push(shell)
    shell = ''
  }
  const output = last(parsed.output)
  const flags = new Set<Flag>((['json', 'yes', 'name', 'verbose', 'read-only', 'non-destructive', 'read-write', 'force', 'registry'] as const).filter((f) => parsed[f] === true))
  if (shell !== undefined) flags.add('shell')
  if (output !== undefined) flags.add('output')
  if (parsed.headers === false) flags.add('headers')
  const namespace = last(parsed.namespace)
  const duration = last(parsed.duration)
  const client = last(parsed.client)
  for (const [flag, value] of [['namespace', namespace], ['duration', duration], ['client', client]] as const) if (value !== undefined) flags.add(flag)
  return { words, flags, help: parsed.help === true, version: parsed.version === true, shell, output, namespace, duration, client }
}

function checkFlags(kind: OperationKind, word: string, flags: Set<Flag>, hint: UsageHint): void {
  const allowed = FLAGS[kind]
  for (const flag of flags) {
    if (!allowed.includes(flag)) throw new UsageError(`${word} does not take ${FLAG_SPELLINGS[flag][0]}`, hint(kind))
  }
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    row = next
  }
  return row[b.length]!
}

/** The command word closest to WORD (a prefix of one, or at most 2 edits away), if any. */
export function closestCommand(word: string): string | null {
  const words = Object.keys(COMMAND_WORDS)
  const prefixed = words.filter((w) => w.startsWith(word) && word.length >= 2)
  if (prefixed.length === 1) return prefixed[0]!
  const scored = words.map((w) => [w, distance(word, w)] as const).filter(([w, d]) => d <= Math.min(2, Math.floor(w.length / 2)))
  scored.sort((a, b) => a[1] - b[1])
  return scored[0]?.[0] ?? null
}

function commandOf(word: string, hint: UsageHint): OperationKind {
  const kind = Object.hasOwn(COMMAND_WORDS, word) ? COMMAND_WORDS[word] : undefined
  if (kind) return kind
  const near = closestCommand(word)
  throw new UsageError(`unknown command '${word}'`, near ? `did you mean '${near}'? (${hint(null)})` : hint(null))
}

/** --namespace, validated (Kubernetes' rule) before anything uses it; null when not given. */
function namespaceOf(p: Pick<Parsed, 'namespace'>): string | null {
  return p.namespace === undefined ? null : validateNamespace(p.namespace)
}

function build(kind: OperationKind, word: string, args: string[], p: Parsed, hint: UsageHint): Operation {
  const { flags } = p
  const json = flags.has('json')
  const usage = (message: string) => new UsageError(message, hint(kind))
  const noArgs = () => {
    if (args.length > 0) throw usage(`${word} takes no arguments (got '${args[0]}')`)
  }
  const oneName = (): string => {
    if (args.length === 0) throw usage(`${word} needs a cluster name: ${word} NAME`)
    if (args.length > 1) throw usage(`${word} takes one cluster name (got ${args.length}: ${args.join(' ')})`)
    return validateClusterName(args[0])
  }
  const names = (): string[] => {
    if (args.length === 0) throw usage(`${word} needs a cluster name: ${word} NAME...`)
    return [...new Set(args.map((a) => validateClusterName(a)))]
  }
  switch (kind) {
    case 'help': {
      if (args.length > 1) throw usage(`help takes one command (got ${args.length}: ${args.join(' ')})`)
      return { kind, topic: args.length === 0 ? null : commandOf(args[0]!, hint) }
    }
    case 'version':
      noArgs()
      return { kind, json }
    case 'list': {
      noArgs()
      const output = p.output
      if (output !== undefined && !(LIST_FORMATS as readonly string[]).includes(output)) {
        throw usage(`list -o takes ${LIST_FORMATS.join(', ')} (got '${output}')`)
      }
      const format: ListFormat = output === 'table' || output === 'name' ? output : 'guide'
      return { kind, json: json || output === 'json', format, headers: !flags.has('headers') }
    }
    case 'current':
      noArgs()
      if (json && flags.has('name')) throw usage('current takes --json or --name, not both')
      return { kind, json, nameOnly: flags.has('name') }
    case 'cleanup':
      noArgs()
      return { kind, yes: flags.has('yes'), registry: flags.has('registry') }
    case 'doctor':
      noArgs()
      return { kind, json }
    case 'registry': {
      if (args.length > 1 || (args[0] !== undefined && args[0] !== 'status' && args[0] !== 'delete')) {
        throw usage(`registry takes status (the default) or delete${args.length ? ` (got '${args.join(' ')}')` : ''}`)
      }
      const action = (args[0] ?? 'status') as 'status' | 'delete'
      if (flags.has('force') && action !== 'delete') throw usage('--force goes with registry delete (to remove it while clusters use it)')
      return { kind, action, json, force: flags.has('force') }
    }
    case 'mcp-setup': {
      noArgs()
      const modes = (['read-only', 'non-destructive', 'read-write'] as const).filter((m) => flags.has(m))
      if (modes.length > 1) throw usage(`mcp-setup takes one of --read-only, --non-destructive, --read-write (got ${modes.map((m) => `--${m}`).join(' and ')})`)
      const client = p.client === undefined ? 'claude' : knownClient(p.client)
      return { kind, client, mode: modes[0] ?? null, force: flags.has('force'), namespace: namespaceOf(p) }
    }
    case 'credentials': {
      const name = args.length === 0 ? null : oneName()
      if (p.namespace === undefined) throw usage('credentials needs --namespace NS: the namespace the credentials are scoped to')
      const namespace = validateNamespace(p.namespace)
      return { kind, name, namespace, access: flags.has('read-only') ? 'view' : 'edit', duration: parseTokenDuration(p.duration ?? DEFAULT_TOKEN_DURATION), json }
    }
    case 'info':
      return { kind, name: oneName(), json }
    case 'switch': {
      const name = args.length === 0 ? null : args.length === 1 && args[0] === '-' ? '-' : oneName()
      return { kind, name, shell: p.shell !== undefined, syntax: (p.shell || 'sh') as ShellSyntax, verbose: flags.has('verbose'), namespace: namespaceOf(p) }
    }
    case 'delete':
      return { kind, names: names(), yes: flags.has('yes') }
    case 'resources':
      return { kind, name: args.length === 0 ? null : oneName() }
    case 'start':
    case 'stop':
      return { kind, names: names() }
    case 'shell':
      return { kind, name: oneName(), namespace: namespaceOf(p) }
    case 'completion': {
      if (args.length !== 1 || !(COMPLETION_SHELLS as readonly string[]).includes(args[0]!)) {
        throw usage(`completion needs one shell: ${COMPLETION_SHELLS.join(', ')}${args.length > 0 ? ` (got '${args.join(' ')}')` : ''}`)
      }
      return { kind, target: args[0] as CompletionShell }
    }
    case 'exec':
    case 'dev-start':
      throw new Error(`${kind} is parsed before its flags`) // see parseArgs
  }
}

/**
 * `exec [--namespace NS] NAME [--namespace NS] [--] CMD [ARGS...]`: our options come before the
 * command (which starts at `--` or at the first word that is not one of them); everything from
 * there on is the command, untouched, its own `--namespace` included.
 */
function parseExec(rest: string[], hint: UsageHint, namespaceBefore: string | undefined): Operation {
  const usage = (message: string) => new UsageError(message, hint('exec'))
  let namespace = namespaceBefore
  const words = [...rest]
  const takeNamespace = (): boolean => {
    const w = words[0]
    if (w === '--namespace' || w === '-n') {
      if (words[1] === undefined) throw usage(`${w} needs a value: exec NAME ${w} NS -- CMD [ARGS...]`)
      namespace = words[1]
      words.splice(0, 2)
      return true
    }
    if (w?.startsWith('--namespace=')) {
      namespace = w.slice('--namespace='.length)
      words.shift()
      return true
    }
    return false
  }
  while (takeNamespace());
  const first = words.shift()
  if (first === undefined) throw usage('exec needs a cluster name and a command: exec NAME -- CMD [ARGS...]')
  if (first === '-h' || first === '--help') return { kind: 'help', topic: 'exec' }
  if (isFlag(first)) throw new UsageError(`unknown flag: ${first}`, hint('exec'))
  const name = validateClusterName(first)
  if (words[0] === '-h' || words[0] === '--help') return { kind: 'help', topic: 'exec' }
  while (takeNamespace());
  const command = words[0] === '--' ? words.slice(1) : words
  if (command.length === 0) throw usage(`exec needs a command: exec ${name} -- CMD [ARGS...]`)
  return { kind: 'exec', name, command, namespace: namespace === undefined ? null : validateNamespace(namespace) }
}

/**
 * argv (without node and the script) → the one operation to run. Pure: it touches no file
 * and runs nothing, and every NAME is validated here, before any path or command sees it.
 * HINT names the help to read in usage errors (the entry point gives one the user can type).
 */
export function parseArgs(argv: readonly string[], hint: UsageHint = defaultUsageHint): Operation {
  const at = argv.findIndex((a) => !isFlag(a))
  // dev-start and exec hand what follows their word to another program untouched.
  if (at >= 0 && (argv[at] === 'dev-start' || argv[at] === 'exec')) {
    const kind = argv[at] as 'dev-start' | 'exec'
    const before = parseFlags(argv.slice(0, at), hint)
    if (before.help) return { kind: 'help', topic: kind }
    if (before.version) return { kind: 'version', json: false }
    checkFlags(kind, kind, before.flags, hint)
    return kind === 'exec' ? parseExec(argv.slice(at + 1), hint, before.namespace) : { kind, words: argv.slice(at + 1) }
  }
  const parsed = parseFlags([...argv], hint)
  const { words, flags } = parsed
  if (parsed.version && words.length === 0) {
    checkFlags('version', '--version', flags, hint)
    return { kind: 'version', json: flags.has('json') }
  }
  if (words.length === 0) return { kind: 'help', topic: null }
  const [word, ...args] = words as [string, ...string[]]
  const kind = commandOf(word, hint)
  if (parsed.help) return { kind: 'help', topic: kind === 'help' ? null : kind }
  if (parsed.version) return { kind: 'version', json: false }
  checkFlags(kind, word, flags, hint)
  return build(kind, word, args, parsed, hint)
}
