import minimist from 'minimist'
import { UsageError } from '../errors.ts'
import { validateClusterName } from '../names.ts'

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
  | { kind: 'switch'; name: string | null; shell: boolean; syntax: ShellSyntax; verbose: boolean }
  | { kind: 'delete'; names: string[]; yes: boolean }
  | { kind: 'resources'; name: string | null } // null: the current cluster
  | { kind: 'cleanup'; registry: boolean } // registry: also remove the shared image registry when no cluster uses it
  | { kind: 'start'; names: string[] }
  | { kind: 'stop'; names: string[] }
  | { kind: 'exec'; name: string; command: string[] }
  | { kind: 'shell'; name: string }
  | { kind: 'completion'; target: CompletionShell }
  // Parsed here, implemented by lib/commands/doctor.ts, mcp.ts and devstart.ts.
  | { kind: 'doctor'; json: boolean }
  // The shared image registry (lib/imageregistry.ts): its address and images, or its removal.
  | { kind: 'registry'; action: 'status' | 'delete'; json: boolean; force: boolean }
  | { kind: 'mcp-setup' }
  | { kind: 'dev-start'; words: string[] }

export type OperationKind = Operation['kind']
export type OperationOf<K extends OperationKind> = Extract<Operation, { kind: K }>

/** The hint of a usage error; the entry point passes one naming what the user can type there. */
export type UsageHint = (topic: OperationKind | null) => string
export const defaultUsageHint: UsageHint = (topic) => `run 'cluster-manager ${topic ? `${topic} --help` : 'help'}' for usage`
export const USAGE_HINT = defaultUsageHint(null)

export type Flag = 'json' | 'shell' | 'yes' | 'name' | 'verbose' | 'output' | 'headers' | 'force' | 'registry'

/** How each flag is spelled on the command line (for the completion scripts and help). */
export const FLAG_SPELLINGS: Record<Flag, readonly string[]> = {
  json: ['--json'],
  shell: ['--shell'],
  yes: ['--yes', '-y'],
  name: ['--name', '-q'],
  verbose: ['--verbose', '-v'],
  output: ['--output', '-o'],
  headers: ['--no-headers'],
  force: ['--force', '-f'],
  registry: ['--registry'],
}

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
}

/** Flags each command accepts (--help is accepted everywhere). */
export const FLAGS: Record<OperationKind, readonly Flag[]> = {
  help: [],
  version: ['json'],
  list: ['json', 'output', 'headers'],
  current: ['json', 'name'],
  info: ['json'],
  switch: ['shell', 'verbose'],
  delete: ['yes'],
  resources: [],
  cleanup: ['registry'],
  start: [],
  stop: [],
  exec: [],
  shell: [],
  completion: [],
  doctor: ['json'],
  registry: ['json', 'force'],
  'mcp-setup': [],
  'dev-start': [],
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
}

interface Parsed {
  words: string[]
  flags: Set<Flag>
  help: boolean
  version: boolean
  shell: string | undefined
  output: string | undefined
}

const isFlag = (arg: string) => arg.startsWith('-') && arg !== '-'
const last = (v: unknown): string | undefined => (Array.isArray(v) ? v[v.length - 1] : v) as string | undefined

function parseFlags(argv: string[], hint: UsageHint): Parsed {
  const unknown: string[] = []
  const parsed = minimist(argv, {
    boolean: ['json', 'yes', 'help', 'name', 'verbose', 'version', 'headers', 'force', 'registry'],
    string: ['_', 'shell', 'output'], // names such as `123` or `1e3` stay strings
    alias: { y: 'yes', h: 'help', q: 'name', v: 'verbose', o: 'output', f: 'force' },
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
  const flags = new Set<Flag>((['json', 'yes', 'name', 'verbose', 'force', 'registry'] as const).filter((f) => parsed[f] === true))
  if (shell !== undefined) flags.add('shell')
  if (output !== undefined) flags.add('output')
  if (parsed.headers === false) flags.add('headers')
  return { words, flags, help: parsed.help === true, version: parsed.version === true, shell, output }
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
    case 'mcp-setup':
      noArgs()
      return { kind }
    case 'cleanup':
      noArgs()
      return { kind, registry: flags.has('registry') }
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
    case 'info':
      return { kind, name: oneName(), json }
    case 'switch': {
      const name = args.length === 0 ? null : args.length === 1 && args[0] === '-' ? '-' : oneName()
      return { kind, name, shell: p.shell !== undefined, syntax: (p.shell || 'sh') as ShellSyntax, verbose: flags.has('verbose') }
    }
    case 'delete':
      return { kind, names: names(), yes: flags.has('yes') }
    case 'resources':
      return { kind, name: args.length === 0 ? null : oneName() }
    case 'start':
    case 'stop':
      return { kind, names: names() }
    case 'shell':
      return { kind, name: oneName() }
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

/** `exec NAME [--] CMD [ARGS...]`: everything after NAME (and `--`) is the command, untouched. */
function parseExec(rest: string[], hint: UsageHint): Operation {
  const usage = (message: string) => new UsageError(message, hint('exec'))
  const [first, ...after] = rest
  if (first === undefined) throw usage('exec needs a cluster name and a command: exec NAME -- CMD [ARGS...]')
  if (first === '-h' || first === '--help') return { kind: 'help', topic: 'exec' }
  if (isFlag(first)) throw new UsageError(`unknown flag: ${first}`, hint('exec'))
  const name = validateClusterName(first)
  if (after[0] === '-h' || after[0] === '--help') return { kind: 'help', topic: 'exec' }
  const command = after[0] === '--' ? after.slice(1) : after
  if (command.length === 0) throw usage(`exec needs a command: exec ${name} -- CMD [ARGS...]`)
  return { kind: 'exec', name, command }
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
    return kind === 'exec' ? parseExec(argv.slice(at + 1), hint) : { kind, words: argv.slice(at + 1) }
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
