// The justfile: every recipe that wraps a script passes its words through, errors stay one line,
// usage errors exit 2 through just, and nothing needs `just` on PATH.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { sandboxFor, REPO_ROOT, JUST, JUST_WRAPPER } from './helpers/sandbox.ts'
import type { Sandbox, RunResult } from './helpers/sandbox.ts'

const JUSTFILE = path.join(REPO_ROOT, 'justfile')
const lines = (text: string) => text.replace(/\n$/, '').split('\n')
/** PATH without any `just` (as when just came from npm and only `npx just` finds it). */
const noJustPath = (sb: Sandbox) => (sb.env.PATH ?? '').split(':').filter((d) => !d.includes('node_modules')).join(':')
const just = (sb: Sandbox, args: string[], env: Record<string, string> = {}, exe = JUST) =>
  sb.run(exe, ['--justfile', JUSTFILE, '--working-directory', sb.root, ...args], { cwd: sb.root, env: { PATH: noJustPath(sb), ...env } })

interface Recipe {
  name: string
  attributes: Array<string | Record<string, unknown>>
  parameters: Array<{ name: string; kind: string }>
  body: unknown[]
}

/** Every recipe, as just reads the justfile, and those that run one of the scripts. */
async function recipes(sb: Sandbox): Promise<{ all: Recipe[]; wrappers: Recipe[] }> {
  const r = await sb.run(JUST, ['--justfile', JUSTFILE, '--dump', '--dump-format', 'json'])
  assert.equal(r.code, 0, r.stderr)
  const all = Object.values(JSON.parse(r.stdout).recipes as Record<string, Recipe>)
  const wrappers = all.filter((rc) => /"variable","(manager|dev_up)"/.test(JSON.stringify(rc.body)))
  assert.ok(wrappers.length >= 16, `only ${wrappers.length} wrappers`)
  return { all, wrappers }
}

test('every recipe that runs a script takes *ARGS, passes "$@" and has [no-exit-message]', async (t) => {
  const sb = await sandboxFor(t)
  const { all, wrappers } = await recipes(sb)
  for (const rc of wrappers) {
    assert.deepEqual(rc.parameters.map((p) => [p.name, p.kind]), [['ARGS', 'star']], rc.name)
    assert.ok(rc.attributes.includes('no-exit-message'), `${rc.name} lacks [no-exit-message]`)
    assert.match(JSON.stringify(rc.body), /\\"\$@\\"/, rc.name)
  }
  const names = all.map((rc) => rc.name)
  for (const name of ['cluster-exec', 'cluster-shell']) assert.ok(names.includes(name), name)
})

test('every recipe that wraps a script reaches it through just: RECIPE --help prints that script\'s usage', async (t) => {
  const sb = await sandboxFor(t)
  const { wrappers } = await recipes(sb)
  // The other tests run some recipes end to end; this one runs every one of them (the docs
  // test runs the documented recipe lines as the command each recipe runs).
  for (const rc of wrappers) {
    const body = JSON.stringify(rc.body)
    const command = /"variable","manager"\]\]," (\S+)/.exec(body)?.[1]
    const r = await just(sb, [rc.name, '--help'])
    assert.equal(r.code, 0, `${rc.name}: ${r.stderr}`)
    if (command === undefined) assert.match(r.stdout, /^Usage: dev-up-multi\.ts /m, rc.name)
    else if (command === 'dev-start') assert.match(r.stdout, /^dev-start takes the words of dev-up-multi/, rc.name)
    else assert.match(r.stdout, new RegExp(`^Usage: \\S*cluster-manager\\.ts ${command}( |$)`, 'm'), rc.name)
  }
})

test('through just: --help, --json and --dry-run reach the script; usage errors are one line and exit 2', async (t) => {
  const sb = await sandboxFor(t)
  const help = await just(sb, ['cluster-start', 'x', '--help'])
  assert.equal(help.code, 0, help.stderr)
  assert.match(help.stdout, /^Usage: .*cluster-manager\.ts start NAME\.\.\./)
  const listHelp = await just(sb, ['cluster-list', '--help'])
  assert.match(listHelp.stdout, /-o table/)
  const json = await just(sb, ['cluster-current', '--json'])
  assert.deepEqual([json.code, json.stdout], [0, 'null\n'])
  for (const [args, message] of [
    [['cluster-switch'], /^✗ switch needs a cluster name/],
    [['cluster-switch', 'a', 'b'], /^✗ switch takes one cluster name/],
    [['cluster-info'], /^✗ info needs a cluster name/],
    [['cluster-cleanup', '--dry-run'], /^✗ unknown flag: --dry-run/],
    [['doctor', '--yes'], /^✗ doctor does not take --yes/],
    [['registry', 'wipe'], /^✗ registry takes status \(the default\) or delete \(got 'wipe'\)/],
    [['cluster-list', '-o', 'wide'], /^✗ list -o takes table, name, json/],
  ] as Array<[string[], RegExp]>) {
    const r: RunResult = await just(sb, args)
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
    assert.match(r.stderr, message, args.join(' '))
    assert.doesNotMatch(r.stderr, /error: Recipe|justfile does not contain/, args.join(' '))
  }
  // An operation that fails: exit 1, still one line.
  const failed = await just(sb, ['cluster-info', 'nope'])
  assert.equal(failed.code, 1)
  assert.equal(lines(failed.stderr).length, 1, failed.stderr)
})

test('the default recipe lists the recipes with just_executable(), without just on PATH (through `npx just`\'s wrapper)', async (t) => {
  const sb = await sandboxFor(t)
  const r = await just(sb, [], {}, JUST_WRAPPER)
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /^Available recipes:/)
  assert.match(r.stdout, /cluster-exec \*ARGS +# Run a command against one cluster/)
})
