import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { closestCommand, parseArgs } from '../lib/commands/args.ts'
import type { Operation } from '../lib/commands/args.ts'
import { COMMANDS, machineOutput } from '../lib/commands/index.ts'
import { UsageError } from '../lib/errors.ts'
import { HELP } from '../lib/commands/help.ts'

const words = (line: string) => (line === '' ? [] : line.split(' '))
const NAME = 'threads-agent-vitalii-se-c18b4c'
const LONG = 'a'.repeat(33)

describe('parseArgs: every command, alias and flag', () => {
  const L = { kind: 'list', json: false, format: 'guide', headers: true } as const
  const S = { kind: 'switch', shell: false, syntax: 'sh', verbose: false, namespace: null } as const
  const M = { kind: 'mcp-setup', client: 'claude', mode: null, force: false, namespace: null } as const
  const C = { kind: 'credentials', name: null, namespace: 'agent-1', access: 'edit', duration: 86400, json: false } as const
  const cases: Array<[string, Operation]> = [
    ['', { kind: 'help', topic: null }],
    ['help', { kind: 'help', topic: null }],
    ['-h', { kind: 'help', topic: null }],
    ['--help', { kind: 'help', topic: null }],
    // COMMAND --help and help COMMAND: that command's help
    ['list --help', { kind: 'help', topic: 'list' }],
    ['switch --help', { kind: 'help', topic: 'switch' }],
    ['start x --help', { kind: 'help', topic: 'start' }],
    ['rm -h', { kind: 'help', topic: 'delete' }],
    ['help switch', { kind: 'help', topic: 'switch' }],
    ['help ls', { kind: 'help', topic: 'list' }],
    ['exec --help', { kind: 'help', topic: 'exec' }],
    ['exec dev --help', { kind: 'help', topic: 'exec' }],
    ['--help dev-start', { kind: 'help', topic: 'dev-start' }],
    ['--version', { kind: 'version', json: false }],
    ['--version --json', { kind: 'version', json: true }],
    ['version', { kind: 'version', json: false }],
    ['version --json', { kind: 'version', json: true }],
    ['list --version', { kind: 'version', json: false }],
    ['list', L],
    ['ls', L],
    ['list --json', { ...L, json: true }],
    ['--json ls', { ...L, json: true }],
    ['list -o json', { ...L, json: true }],
    ['list -o table', { ...L, format: 'table' }],
    ['list -o table --no-headers', { ...L, format: 'table', headers: false }],
    ['list --output=name', { ...L, format: 'name' }],
    ['current', { kind: 'current', json: false, nameOnly: false }],
    ['current --json', { kind: 'current', json: true, nameOnly: false }],
    ['current --name', { kind: 'current', json: false, nameOnly: true }],
    ['current -q', { kind: 'current', json: false, nameOnly: true }],
    [`info ${NAME}`, { kind: 'info', name: NAME, json: false }],
    [`info ${NAME} --json`, { kind: 'info', name: NAME, json: true }],
    [`info --json ${NAME}`, { kind: 'info', name: NAME, json: true }],
    [`switch ${NAME}`, { ...S, name: NAME }],
    [`use ${NAME}`, { ...S, name: NAME }],
    [`switch ${NAME} --shell`, { ...S, name: NAME, shell: true }],
    [`switch --shell ${NAME}`, { ...S, name: NAME, shell: true }],
    [`switch ${NAME} --shell fish`, { ...S, name: NAME, shell: true, syntax: 'fish' }],
    [`switch --shell=zsh ${NAME}`, { ...S, name: NAME, shell: true, syntax: 'zsh' }],
    [`switch ${NAME} --shell bash`, { ...S, name: NAME, shell: true, syntax: 'bash' }],
    [`switch ${NAME} -v`, { ...S, name: NAME, verbose: true }],
    ['switch -', { ...S, name: '-' }],
    ['use - --shell', { ...S, name: '-', shell: true }],
    ['switch', { ...S, name: null }],
    ['switch --shell', { ...S, name: null, shell: true }],
    [`delete ${NAME}`, { kind: 'delete', names: [NAME], yes: false }],
    [`rm ${NAME}`, { kind: 'delete', names: [NAME], yes: false }],
    [`delete ${NAME} --yes`, { kind: 'delete', names: [NAME], yes: true }],
    [`rm -y ${NAME}`, { kind: 'delete', names: [NAME], yes: true }],
    ['rm -y a b a', { kind: 'delete', names: ['a', 'b'], yes: true }],
    ['resources', { kind: 'resources', name: null }],
    ['res', { kind: 'resources', name: null }],
    [`resources ${NAME}`, { kind: 'resources', name: NAME }],
    [`res ${NAME}`, { kind: 'resources', name: NAME }],
    ['cleanup', { kind: 'cleanup', yes: false, registry: false }],
    ['cleanup --yes', { kind: 'cleanup', yes: true, registry: false }],
    ['cleanup --registry', { kind: 'cleanup', yes: false, registry: true }],
    ['registry', { kind: 'registry', action: 'status', json: false, force: false }],
    ['registry status --json', { kind: 'registry', action: 'status', json: true, force: false }],
    ['registry delete', { kind: 'registry', action: 'delete', json: false, force: false }],
    ['registry delete --force', { kind: 'registry', action: 'delete', json: false, force: true }],
    ['start dev', { kind: 'start', names: ['dev'] }],
    ['stop dev', { kind: 'stop', names: ['dev'] }],
    ['stop a b c', { kind: 'stop', names: ['a', 'b', 'c'] }],
    ['exec dev -- kubectl get nodes -o wide', { kind: 'exec', name: 'dev', command: ['kubectl', 'get', 'nodes', '-o', 'wide'], namespace: null }],
    ['exec dev kubectl --help', { kind: 'exec', name: 'dev', command: ['kubectl', '--help'], namespace: null }],
    ['exec dev -- --weird', { kind: 'exec', name: 'dev', command: ['--weird'], namespace: null }],
    // --namespace before the command is ours; after it, the command's own
    ['exec dev --namespace agent-1 -- kubectl get pods', { kind: 'exec', name: 'dev', command: ['kubectl', 'get', 'pods'], namespace: 'agent-1' }],
    ['exec --namespace agent-1 dev kubectl get pods', { kind: 'exec', name: 'dev', command: ['kubectl', 'get', 'pods'], namespace: 'agent-1' }],
    ['exec -n agent-1 dev -- kubectl get pods', { kind: 'exec', name: 'dev', command: ['kubectl', 'get', 'pods'], namespace: 'agent-1' }],
    ['exec dev --namespace=agent-1 kubectl get pods', { kind: 'exec', name: 'dev', command: ['kubectl', 'get', 'pods'], namespace: 'agent-1' }],
    ['exec dev -- kubectl get pods --namespace other', { kind: 'exec', name: 'dev', command: ['kubectl', 'get', 'pods', '--namespace', 'other'], namespace: null }],
    ['exec dev kubectl -n other get pods', { kind: 'exec', name: 'dev', command: ['kubectl', '-n', 'other', 'get', 'pods'], namespace: null }],
    ['shell dev', { kind: 'shell', name: 'dev', namespace: null }],
    ['shell dev --namespace agent-1', { kind: 'shell', name: 'dev', namespace: 'agent-1' }],
    [`switch ${NAME} -n agent-1`, { ...S, name: NAME, namespace: 'agent-1' }],
    [`switch ${NAME} --namespace agent-1 --shell`, { ...S, name: NAME, namespace: 'agent-1', shell: true }],
    ['credentials --namespace agent-1', C],
    [`credentials ${NAME} --namespace agent-1`, { ...C, name: NAME }],
    ['credentials -n agent-1 --read-only --duration 90m --json', { ...C, access: 'view', duration: 5400, json: true }],
    ['credentials -n agent-1 --duration 1h30m', { ...C, duration: 5400 }],
    ['completion bash', { kind: 'completion', target: 'bash' }],
    ['completion fish', { kind: 'completion', target: 'fish' }],
    // Names that look like numbers stay strings.
    ['info 123', { kind: 'info', name: '123', json: false }],
    ['info 1e3', { kind: 'info', name: '1e3', json: false }],
    ['info 0x10', { kind: 'info', name: '0x10', json: false }],
    // Parsed now, dispatched once their modules exist.
    ['doctor', { kind: 'doctor', json: false }],
    ['doctor --json', { kind: 'doctor', json: true }],
    ['mcp-setup', M],
    ['mcp-setup --read-only', { ...M, mode: 'read-only' }],
    ['mcp-setup --non-destructive --client cursor', { ...M, mode: 'non-destructive', client: 'cursor' }],
    ['mcp-setup --client=vscode --read-write --force', { ...M, client: 'vscode', mode: 'read-write', force: true }],
    ['mcp-setup --namespace agent-1', { ...M, namespace: 'agent-1' }],
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
    [['--verbose', 'dev-start'], /dev-start does not take --verbose/],
    [['--bogus', 'dev-start'], /unknown flag: --bogus/],
    [['--json', 'dev-start'], /dev-start does not take --json/],
    [['--json', 'exec', 'x', '--', 'ls'], /exec does not take --json/],
    [['switch', NAME, '--json'], /switch does not take --json/],
    [['list', '--shell'], /list does not take --shell/],
    [['list', '--yes'], /list does not take --yes/],
    [['list', '-o', 'wide'], /list -o takes table, name, json \(got 'wide'\)/],
    [['info', 'x', '-o', 'json'], /info does not take --output/],
    [['current', '--no-headers'], /current does not take --no-headers/],
    [['current', '--json', '-q'], /current takes --json or --name, not both/],
    [['cleanup', '--json'], /cleanup does not take --json/],
    [['resources', '--json'], /resources does not take --json/],
    [['list', 'extra'], /list takes no arguments \(got 'extra'\)/],
    [['current', NAME], /current takes no arguments/],
    [['cleanup', 'x'], /cleanup takes no arguments/],
    [['cleanup', '--force'], /cleanup does not take --force/],
    [['registry', 'prune'], /registry takes status \(the default\) or delete \(got 'prune'\)/],
    [['registry', 'status', 'delete'], /registry takes status/],
    [['registry', '--force'], /--force goes with registry delete/],
    [['registry', '--registry'], /registry does not take --registry/],
    [['version', 'x'], /version takes no arguments/],
    [['help', 'list', 'x'], /help takes one command/],
    [['help', 'lisst'], /unknown command 'lisst'/],
    [['info'], /info needs a cluster name/],
    [['delete'], /delete needs a cluster name/],
    [['start'], /start needs a cluster name/],
    [['stop'], /stop needs a cluster name/],
    [['shell'], /shell needs a cluster name/],
    [['shell', 'a', 'b'], /shell takes one cluster name/],
    [['exec'], /exec needs a cluster name and a command/],
    [['exec', 'dev'], /exec needs a command: exec dev -- CMD/],
    [['exec', 'dev', '--'], /exec needs a command/],
    [['exec', '-x'], /unknown flag: -x/],
    [['exec', '../x', '--', 'ls'], /invalid cluster name/],
    [['completion'], /completion needs one shell: bash, zsh, fish/],
    [['completion', 'tcsh'], /completion needs one shell.*got 'tcsh'/],
    [['switch', 'a', 'b'], /switch takes one cluster name \(got 2: a b\)/],
    [['resources', 'a', 'b'], /resources takes one cluster name/],
    [['delete', '../../etc'], /invalid cluster name/],
    [['delete', 'ok', 'a/b'], /invalid cluster name/],
    [['info', 'a b'], /invalid cluster name/],
    [['switch', LONG], /must be <= 32 characters, but has 33/],
    [['info', 'a/b'], /invalid cluster name/],
    [['start', 'UPPER_case'], /invalid cluster name/],
    [['stop', '-dash'], /unknown flag: -dash/],
    [['resources', '..'], /invalid cluster name/],
    [['delete', ''], /missing cluster name/],
    [['info', '-'], /invalid cluster name/],
    [['credentials'], /credentials needs --namespace NS/],
    [['credentials', '--namespace'], /--namespace needs a value/],
    [['credentials', '-n', 'Agent_1'], /invalid namespace "Agent_1": a lowercase RFC 1123 label/],
    [['credentials', '-n', `a${'b'.repeat(63)}`], /invalid namespace/],
    [['credentials', '-n', 'kube-system'], /names starting with 'kube-' are Kubernetes' own/],
    [['credentials', '-n', 'a', '--duration', 'soon'], /--duration "soon": not a duration/],
    [['credentials', '-n', 'a', '--duration', '7d'], /--duration "7d": not a duration/],
    [['credentials', '-n', 'a', '--duration', '5m'], /shorter than the 10 minutes Kubernetes allows a token/],
    [['credentials', '-n', 'a', '--duration', '10m500ms'], /whole seconds/],
    [['credentials', '-n', 'a', '--duration', `${2 ** 32 + 1}s`], /longer than the 2\^32 seconds/],
    [['credentials', 'a', 'b', '-n', 'x'], /credentials takes one cluster name/],
    [['credentials', '-n', 'a', '--force'], /credentials does not take --force/],
    [['exec', 'dev', '--namespace', 'BAD', '--', 'ls'], /invalid namespace "BAD"/],
    [['exec', 'dev', '--namespace'], /--namespace needs a value/],
    [['switch', 'x', '--namespace', '../etc'], /invalid namespace/],
    [['shell', 'x', '--namespace='], /--namespace needs a value/],
    [['mcp-setup', '--client', 'zed'], /unknown MCP client "zed" \(known: claude, cursor, vscode\)/],
    [['mcp-setup', '--read-only', '--non-destructive'], /mcp-setup takes one of --read-only, --non-destructive, --read-write \(got --read-only and --non-destructive\)/],
    [['mcp-setup', '--duration', '1h'], /mcp-setup does not take --duration/],
    [['list', '--namespace', 'x'], /list does not take --namespace/],
    [['info', 'x', '--read-only'], /info does not take --read-only/],
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
  test('an unknown command suggests the closest one; usage hints name that command\'s help', () => {
    const hint = (topic: string | null) => `see ${topic ?? 'all'}`
    const cases: Array<[string[], RegExp]> = [
      [['lst'], /^did you mean 'list'\? \(see all\)$/],
      [['swich', 'x'], /^did you mean 'switch'\?/],
      [['curent'], /^did you mean 'current'\?/],
      [['delte'], /^did you mean 'delete'\?/],
      [['mcp'], /^did you mean 'mcp-setup'\?/],
      [['zzzzzz'], /^see all$/],
      [['list', 'x'], /^see list$/],
      [['rm'], /^see delete$/],
    ]
    for (const [argv, expected] of cases) {
      assert.throws(() => parseArgs(argv, hint as never), (err: unknown) => {
        assert.ok(err instanceof UsageError)
        assert.match(err.hint ?? '', expected, argv.join(' '))
        return true
      })
    }
  })

  test('a 32-character name is accepted', () => {
    assert.deepEqual(parseArgs(['info', 'a'.repeat(32)]), { kind: 'info', name: 'a'.repeat(32), json: false })
    assert.equal(closestCommand('xyz'), null)
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
    const shipped = ['help', 'list', 'current', 'info', 'switch', 'delete', 'resources', 'cleanup', 'start', 'stop', 'exec', 'shell', 'completion', 'version'] as const
    for (const kind of shipped) {
      const load = COMMANDS[kind]
      assert.ok(load, `${kind} has no module`)
      assert.equal(typeof (await load()).run, 'function')
    }
    for (const entry of ['list, ls', 'switch, use NAME', 'switch, use -', 'current', 'info NAME', 'delete, rm NAME...', 'resources, res [NAME]', 'start NAME...', 'stop NAME...', 'exec NAME -- CMD', 'shell NAME', 'completion bash|zsh|fish', 'version, --version', 'cleanup', 'help [COMMAND], -h, --help']) {
      assert.ok(HELP.includes(entry), `help lacks '${entry}'`)
    }
    assert.match(HELP, /Examples:/)
    assert.match(HELP, /eval "\$\(.* switch .* --shell\)"/)
  })
})
