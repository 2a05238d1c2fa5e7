// The docs are tests: every command in the fenced shell blocks of docs/multi-cluster.md and
// README.md runs, in order within a part of the doc (each part in a sandbox of its own), against
// the simulator in scratch git repositories; lines with pipes or substitutions run in their shell;
// what is not run is listed in NOT_RUN with the reason. The scripts run in-process
// (helpers/inprocess.ts), a `just RECIPE` line as the command its recipe runs (RecipeTable); the
// recipes themselves, run by just, are justfile.test.ts's. Every documented output block must still be
// printed as a whole: its lines in order, next to each other, indentation included (numbers may
// differ, <placeholders> match anything).
import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import fs from 'fs-extra'
import { sandboxFor, REPO_ROOT, JUST, FROM_SNAPSHOT } from './helpers/sandbox.ts'
import type { RunResult, Sandbox } from './helpers/sandbox.ts'
import { makeRepo } from './helpers/git.ts'

interface Block {
  lang: string
  lines: string[]
  line: number // where the block starts in its file
  chapter: string // the `## ` heading it is under ('' before the first)
}

/** Fenced blocks of a markdown file, in order. */
export function fencedBlocks(markdown: string): Block[] {
  const blocks: Block[] = []
  let current: Block | null = null
  let chapter = ''
  markdown.split('\n').forEach((text, i) => {
    const fence = /^```(\w*)\s*$/.exec(text)
    if (!current && /^## /.test(text)) chapter = text.slice(3).trim()
    if (fence && !current) current = { lang: fence[1] ?? '', lines: [], line: i + 1, chapter }
    else if (fence && current) {
      blocks.push(current)
      current = null
    } else current?.lines.push(text)
  })
  return blocks
}

const SHELL = new Set(['bash', 'sh', 'shell', 'console'])

/** A documented output line as a pattern: numbers may differ, <placeholders> match anything; indentation counts. */
export function outputPattern(line: string): RegExp {
  const parts = line.trimEnd().split(/(<[^>]+>|\d+)/)
  const body = parts
    .map((p) => (/^<[^>]+>$/.test(p) ? '.*' : /^\d+$/.test(p) ? '\\d+' : p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('')
  return new RegExp(`^${body}$`)
}

/**
 * Where the whole block EXPECTED appears in PRINTED as consecutive lines, or -1. Trailing blank
 * lines of the block do not count (a fence cannot show them).
 */
export function findBlock(expected: readonly string[], printed: readonly string[]): number {
  const want = [...expected]
  while (want.length > 0 && want[want.length - 1]!.trim() === '') want.pop()
  const patterns = want.map(outputPattern)
  for (let at = 0; at + patterns.length <= printed.length; at++) {
    if (patterns.every((re, i) => re.test(printed[at + i]!.trimEnd()))) return at
  }
  return -1
}

/** Shell words of a simple command line (double/single quotes, no expansions). */
export function words(line: string): string[] {
  const out: string[] = []
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g
  for (const m of line.matchAll(re)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3]!))
  return out
}


/**
 * Documented commands this test does not run, each with the reason. Anything else that is not a
 * command of ours fails the test (it used to be skipped silently), and an entry that no longer
 * matches a documented line fails too, so this list stays the whole truth.
 */
const NOT_RUN: ReadonlyArray<{ file: string; line: RegExp; why: string }> = [
  { file: 'README.md', line: /^npm (ci|test|run test:docker|run test:k3d)$/, why: 'set-up and test commands: CI runs them (.ci/run)' },
  { file: 'docs/multi-cluster.md', line: /^lsof -i :\d+$/, why: 'inspects this machine, not the product' },
  { file: 'docs/multi-cluster.md', line: /^export KUBECONFIG="\/Users\/you\//, why: 'an example path of another machine' },
]

/**
 * Documented commands about the process itself (how it started: `--version`, `doctor`'s start-up
 * line) run end to end, a recipe through just, and as a user starts them (FROM_SNAPSHOT).
 */
const END_TO_END = /(^|\s)(--version|version|doctor)(\s|$)/

/**
 * How just runs each recipe that wraps a script (`@{{manager}} list "$@"`): the script, the words
 * before the arguments, and the variables the justfile exports, read from just itself
 * (`--dump --dump-format json` for the bodies, `--evaluate` for the values). justfile.test.ts
 * holds every wrapper to that shape and runs the recipes through just.
 */
interface RecipeTable {
  recipes: Map<string, { script: string; words: string[] }>
  env: Record<string, string>
}

let recipes: Promise<RecipeTable> | null = null
/** The recipe table, read from just once for every part of every doc. */
const recipeTable = (sb: Sandbox): Promise<RecipeTable> => (recipes ??= readRecipeTable(sb))

async function readRecipeTable(sb: Sandbox): Promise<RecipeTable> {
  const justfile = path.join(REPO_ROOT, 'justfile')
  const dump = await sb.run(JUST, ['--justfile', justfile, '--dump', '--dump-format', 'json'])
  const evaluated = await sb.run(JUST, ['--justfile', justfile, '--evaluate'])
  assert.equal(dump.code + evaluated.code, 0, dump.stderr + evaluated.stderr)
  const values = new Map<string, string>()
  for (const m of evaluated.stdout.matchAll(/^(\S+)\s*:= "((?:[^"\\]|\\.)*)"$/gm)) values.set(m[1]!, m[2]!.replace(/\\(.)/g, '$1'))
  const parsed = JSON.parse(dump.stdout) as {
    recipes: Record<string, { body: unknown[][] }>
    assignments: Record<string, { export: boolean }>
  }
  const env: Record<string, string> = {}
  for (const [name, a] of Object.entries(parsed.assignments)) if (a.export) env[name] = values.get(name)!
  const recipes = new Map<string, { script: string; words: string[] }>()
  for (const [name, recipe] of Object.entries(parsed.recipes)) {
    // one line: "@", [["variable", V]], ' words "$@"'
    const [line, ...more] = recipe.body
    if (more.length > 0 || !line || line.length !== 3 || line[0] !== '@') continue
    const variable = JSON.stringify(line[1]).match(/^\[\["variable","(\w+)"\]\]$/)?.[1]
    const rest = typeof line[2] === 'string' ? words(line[2]) : []
    if (!variable || !values.has(variable) || rest.at(-1) !== '$@') continue
    recipes.set(name, { script: words(values.get(variable)!)[0]!, words: rest.slice(0, -1) })
  }
  return { recipes, env }
}

/** A directory with the commands the docs use by name: `npm link`'s bin names, and just for this checkout. */
async function docBin(sb: Sandbox): Promise<string> {
  const bin = path.join(sb.root, 'doc-bin')
  await fs.mkdirp(bin)
  for (const name of ['cluster-manager', 'dev-up-multi']) await fs.symlink(path.join(REPO_ROOT, 'scripts', `${name}.ts`), path.join(bin, name))
  await fs.writeFile(path.join(bin, 'just'), `#!/bin/sh\nexec '${JUST}' --justfile '${path.join(REPO_ROOT, 'justfile')}' --working-directory "$PWD" "$@"\n`, { mode: 0o755 })
  return bin
}

/**
 * A documented line with a pipe, redirection or substitution runs in the shell it is written for,
 * with a check of what it promises after it: `eval "$(... --shell)"` points kubectl at a k3d
 * cluster, `source <(... completion bash|zsh)` registers the completion.
 */
function shellLine(line: string): { shell: string; script: string; expect?: RegExp } {
  if (/completion zsh/.test(line)) return { shell: 'zsh', script: `autoload -Uz compinit && compinit -u -D\n${line}\n(( $+_comps[cluster-manager] ))` }
  if (/^source <\(.*completion bash\)$/.test(line)) return { shell: 'bash', script: `set -e -o pipefail\n${line}\ncomplete -p cluster-manager` }
  if (/^eval "\$\(/.test(line)) return { shell: 'bash', script: `set -e -o pipefail\n${line}\nkubectl config current-context`, expect: /^k3d-[a-z0-9-]+$/m }
  return { shell: 'bash', script: `set -e -o pipefail\n${line}` }
}

interface DocRun {
  sb: Sandbox
  cwd: string
  vars: Map<string, string>
  bin: string
  just: RecipeTable
}

async function newRun(t: TestContext): Promise<DocRun> {
  const sb = await sandboxFor(t, { inProcess: true })
  const cwd = await makeRepo(sb, { dir: 'threads-agent', userName: 'Vitalii Serbyn', email: 'vitaliis@example.com' })
  // fish creates its completions directory when installed; the README writes into it.
  await fs.mkdirp(path.join(sb.home, '.config', 'fish', 'completions'))
  return { sb, cwd, vars: new Map(), bin: await docBin(sb), just: await recipeTable(sb) }
}

/**
 * Runs the shell commands of BLOCKS in order in RUN's sandbox; with COMPARE, every output block
 * must be printed as a whole by the command before it. Returns how many commands ran.
 */
async function runBlocks(file: string, blocks: readonly Block[], run: DocRun, compare: boolean, t: TestContext, notRun: Set<RegExp>): Promise<number> {
  const { sb, vars } = run
  let last: RunResult | null = null
  let lastCommand = ''
  let ran = 0

  const fill = (line: string) =>
    line.replace(/<([a-z-]+)>/g, (whole, key: string) => {
      const value = vars.get(key)
      assert.ok(value, `${file}: no value for ${whole} yet (in: ${line})`)
      return value!
    })

  const remember = (r: RunResult) => {
    const text = `${r.stdout}\n${r.stderr}`
    const names = [...text.matchAll(/Cluster '([a-z0-9.-]+)'|Cluster: ([a-z0-9.-]+)/g)].map((m) => m[1] ?? m[2]!)
    if (names.length > 0) vars.set('cluster-name', names[names.length - 1]!)
  }

  for (const block of blocks) {
    if (block.lang === 'text' && last) {
      if (!compare) continue
      // The block is what stdout shows, or what stderr shows, or (a terminal's view) both in turn.
      const split = (text: string) => text.replace(/\n$/, '').split('\n')
      const views = [split(last.stdout), split(last.stderr), [...split(last.stdout), ...split(last.stderr)]]
      assert.ok(
        views.some((printed) => findBlock(block.lines, printed) >= 0),
        `${file}:${block.line}: this block is not printed as a whole by \`${lastCommand}\` any more:\n${block.lines.join('\n')}\n--- stdout:\n${last.stdout}--- stderr:\n${last.stderr}`,
      )
      continue
    }
    if (!SHELL.has(block.lang)) continue
    for (const raw of block.lines) {
      const line = raw.replace(/\s+#.*$/, '').trim()
      if (line === '' || line.startsWith('#')) continue
      for (const part of line.split('&&').map((p) => p.trim())) {
        const filled = fill(part)
        const skip = NOT_RUN.find((n) => n.file === file && n.line.test(filled))
        if (skip) {
          notRun.add(skip.line)
          t.diagnostic(`${file}:${block.line}: not run: \`${filled}\` (${skip.why})`)
          continue
        }
        let r: RunResult
        let expect: RegExp | undefined
        const argv = words(filled)
        const [cmd, ...args] = argv[0] === 'npx' ? argv.slice(1) : argv
        const endToEnd = END_TO_END.test(filled)
        if (/[|>]|\$\(|<\(/.test(filled)) {
          // pipes, redirections, substitutions: run by the shell they are written for
          const sh = shellLine(filled)
          expect = sh.expect
          r = await sb.run(sh.shell, ['-c', sh.script], { cwd: run.cwd, env: { PATH: `${run.bin}:${sb.env.PATH}` } })
        } else if (cmd === 'cd') {
          const dir = path.resolve(run.cwd, args[0]!)
          if (!(await fs.pathExists(dir))) {
            await makeRepo(sb, { dir: path.relative(sb.root, dir), remote: `git@github.com:example/${path.basename(dir)}.git`, userName: 'Vitalii Serbyn', email: 'vitaliis@example.com' })
          }
          run.cwd = dir
          continue
        } else if (cmd === 'git' && (args[0] === 'config' || args[0] === 'worktree')) {
          // A work tree needs a commit to start from; the scratch repositories have none.
          if (args[0] === 'worktree' && (await sb.run('git', ['rev-parse', '-q', '--verify', 'HEAD'], { cwd: run.cwd })).code !== 0) {
            assert.equal((await sb.run('git', ['commit', '-q', '--allow-empty', '-m', 'start'], { cwd: run.cwd })).code, 0)
          }
          const g = await sb.run('git', args, { cwd: run.cwd })
          assert.equal(g.code, 0, `${file}:${block.line}: \`${part}\` failed:\n${g.stderr}`)
          continue
        } else if (cmd === 'just') {
          // The doc's own --justfile/--working-directory (Scenario 2) become this checkout and cwd.
          const rest = args.filter((a, i) => !['--justfile', '--working-directory'].includes(a) && !['--justfile', '--working-directory'].includes(args[i - 1]!))
          const recipe = END_TO_END.test(filled) ? undefined : run.just.recipes.get(rest[0] ?? '')
          if (recipe) r = await sb.run(recipe.script, [...recipe.words, ...rest.slice(1)], { cwd: run.cwd, env: run.just.env })
          else r = await sb.run(JUST, ['--justfile', path.join(REPO_ROOT, 'justfile'), '--working-directory', run.cwd, ...rest], { cwd: run.cwd, env: endToEnd ? FROM_SNAPSHOT : {} })
        }
        else if (cmd?.startsWith('./scripts/')) r = await sb.run(path.join(REPO_ROOT, cmd), args, { cwd: run.cwd, endToEnd, env: endToEnd ? FROM_SNAPSHOT : {} })
        // ~/threads-agent is this checkout, run from wherever the doc is.
        else if (cmd?.startsWith('~/threads-agent/scripts/')) r = await sb.run(path.join(REPO_ROOT, cmd.slice('~/threads-agent/'.length)), args, { cwd: run.cwd, endToEnd, env: endToEnd ? FROM_SNAPSHOT : {} })
        // The commands `npm link` puts on PATH (package.json bin) are the scripts.
        else if (cmd === 'cluster-manager' || cmd === 'dev-up-multi') r = await sb.run(path.join(REPO_ROOT, 'scripts', `${cmd}.ts`), args, { cwd: run.cwd, endToEnd, env: endToEnd ? FROM_SNAPSHOT : {} })
        else assert.fail(`${file}:${block.line}: \`${filled}\` is neither a command of ours nor in NOT_RUN (say there why it is not run)`)
        ran++
        lastCommand = part
        assert.equal(r.code, 0, `${file}:${block.line}: \`${part}\` failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`)
        if (expect) assert.match(r.stdout, expect, `${file}:${block.line}: \`${part}\` did not do what the doc says`)
        last = r
        remember(r)
      }
    }
  }
  return ran
}

/**
 * A doc runs in parts, each in its own sandbox; a part starts at one of
 * PARTS (`## ` headings) and runs to the next. A part after the first starts from the state the
 * doc's SETUP chapter leaves (its commands run again there, their output not compared). Within a
 * part, commands run in order, as a reader would type them.
 */
const DOCS: ReadonlyArray<{ file: string; setup: string | null; parts: readonly string[] }> = [
  { file: 'docs/multi-cluster.md', setup: 'Quick Start', parts: ['Advanced Usage', 'Working with Multiple Clusters', 'Environment Variables'] },
  { file: 'README.md', setup: null, parts: [] },
]

/** BLOCKS cut before each block under a heading of PARTS (the first part is everything before). */
function splitParts(blocks: readonly Block[], parts: readonly string[]): Block[][] {
  const out: Block[][] = [[]]
  let chapter: string | null = null
  for (const b of blocks) {
    if (b.chapter !== chapter && parts.includes(b.chapter)) out.push([])
    chapter = b.chapter
    out.at(-1)!.push(b)
  }
  for (const p of parts) assert.ok(blocks.some((b) => b.chapter === p), `no chapter '## ${p}' any more: fix DOCS`)
  return out
}

for (const { file, setup, parts } of DOCS) {
  test(`every command of ${file} runs and prints what the doc shows`, async (t) => {
    const blocks = fencedBlocks(await fs.readFile(path.join(REPO_ROOT, file), 'utf8'))
    const notRun = new Set<RegExp>()
    const chapters = splitParts(blocks, parts)
    const setupBlocks = blocks.filter((b) => b.chapter === setup)
    let ran = 0
    // One part after the other: in-process runs take turns (helpers/inprocess.ts).
    for (const chapter of chapters) {
      await t.test(`from ${chapter[0]?.chapter || 'the top'}`, async (ct) => {
        const run = await newRun(ct)
        const ownSetup = setup !== null && !chapter.some((b) => b.chapter === setup)
        if (ownSetup) await runBlocks(file, setupBlocks, run, false, ct, notRun)
        ran += await runBlocks(file, chapter, run, true, ct, notRun)
      })
    }
    t.diagnostic(`${file}: ${ran} documented commands ran in ${chapters.length} part(s)`)
    assert.ok(ran > 0, `${file} has no command to run`)
    const stale = NOT_RUN.filter((n) => n.file === file && !notRun.has(n.line))
    assert.deepEqual(stale.map((n) => n.line.source), [], 'NOT_RUN entries that match no documented line any more')
  })
}

test('findBlock: a block matches only whole, in order, with its indentation', () => {
  const printed = ['Available k3d clusters:', '', '● Active (current):', '  Cluster: a', '  LoadBalancer: http://localhost:8142', '']
  assert.equal(findBlock(['● Active (current):', '  Cluster: a', '  LoadBalancer: http://localhost:8080'], printed), 2)
  assert.equal(findBlock(['● Active (current):', '  Cluster: <name>', ''], printed), 2)
  assert.equal(findBlock(['● Active (current):', 'Cluster: a'], printed), -1) // indentation counts
  assert.equal(findBlock(['  Cluster: a', '● Active (current):'], printed), -1) // order counts
  assert.equal(findBlock(['Available k3d clusters:', '● Active (current):'], printed), -1) // lines are next to each other
})
