import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { parseArgs } from '../lib/commands/args.ts'
import type { Operation } from '../lib/commands/args.ts'
import { COMMANDS, machineOutput } from '../lib/commands/index.ts'
import { UsageError } from '../lib/errors.ts'
import { HELP } from '../lib/commands/help.ts'

const words = (line: string) => (line === '' ? [] : line.split(' '))
const NAME = 'threads-agent-vitalii-se-c18b4c'
const LONG = 'a'.repeat(33)

describe('parseArgs: every command, alias and flag', () => {
  const cases: Array<[string, Operation]> = [
    ['', { kind: 'help' }],
    ['help', { kind: 'help' }],
    ['-h', { kind: 'help' }],
    ['--help', { kind: 'help' }],
    ['list --help', { kind: 'help' }],
    ['switch --help', { kind: 'help' }],
    ['list', { kind: 'list', json: false }],
    ['ls', { kind: 'list', json: false }],
    ['list --json', { kind: 'list', json: true }],
    ['--json ls', { kind: 'list', json: true }],
    ['current', { kind: 'current', json: false }],
    ['current --json', { kind: 'current', json: true }],
    [`info ${NAME}`, { kind: 'info', name: NAME, json: false }],
    [`info ${NAME} --json`, { kind: 'info', name: NAME, json: true }],
    [`info --json ${NAME}`, { kind: 'info', name: NAME, json: true }],
    [`switch ${NAME}`, { kind: 'switch', name: NAME, shell: false }],
    [`use ${NAME}`, { kind: 'switch', name: NAME, shell: false }],
    [`switch ${NAME} --shell`, { kind: 'switch', name: NAME, shell: true }],
    ['switch -', { kind: 'switch', name: null, shell: false }],
    ['use - --shell', { kind: 'switch', name: null, shell: true }],
    [`delete ${NAME}`, { kind: 'delete', name: NAME, yes: false }],
    [`rm ${NAME}`, { kind: 'delete', name: NAME, yes: false }],
    [`delete ${NAME} --yes`, { kind: 'delete', name: NAME, yes: true }],
    [`rm -y ${NAME}`, { kind: 'delete', name: NAME, yes: true }],
    ['resources', { kind: 'resources', name: null }],
    ['res', { kind: 'resources', name: null }],
    [`resources ${NAME}`, { kind: 'resources', name: NAME }],
    [`res ${NAME}`, { kind: 'resources', name: NAME }],
    ['cleanup', { kind: 'cleanup' }],
    ['start dev', { kind: 'start', name: 'dev' }],
    ['stop dev', { kind: 'stop', name: 'dev' }],
    // Names that look like numbers stay strings.
    ['info 123', { kind: 'info', name: '123', json: false }],
    ['info 1e3', { kind: 'info', name: '1e3', json: false }],
    ['info 0x10', { kind: 'info', name: '0x10', json: false }],
    // Parsed now, dispatched once their modules exist.
    ['doctor', { kind: 'doctor' }],
    ['mcp-setup', { kind: 'mcp-setup' }],
    ['dev-start', { kind: 'dev-start', words: [] }],
    ['dev-start share --force --tag v1.0.0', { kind: 'dev-start', words: ['share', '--force', '--tag', 'v1.0.0'] }],
    ['dev-start --name x -s', { kind: 'dev-start', words: ['--name', 'x', '-s'] }],
  ]
  for (const [line, expected] of cases) {
    test(`'${line}'`, () => assert.deepEqual(parseArgs(words(line)), expected))
  }
})

describe('parseArgs: usage errors', () => {
  const cases: Array<[string[], RegExp]> = [
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['constructor'], /unknown command 'constructor'/],
    [['__proto__'], /unknown command '__proto__'/],
    [['list', '--bogus'], /unknown flag: --bogus/],
    [['list', '-x'], /unknown flag: -x/],
    [['list', '--json=1', '--wat=2'], /unknown flag: --wat=2/],
    [['--verbose', 'dev-start'], /unknown flag: --verbose/],
    [['--json', 'dev-start'], /dev-start does not take --json/],
    [['switch', NAME, '--json'], /switch does not take --json/],
    [['list', '--shell'], /list does not take --shell/],
    [['list', '--yes'], /list does not take --yes/],
    [['cleanup', '--json'], /cleanup does not take --json/],
    [['resources', '--json'], /resources does not take --json/],
    [['list', 'extra'], /list takes no arguments \(got 'extra'\)/],
    [['current', NAME], /current takes no arguments/],
    [['cleanup', 'x'], /cleanup takes no arguments/],
    [['help', 'list'], /help takes no arguments/],
    [['switch'], /switch needs a cluster name/],
    [['use'], /use needs a cluster name/],
    [['info'], /info needs a cluster name/],
    [['delete'], /delete needs a cluster name/],
    [['start'], /start needs a cluster name/],
    [['stop'], /stop needs a cluster name/],
    [['switch', 'a', 'b'], /switch takes one cluster name \(got 2: a b\)/],
    [['resources', 'a', 'b'], /resources takes one cluster name/],
    [['delete', '../../etc'], /invalid cluster name/],
    [['info', 'a b'], /invalid cluster name/],
    [['switch', LONG], /must be <= 32 characters, but has 33/],
    [['info', 'a/b'], /invalid cluster name/],
    [['start', 'UPPER_case'], /invalid cluster name/],
    [['stop', '-dash'], /unknown flag: -dash/],
    [['resources', '..'], /invalid cluster name/],
    [['delete', ''], /missing cluster name/],
    [['info', '-'], /invalid cluster name/],
  ]
  for (const [argv, message] of cases) {
    test(JSON.stringify(argv), () => {
      assert.throws(() => parseArgs(argv), (err: unknown) => {
        assert.ok(err instanceof UsageError, `expected UsageError, got ${String(err)}`)
        assert.equal(err.exitCode, 2)
        assert.match(err.message, message)
        assert.doesNotMatch(err.message, /\n/)
        return true
      })
    })
  }
  test('a 32-character name is accepted', () => {
    assert.deepEqual(parseArgs(['info', 'a'.repeat(32)]), { kind: 'info', name: 'a'.repeat(32), json: false })
  })
})

describe('dispatch table and help', () => {
  test('machine output only for --json and --shell', () => {
    assert.equal(machineOutput(parseArgs(['list', '--json'])), true)
    assert.equal(machineOutput(parseArgs(['switch', '-', '--shell'])), true)
    assert.equal(machineOutput(parseArgs(['list'])), false)
    assert.equal(machineOutput(parseArgs(['delete', 'x', '--yes'])), false)
  })

  test('every shipped command has a module, and help names it with its aliases', async () => {
    const shipped = ['help', 'list', 'current', 'info', 'switch', 'delete', 'resources', 'cleanup', 'start', 'stop'] as const
    for (const kind of shipped) {
      const load = COMMANDS[kind]
      assert.ok(load, `${kind} has no module`)
      assert.equal(typeof (await load()).run, 'function')
    }
    for (const entry of ['list, ls', 'switch, use NAME', 'switch, use -', 'current', 'info NAME', 'delete, rm NAME', 'resources, res [NAME]', 'start NAME', 'stop NAME', 'cleanup', 'help, -h, --help']) {
      assert.ok(HELP.includes(entry), `help lacks '${entry}'`)
    }
    assert.match(HELP, /Examples:/)
    assert.match(HELP, /eval "\$\(.* switch .* --shell\)"/)
  })
})
