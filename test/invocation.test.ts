// Hints name a command the user can type where they are: the recipe through just, else the script.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import fs from 'fs-extra'
import { sandboxFor, REPO_ROOT, JUST } from './helpers/sandbox.ts'
import type { Sandbox } from './helpers/sandbox.ts'
import { makeRepo } from './helpers/git.ts'
import { commandLine, invocationFrom, shellWord } from '../lib/invocation.ts'
import type { InvocationInput } from '../lib/invocation.ts'

const JUSTFILE = path.join(REPO_ROOT, 'justfile')
const MANAGER = path.join(REPO_ROOT, 'scripts', 'cluster-manager.ts')
const DEV_UP = path.join(REPO_ROOT, 'scripts', 'dev-up-multi.ts')
const lines = (text: string) => text.replace(/\n$/, '').split('\n')

describe('invocationFrom (pure)', () => {
  const base: InvocationInput = {
    env: { PATH: '/usr/bin:/home/u/.npm/bin' },
    script: '/home/u/threads-agent/scripts/cluster-manager.ts',
    realScript: '/home/u/threads-agent/scripts/cluster-manager.ts',
    cwd: '/home/u/threads-agent',
    onPath: () => false,
  }

  test('the script from its checkout: ./scripts/...; from elsewhere: its absolute path', () => {
    const here = invocationFrom(base)
    assert.deepEqual(here, { just: null, manager: './scripts/cluster-manager.ts', devUp: './scripts/dev-up-multi.ts' })
    assert.equal(commandLine(here, 'switch', 'NAME'), './scripts/cluster-manager.ts switch NAME')
    assert.equal(commandLine(here, 'bootstrap'), './scripts/dev-up-multi.ts')
    const away = invocationFrom({ ...base, cwd: '/home/u/other' })
    assert.equal(commandLine(away, 'start', 'a', 'b'), '/home/u/threads-agent/scripts/cluster-manager.ts start a b')
    const spaced = invocationFrom({ ...base, script: '/my repos/ta/scripts/cluster-manager.ts', realScript: '/my repos/ta/scripts/cluster-manager.ts', cwd: '/elsewhere' })
    assert.equal(spaced.manager, "'/my repos/ta/scripts/cluster-manager.ts'")
  })

  test('through a command on PATH (npm link): the bare names', () => {
    const linked = invocationFrom({ ...base, script: '/home/u/.npm/bin/cluster-manager', cwd: '/srv/work', onPath: (c) => c === 'cluster-manager' || c === 'dev-up-multi' })
    assert.deepEqual(linked, { just: null, manager: 'cluster-manager', devUp: 'dev-up-multi' })
    // dev-up-multi not linked: its path next to the real script
    const half = invocationFrom({ ...base, script: '/home/u/.npm/bin/cluster-manager', cwd: '/srv/work', onPath: (c) => c === 'cluster-manager' })
    assert.equal(half.devUp, '/home/u/threads-agent/scripts/dev-up-multi.ts')
  })

  test('through just: the recipe, with --justfile outside its tree, npx or the binary when just is not on PATH', () => {
    const env = { ...base.env, THREADS_AGENT_JUSTFILE: '/home/u/threads-agent/justfile', THREADS_AGENT_JUST_EXE: '/home/u/threads-agent/node_modules/rust-just/bin/just' }
    const inRepo = invocationFrom({ ...base, env, cwd: '/home/u/threads-agent/sub', onPath: (c) => c === 'just' })
    assert.equal(commandLine(inRepo, 'switch', 'NAME'), 'just cluster-switch NAME')
    assert.equal(commandLine(inRepo, 'bootstrap'), 'just bootstrap-multi')
    assert.equal(commandLine(inRepo, 'help'), 'just --list')
    assert.equal(commandLine(inRepo, 'version'), '/home/u/threads-agent/scripts/cluster-manager.ts version') // no recipe for it
    const npx = invocationFrom({ ...base, env })
    assert.equal(commandLine(npx, 'cleanup'), 'npx just cluster-cleanup')
    const elsewhere = invocationFrom({ ...base, env, cwd: '/home/u/other', onPath: (c) => c === 'just' })
    assert.equal(commandLine(elsewhere, 'list'), 'just --justfile /home/u/threads-agent/justfile --working-directory . cluster-list')
    const bare = invocationFrom({ ...base, env, cwd: '/home/u/other' })
    assert.equal(commandLine(bare, 'list'), '/home/u/threads-agent/node_modules/rust-just/bin/just --justfile /home/u/threads-agent/justfile --working-directory . cluster-list')
  })

  test('shellWord quotes only what needs it', () => {
    assert.equal(shellWord('/a/b-c_d.e'), '/a/b-c_d.e')
    assert.equal(shellWord("it's here"), "'it'\\''s here'")
  })
})

