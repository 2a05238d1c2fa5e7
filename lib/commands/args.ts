import minimist from 'minimist'
import { UsageError } from '../errors.ts'
import { validateClusterName } from '../names.ts'

/** What the user asked for: the result of parsing argv, before anything runs. */
export type Operation =
  | { kind: 'help' }
  | { kind: 'list'; json: boolean }
  | { kind: 'current'; json: boolean }
  | { kind: 'info'; name: string; json: boolean }
  | { kind: 'switch'; name: string | null; shell: boolean } // null: `switch -`, the previous cluster
  | { kind: 'delete'; name: string; yes: boolean }
  | { kind: 'resources'; name: string | null } // null: the current cluster
  | { kind: 'cleanup' }
  | { kind: 'start'; name: string }
  | { kind: 'stop'; name: string }
  // Parsed here, implemented by lib/commands/doctor.ts, mcp.ts and devstart.ts.
  | { kind: 'doctor' }
  | { kind: 'mcp-setup' }
  | { kind: 'dev-start'; words: string[] }

export type OperationKind = Operation['kind']
export type OperationOf<K extends OperationKind> = Extract<Operation, { kind: K }>

export const USAGE_HINT = "run 'cluster-manager help' for usage"

type Flag = 'json' | 'shell' | 'yes'

/** Command words (aliases included) → the operation kind. */
const COMMANDS: Record<string, OperationKind> = {
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
  help: 'help',
  doctor: 'doctor',
  'mcp-setup': 'mcp-setup',
  'dev-start': 'dev-start',
}

/** Flags each command accepts (--help is accepted everywhere). */
const FLAGS: Record<OperationKind, readonly Flag[]> = {
  help: [],
  list: ['json'],
  current: ['json'],
  info: ['json'],
  switch: ['shell'],
  delete: ['yes'],
  resources: [],
  cleanup: [],
  start: [],
  stop: [],
  doctor: [],
  'mcp-setup': [],
  'dev-start': [],
}

interface Parsed {
  words: string[]
  flags: Set<Flag>
  help: boolean
}

const isFlag = (arg: string) => arg.startsWith('-') && arg !== '-'

function parseFlags(argv: string[]): Parsed {
  const unknown: string[] = []
  const parsed = minimist(argv, {
    boolean: ['json', 'shell', 'yes', 'help'],
    string: ['_'], // names such as `123` or `1e3` stay strings
    alias: { y: 'yes', h: 'help' },
    unknown: (arg) => {
      if (!isFlag(arg)) return true
      if (!unknown.includes(arg)) unknown.push(arg)
      return false
    },
  })
  if (unknown.length > 0) throw new UsageError(`unknown flag: ${unknown[0]}`, USAGE_HINT)
  const flags = new Set<Flag>((['json', 'shell', 'yes'] as const).filter((f) => parsed[f] === true))
  return { words: parsed._.map(String), flags, help: parsed.help === true }
}

function checkFlags(kind: OperationKind, word: string, flags: Set<Flag>): void {
  const allowed = FLAGS[kind]
  for (const flag of flags) {
    if (!allowed.includes(flag)) throw new UsageError(`${word} does not take --${flag}`, USAGE_HINT)
  }
}

function noArgs(word: string, args: string[]): void {
  if (args.length > 0) throw new UsageError(`${word} takes no arguments (got '${args[0]}')`, USAGE_HINT)
}

function oneName(word: string, args: string[]): string {
  if (args.length === 0) throw new UsageError(`${word} needs a cluster name: cluster-manager ${word} NAME`, USAGE_HINT)
  if (args.length > 1) throw new UsageError(`${word} takes one cluster name (got ${args.length}: ${args.join(' ')})`, USAGE_HINT)
  return validateClusterName(args[0])
}

function optionalName(word: string, args: string[]): string | null {
  return args.length === 0 ? null : oneName(word, args)
}

function build(kind: OperationKind, word: string, args: string[], flags: Set<Flag>): Operation {
  const json = flags.has('json')
  switch (kind) {
    case 'list':
    case 'current':
    case 'cleanup':
    case 'help':
    case 'doctor':
    case 'mcp-setup':
      noArgs(word, args)
      return kind === 'list' || kind === 'current' ? { kind, json } : { kind }
    case 'info':
      return { kind, name: oneName(word, args), json }
    case 'switch':
      return { kind, name: args.length === 1 && args[0] === '-' ? null : oneName(word, args), shell: flags.has('shell') }
    case 'delete':
      return { kind, name: oneName(word, args), yes: flags.has('yes') }
    case 'resources':
      return { kind, name: optionalName(word, args) }
    case 'start':
    case 'stop':
      return { kind, name: oneName(word, args) }
    case 'dev-start':
      return { kind, words: args }
  }
}

/**
 * argv (without node and the script) → the one operation to run. Pure: it touches no file
 * and runs nothing, and every NAME is validated here, before any path or command sees it.
 */
export function parseArgs(argv: readonly string[]): Operation {
  const at = argv.findIndex((a) => !isFlag(a))
  // dev-start hands its words to dev-up-multi untouched (`dev-start share --force`).
  if (at >= 0 && argv[at] === 'dev-start') {
    const before = parseFlags(argv.slice(0, at))
    if (before.help) return { kind: 'help' }
    checkFlags('dev-start', 'dev-start', before.flags)
    return { kind: 'dev-start', words: argv.slice(at + 1) }
  }
  const { words, flags, help } = parseFlags([...argv])
  if (help || words.length === 0) return { kind: 'help' }
  const [word, ...args] = words as [string, ...string[]]
  const kind = Object.hasOwn(COMMANDS, word) ? COMMANDS[word] : undefined
  if (!kind) throw new UsageError(`unknown command '${word}'`, USAGE_HINT)
  checkFlags(kind, word, flags)
  return build(kind, word, args, flags)
}
