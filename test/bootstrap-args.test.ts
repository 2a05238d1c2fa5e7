import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseBootstrapArgs } from '../lib/bootstrap/index.ts'
import { ArgumentError, UsageError } from '../lib/errors.ts'

const defaults = { share: false, force: false, tag: 'local', tagGiven: false, name: null, dryRun: false, json: false, wait: false, waitTimeout: 300, worktree: undefined, output: null }

test('flags, aliases, the bare word share and env defaults', () => {
  const cases: Array<[string[], NodeJS.ProcessEnv, object]> = [
    [[], {}, defaults],
    [['--share'], {}, { ...defaults, share: true }],
    [['-s'], {}, { ...defaults, share: true }],
    [['share'], {}, { ...defaults, share: true }],
    [['--force', '--tag', 'v1.0.0'], {}, { ...defaults, force: true, tag: 'v1.0.0', tagGiven: true }],
    [['-f', '-t', 'latest'], {}, { ...defaults, force: true, tag: 'latest', tagGiven: true }],
    [['--tag=v2'], {}, { ...defaults, tag: 'v2', tagGiven: true }],
    [['--wait'], {}, { ...defaults, wait: true }],
    [['--wait', '--wait-timeout', '2.5'], {}, { ...defaults, wait: true, waitTimeout: 2.5 }],
    [['--name', 'dev', '--dry-run', '--json'], {}, { ...defaults, name: 'dev', dryRun: true, json: true }],
    [['--dry-run', '-o', 'yaml'], {}, { ...defaults, dryRun: true, output: 'yaml' }],
    [['--output=yaml', '--dry-run'], {}, { ...defaults, dryRun: true, output: 'yaml' }],
    [[], { TAG: 'v9', FORCE_RECREATE: 'true', SHARE_CLUSTER: 'true' }, { ...defaults, tag: 'v9', force: true, share: true }],
    [['--tag', 'v1'], { TAG: 'v9' }, { ...defaults, tag: 'v1', tagGiven: true }],
    [[], { FORCE_RECREATE: 'false', SHARE_CLUSTER: 'no' }, defaults],
    [['--worktree'], {}, { ...defaults, worktree: true }],
    [['--no-worktree'], { CLUSTER_ISOLATION: 'worktree' }, { ...defaults, worktree: false }],
    [['--worktree', '--no-worktree'], {}, { ...defaults, worktree: false }],
  ]
  for (const [argv, env, expected] of cases) assert.deepEqual(parseBootstrapArgs(argv, env), expected, argv.join(' '))
  assert.equal(parseBootstrapArgs(['--help']), 'help')
  assert.equal(parseBootstrapArgs(['-h']), 'help')
})

test('unknown flags and stray words are argument errors (exit 2 with usage)', () => {
  for (const argv of [['--xyz'], ['-x'], ['shared'], ['share', 'extra'], ['--forse']]) {
    assert.throws(() => parseBootstrapArgs(argv), ArgumentError, argv.join(' '))
  }
})

test('bad tag and bad names are usage errors', () => {
  for (const argv of [['--tag', ''], ['--tag', '-x'], ['--tag', 'a b'], ['--name', '../x'], ['--name', 'x'.repeat(33)], ['--name', ''], ['--wait-timeout', '0'], ['--wait-timeout', 'soon'], ['--wait-timeout', '']]) {
    assert.throws(() => parseBootstrapArgs(argv), UsageError, argv.join(' '))
  }
  assert.throws(() => parseBootstrapArgs(['--tag']), /--tag needs a value/)
  // -o yaml: the k3d config of a dry run, alone on stdout
  assert.throws(() => parseBootstrapArgs(['-o', 'yaml']), /-o yaml prints the k3d config a run would create from: add --dry-run/)
  assert.throws(() => parseBootstrapArgs(['--dry-run', '-o', 'json']), /-o takes yaml/)
  assert.throws(() => parseBootstrapArgs(['--dry-run', '-o', 'yaml', '--json']), /both take stdout/)
})