const just = (sb: Sandbox, cwd: string, args: string[], env: Record<string, string> = {}) => sb.run(JUST, ['--justfile', JUSTFILE, '--working-directory', cwd, ...args], { cwd, env })

test('hints through just name recipes, and the scripts directly name the scripts (9 of one style and 11 of the other before)', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  // just on PATH, as a global install puts it
  const bin = path.join(sb.root, 'bin')
  await fs.mkdirp(bin)
  await fs.symlink(JUST, path.join(bin, 'just'))
  const env = { PATH: `${bin}:${sb.env.PATH}` }
  // Inside this checkout (the justfile's tree): plain `just RECIPE`.
  const viaJust = await just(sb, REPO_ROOT, ['cluster-current'], env)
  assert.deepEqual(lines(viaJust.stderr), ['⚠ No active cluster — switch to one with: just cluster-switch NAME (list them with: just cluster-list)'])
  const res = await just(sb, REPO_ROOT, ['cluster-resources'], env)
  assert.equal(res.code, 1)
  assert.deepEqual(lines(res.stderr), ['✗ no active cluster — just cluster-switch NAME (or just bootstrap-multi) first, or name one: just cluster-resources NAME'])
  const usage = await just(sb, REPO_ROOT, ['cluster-info'], env)
  assert.deepEqual([usage.code, lines(usage.stderr)], [2, ["✗ info needs a cluster name: info NAME — run 'just cluster-info --help' for usage"]])
  const missing = await just(sb, REPO_ROOT, ['cluster-start', 'nope'], env)
  assert.deepEqual([missing.code, lines(missing.stderr)], [1, ["✗ cluster 'nope' not found — there are no clusters; create one with 'just bootstrap-multi'"]])

  // From another repository, through this justfile: the whole command to type there.
  const far = await just(sb, repo, ['cluster-list'], env)
  assert.ok(lines(far.stdout).includes(`Run 'just --justfile ${JUSTFILE} --working-directory . bootstrap-multi' to create a cluster`), far.stdout)
  const mcp = await just(sb, repo, ['mcp-setup'], env)
  assert.match(mcp.stderr, new RegExp(`— run just --justfile ${JUSTFILE} --working-directory \\. cluster-switch NAME \\(or just --justfile .* bootstrap-multi\\) first$`, 'm'))

  // The scripts themselves: the script, as typed from where the user is.
  const direct = await sb.run(MANAGER, ['current'], { cwd: REPO_ROOT })
  assert.deepEqual(lines(direct.stderr), ['⚠ No active cluster — switch to one with: ./scripts/cluster-manager.ts switch NAME (list them with: ./scripts/cluster-manager.ts list)'])
  const fromRepo = await sb.run(MANAGER, ['resources'], { cwd: repo })
  assert.match(fromRepo.stderr, new RegExp(`^✗ no active cluster — ${MANAGER} switch NAME \\(or ${DEV_UP}\\) first`))
})

test('package.json bin: cluster-manager and dev-up-multi run as commands on PATH, and hints then use those names', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const pkg = await fs.readJson(path.join(REPO_ROOT, 'package.json'))
  assert.deepEqual(pkg.bin, { 'cluster-manager': 'scripts/cluster-manager.ts', 'dev-up-multi': 'scripts/dev-up-multi.ts' })
  // What npm link / npm install -g make: symlinks in a directory on PATH.
  const bin = path.join(sb.root, 'global-bin')
  await fs.mkdirp(bin)
  for (const [name, file] of Object.entries(pkg.bin as Record<string, string>)) await fs.symlink(path.join(REPO_ROOT, file), path.join(bin, name))
  const env = { PATH: `${bin}:${sb.env.PATH}` }
  const r = await sb.run('cluster-manager', ['current'], { cwd: sb.root, env })
  assert.equal(r.code, 0, r.stderr)
  assert.deepEqual(lines(r.stderr), ['⚠ No active cluster — switch to one with: cluster-manager switch NAME (list them with: cluster-manager list)'])
  const v = await sb.run('dev-up-multi', ['--version'], { cwd: sb.root, env })
  assert.equal(v.code, 0, v.stderr)
  assert.match(v.stdout, /^dev-up-multi version \d+\.\d+\.\d+\n/)
  const list = await sb.run('cluster-manager', ['list'], { cwd: sb.root, env })
  assert.match(list.stdout, /Run 'dev-up-multi' to create a cluster/)
})
