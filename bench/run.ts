// `npm run bench [-- --runs N] [--compare DIR] [--only ID,ID]`
// Measures every speed goal of the spec against the simulator, interleaved with `node -e 0`, and
// prints a markdown table (docs/performance.md keeps the latest). Exit 1 when a row of this tree
// misses its goal by more than the run's noise (bench/stats.ts says how that is defined).
// --compare DIR: the same rows for the checkout in DIR (e.g. `git worktree add ../before main`),
// sample for sample alternating with this tree, so both see the same machine.
import { execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import minimist from 'minimist'
import { REPO_ROOT } from '../test/helpers/sandbox.ts'
import { treeAt } from './fixtures.ts'
import type { Tree } from './fixtures.ts'
import { Fixtures, ROWS } from './rows.ts'
import type { Measure, Row } from './rows.ts'
import { noiseOf, summarize, verdict } from './stats.ts'
import type { Summary } from './stats.ts'

const argv = minimist(process.argv.slice(2), { string: ['compare', 'only', 'runs'], boolean: ['help'] })
if (argv.help) {
  process.stdout.write('usage: npm run bench -- [--runs N] [--compare DIR] [--only ID,...]\n' + `rows: ${ROWS.map((r) => r.id).join(', ')}\n`)
  process.exit(0)
}
const runs = Number(argv.runs ?? 15)
if (!Number.isInteger(runs) || runs < 3) {
  process.stderr.write('bench: --runs must be an integer of at least 3\n')
  process.exit(2)
}
const only = argv.only ? new Set(String(argv.only).split(',')) : null
const unknown = only ? [...only].filter((id) => !ROWS.some((r) => r.id === id)) : []
if (unknown.length) {
  process.stderr.write(`bench: unknown row ${unknown.join(', ')} (rows: ${ROWS.map((r) => r.id).join(', ')})\n`)
  process.exit(2)
}
const rows = ROWS.filter((r) => !only || only.has(r.id))
const here = treeAt('after', REPO_ROOT)
const trees: Tree[] = argv.compare ? [treeAt('before', path.resolve(String(argv.compare))), here] : [here]
for (const t of trees) {
  if (!existsSync(t.manager)) {
    process.stderr.write(`bench: no scripts/cluster-manager.ts in ${t.root}\n`)
    process.exit(2)
  }
}

const log = (text: string) => process.stderr.write(`${text}\n`)

/** `node -e 0`, spawned the way the rows spawn their commands. */
function nodeStart(): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = performance.now()
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' })
    child.on('error', reject)
    child.on('close', () => resolve(performance.now() - t))
  })
}

/**
 * How each tree's scripts start, as the script itself says (`version --json`: snapshot, bundle or
 * tsx); a tree older than that command is asked through its tools/launch.mjs.
 */
async function runnerOf(tree: Tree): Promise<string> {
  try {
    const v = JSON.parse(execFileSync(tree.manager, ['version', '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as { runner?: string }
    if (v.runner) return v.runner
  } catch {
    // no version command: ask the launcher below
  }
  const launcher = path.join(tree.root, 'tools', 'launch.mjs')
  if (!existsSync(launcher)) return 'tsx (no launcher)'
  const { choose } = (await import(pathToFileURL(launcher).href)) as typeof import('../tools/launch.mjs')
  const c = choose(tree.root, tree.manager, process.env)
  return c.runner === 'bundle' ? 'bundle' : `${c.runner} (${c.reason})`
}

const fx = new Fixtures()
const measures = new Map<Row, Map<Tree, Measure | null>>()
const samples = new Map<Row, Map<Tree, number[]>>()
const baseline: number[] = []
const load = [os.loadavg()[0]!]

try {
  for (const t of trees) log(`${t.label}: ${t.root} — ${await runnerOf(t)}`)
  log('preparing (seeding the simulator; untimed)...')
  for (const row of rows) {
    const m = new Map<Tree, Measure | null>()
    for (const t of trees) {
      const measure = await row.prepare(t, fx)
      if (measure) await measure.sample() // warm-up: disk cache, tsx's transform cache
      m.set(t, measure)
    }
    measures.set(row, m)
    samples.set(row, new Map(trees.map((t) => [t, []])))
  }
  for (let round = 0; round < runs; round++) {
    for (const row of rows) {
      if (round >= (row.samples ?? runs)) continue
      baseline.push(await nodeStart())
      for (const t of trees) {
        const m = measures.get(row)!.get(t)
        if (m) samples.get(row)!.get(t)!.push(await m.sample())
      }
    }
    log(`round ${round + 1}/${runs} done`)
  }
  for (; baseline.length < runs; ) baseline.push(await nodeStart())
} finally {
  await fx.cleanup()
}
load.push(os.loadavg()[0]!)

const noise = noiseOf(baseline)
const base = summarize(baseline)
const fmt = (ms: number) => (ms < 20 ? ms.toFixed(1) : String(Math.round(ms)))
const cell = (s: Summary | null) => (s ? `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})` : 'n/a')

const lines: string[] = []
lines.push(
  `Node ${process.version}, ${os.cpus().length} CPUs, load average ${load.map((l) => l.toFixed(2)).join(' → ')} (start → end), ` +
    `NODE_EXTRA_CA_CERTS ${process.env.NODE_EXTRA_CA_CERTS ? 'set' : 'unset'}; ${runs} runs per row unless noted; ms, median (min–max).`,
)
lines.push(`\`node -e 0\`: ${cell(base)}, ${base.n} samples through the run; noise (its max − min): ${fmt(noise)} ms.`)
lines.push('')
lines.push(`| command | goal | ${trees.map((t) => t.label).join(' | ')} | verdict | notes |`)
lines.push(`|---|---|${trees.map(() => '---|').join('')}---|---|`)
let missed = 0
for (const row of rows) {
  const per = trees.map((t) => {
    const xs = samples.get(row)!.get(t)!
    return xs.length ? summarize(xs) : null
  })
  const mine = per[per.length - 1]
  const v = mine ? verdict(mine.median, row.goalMs, noise) : 'n/a'
  if (v === 'misses') missed++
  const note = measures.get(row)!.get(here)?.note?.() ?? ''
  const n = row.samples && row.samples < runs ? ` (${row.samples} runs)` : ''
  lines.push(`| ${row.label}${n} | ≤ ${row.goalMs} | ${per.map(cell).join(' | ')} | ${v} | ${note} |`)
}
process.stdout.write(`${lines.join('\n')}\n`)
if (missed) log(`${missed} row(s) miss their goal by more than the noise (${fmt(noise)} ms)`)
process.exitCode = missed ? 1 : 0
