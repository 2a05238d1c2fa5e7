// The docs are tests: every `just ...` and `./scripts/...` command in the fenced shell blocks of
// docs/multi-cluster.md and README.md runs, in order, against the simulator in scratch git
// repositories; every documented output block must still be printed as a whole: its lines in
// order, next to each other, indentation included (numbers may differ, <placeholders> match anything).
import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import fs from 'fs-extra'
import { sandboxFor, REPO_ROOT } from './helpers/sandbox.ts'
import type { RunResult } from './helpers/sandbox.ts'
import { makeRepo } from './helpers/git.ts'

interface Block {
  lang: string
  lines: string[]
  line: number // where the block starts in its file
}

/** Fenced blocks of a markdown file, in order. */
export function fencedBlocks(markdown: string): Block[] {
  const blocks: Block[] = []
  let current: Block | null = null
  markdown.split('\n').forEach((text, i) => {
    const fence = /^```(\w*)\s*$/.exec(text)
    if (fence && !current) current = { lang: fence[1] ?? '', lines: [], line: i + 1 }
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

const JUST = path.join(REPO_ROOT, 'node_modules', '.bin', 'just')

async function runDoc(file: string, t: TestContext): Promise<number> {
  const markdown = await fs.readFile(path.join(REPO_ROOT, file), 'utf8')
  const sb = await sandboxFor(t)
  let cwd = await makeRepo(sb, { dir: 'threads-agent', userName: 'Vitalii Serbyn', email: 'vitaliis@example.com' })
  let last: RunResult | null = null
  let lastCommand = ''
  let ran = 0
  const vars = new Map<string, string>()

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

  for (const block of fencedBlocks(markdown)) {
    if (block.lang === 'text' && last) {
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
        if (/[|>]|\$\(|<\(/.test(filled)) continue // pipes, redirections, substitutions: shown, not run
        const argv = words(filled)
        const [cmd, ...args] = argv[0] === 'npx' ? argv.slice(1) : argv
        if (cmd === 'cd') {
          const dir = path.resolve(cwd, args[0]!)
          if (!(await fs.pathExists(dir))) {
            await makeRepo(sb, { dir: path.relative(sb.root, dir), remote: `git@github.com:example/${path.basename(dir)}.git`, userName: 'Vitalii Serbyn', email: 'vitaliis@example.com' })
          }
          cwd = dir
          continue
        }
        if (cmd === 'git' && (args[0] === 'config' || args[0] === 'worktree')) {
          // A work tree needs a commit to start from; the scratch repositories have none.
          if (args[0] === 'worktree' && (await sb.run('git', ['rev-parse', '-q', '--verify', 'HEAD'], { cwd })).code !== 0) {
            assert.equal((await sb.run('git', ['commit', '-q', '--allow-empty', '-m', 'start'], { cwd })).code, 0)
          }
          const r = await sb.run('git', args, { cwd })
          assert.equal(r.code, 0, `${file}:${block.line}: \`${part}\` failed:\n${r.stderr}`)
          continue
        }
        let r: RunResult
        if (cmd === 'just') {
          // The doc's own --justfile/--working-directory (Scenario 2) become this checkout and cwd.
          const rest = args.filter((a, i) => !['--justfile', '--working-directory'].includes(a) && !['--justfile', '--working-directory'].includes(args[i - 1]!))
          r = await sb.run(JUST, ['--justfile', path.join(REPO_ROOT, 'justfile'), '--working-directory', cwd, ...rest], { cwd })
        }
        else if (cmd?.startsWith('./scripts/')) r = await sb.run(path.join(REPO_ROOT, cmd), args, { cwd })
        // ~/threads-agent is this checkout, run from wherever the doc is.
        else if (cmd?.startsWith('~/threads-agent/scripts/')) r = await sb.run(path.join(REPO_ROOT, cmd.slice('~/threads-agent/'.length)), args, { cwd })
        // The commands `npm link` puts on PATH (package.json bin) are the scripts.
        else if (cmd === 'cluster-manager' || cmd === 'dev-up-multi') r = await sb.run(path.join(REPO_ROOT, 'scripts', `${cmd}.ts`), args, { cwd })
        else continue // npm ci, npm test, lsof, export: not ours to run here
        ran++
        lastCommand = part
        assert.equal(r.code, 0, `${file}:${block.line}: \`${part}\` failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`)
        last = r
        remember(r)
      }
    }
  }
  return ran
}

for (const file of ['docs/multi-cluster.md', 'README.md']) {
  test(`every command of ${file} runs and prints what the doc shows`, async (t) => {
    const ran = await runDoc(file, t)
    console.log(`# ${file}: ${ran} documented commands ran`)
    assert.ok(ran > 0, `${file} has no command to run`)
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
