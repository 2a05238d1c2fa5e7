// The rows of `npm run bench`: one per speed goal of the spec (issue 10's table). Adding a row is
// adding an object here; `requires` lets a row wait for a command that a tree does not have yet.
import net from 'node:net'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { makeRepo } from '../test/helpers/git.ts'
import { makeSandbox, must, readToolTimes, seedClusters, timingShims, TIMED_TOOLS } from './fixtures.ts'
import type { Sandbox, Tree } from './fixtures.ts'

/** What a row does for one tree: each sample() is one timed run, in milliseconds. */
export interface Measure {
  sample(): Promise<number>
  /** Extra facts for the table (tool calls, tool time), after the samples. */
  note?(): string
}

export interface Row {
  id: string
  /** The command as the table shows it. */
  label: string
  goalMs: number
  /** Samples per tree (default: --runs). */
  samples?: number
  /** Untimed set-up for TREE; null when TREE lacks what the row measures (shown as n/a). */
  prepare(tree: Tree, fx: Fixtures): Promise<Measure | null>
}

/** Sandboxes shared by the rows (and by both trees when comparing), made once on first use. */
export class Fixtures {
  private readonly made = new Map<string, Promise<Sandbox>>()
  readonly all: Sandbox[] = []

  /** A sandbox with COUNT clusters and metadata; `current` is the third one when CURRENT. */
  clusters(key: string, count: number, tree: Tree, current = false): Promise<Sandbox> {
    let sb = this.made.get(key)
    if (!sb) {
      sb = (async () => {
        const s = await makeSandbox()
        this.all.push(s)
        const names = await seedClusters(s, count)
        if (current) await must(s, tree.manager, ['switch', names[2]!])
        return s
      })()
      this.made.set(key, sb)
    }
    return sb
  }

  private readonly repos = new Map<Sandbox, Promise<string>>()
  private ports?: Promise<{ start: number; taken: Set<number>; listeners: number }>
  private readonly servers: net.Server[] = []

  /**
   * A 100-port range with 95 ports held, the same for every tree: every other one by a real
   * listener (one that cannot be bound is taken anyway), the rest by metadata/k3d records.
   */
  crowdedRange(): Promise<{ start: number; taken: Set<number>; listeners: number }> {
    this.ports ??= (async () => {
      const start = 31000
      const taken = new Set<number>()
      for (let p = start; p < start + 95; p++) {
        if (p % 2 === 0) {
          const s = net.createServer()
          const ok = await new Promise<boolean>((r) => {
            s.once('error', () => r(false))
            s.listen(p, '0.0.0.0', () => r(true))
          })
          if (ok) this.servers.push(s)
          else taken.add(p)
        } else taken.add(p)
      }
      return { start, taken, listeners: this.servers.length }
    })()
    return this.ports
  }

  /** A git repository (the default identity) inside SB, made once. */
  repo(sb: Sandbox): Promise<string> {
    let r = this.repos.get(sb)
    if (!r) this.repos.set(sb, (r = makeRepo(sb)))
    return r
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.servers.map((s) => new Promise((r) => s.close(r))))
    await Promise.all(this.all.map((s) => s.cleanup()))
  }
}

/** Simulator calls a command made, from the simulator's own call log (rows share sandboxes). */
function callCounter(sb: Sandbox): { before(): void; after(): void; note(samples: number): string } {
  let start = 0
  let total = 0
  return {
    before() {
      start = sb.calls().length
    },
    after() {
      total += sb.calls().length - start
    },
    note(samples) {
      const per = total / Math.max(samples, 1)
      return per === 0 ? 'no tool call' : `${Number.isInteger(per) ? per : per.toFixed(1)} simulator call${per === 1 ? '' : 's'}`
    },
  }
}

/** A cluster-manager or dev-up-multi run timed end to end (simulator included), exit 0 required. */
function cli(sb: Sandbox, cmd: string, args: string[], cwd?: string): Measure {
  const calls = callCounter(sb)
  let n = 0
  return {
    async sample() {
      calls.before()
      const t = performance.now()
      await must(sb, cmd, args, { cwd })
      const ms = performance.now() - t
      calls.after()
      n++
      return ms
    },
    note: () => calls.note(n),
  }
}

async function fewClusters(fx: Fixtures, tree: Tree, key = 'few') {
  return fx.clusters(key, 5, tree, true)
}

export const ROWS: Row[] = [
  {
    id: 'current',
    label: '`current`',
    goalMs: 160,
    prepare: async (tree, fx) => cli(await fewClusters(fx, tree), tree.manager, ['current']),
  },
  {
    id: 'current-json',
    label: '`current --json`',
    goalMs: 160,
    prepare: async (tree, fx) => cli(await fewClusters(fx, tree), tree.manager, ['current', '--json']),
  },
  {
    id: 'help',
    label: '`help`',
    goalMs: 150,
    prepare: async (tree, fx) => cli(await fewClusters(fx, tree), tree.manager, ['help']),
  },
  {
    id: 'version',
    label: '`--version`',
    goalMs: 150,
    // Measured once the tree has it (issue 11).
    prepare: async (tree, fx) => {
      const sb = await fewClusters(fx, tree)
      return (await sb.run(tree.manager, ['--version'])).code === 0 ? cli(sb, tree.manager, ['--version']) : null
    },
  },
  // Completion of names joins here the same way once it exists, goal 150 ms.
  {
    id: 'list',
    label: '`list`, 100 clusters',
    goalMs: 350,
    prepare: async (tree, fx) => cli(await fx.clusters('hundred', 100, tree), tree.manager, ['list']),
  },
  {
    id: 'info',
    label: '`info NAME`',
    goalMs: 300,
    prepare: async (tree, fx) => cli(await fewClusters(fx, tree), tree.manager, ['info', 'bench-001']),
  },
  {
    id: 'switch',
    label: '`switch NAME`',
    goalMs: 300,
    prepare: async (tree, fx) => cli(await fewClusters(fx, tree, 'switch'), tree.manager, ['switch', 'bench-001']),
  },
  {
    id: 'dry-run',
    label: '`dev-up-multi --dry-run --json`',
    goalMs: 400,
    prepare: async (tree, fx) => {
      const sb = await fewClusters(fx, tree)
      return cli(sb, tree.devUp, ['--dry-run', '--json'], await fx.repo(sb))
    },
  },
  {
    id: 'bootstrap',
    label: "bootstrap's own overhead (k3d, kubectl, docker, git excluded)",
    goalMs: 250,
    samples: 5,
    prepare: async (tree) => {
      const tools: Record<string, { calls: number; ms: number }> = Object.fromEntries(TIMED_TOOLS.map((t) => [t, { calls: 0, ms: 0 }]))
      let n = 0
      let wallTotal = 0
      return {
        // A fresh sandbox per sample: a real create, with every tool behind a timing shim.
        async sample() {
          const sb = await makeSandbox()
          try {
            const repo = await makeRepo(sb)
            const shims = path.join(sb.root, 'shims')
            const log = path.join(sb.root, 'tool-times')
            await timingShims(shims, log, sb.env.PATH ?? '')
            const t = performance.now()
            await must(sb, tree.devUp, [], { cwd: repo, env: { PATH: `${shims}:${sb.env.PATH}` } })
            const wall = performance.now() - t
            const times = readToolTimes(log)
            for (const tool of TIMED_TOOLS) {
              tools[tool]!.calls += times.perTool[tool].calls
              tools[tool]!.ms += times.perTool[tool].ms
            }
            n++
            wallTotal += wall
            return wall - times.totalMs
          } finally {
            await sb.cleanup()
          }
        },
        note: () =>
          `wall ${Math.round(wallTotal / n)} ms; tools per run: ` +
          TIMED_TOOLS.map((t) => `${t} ${Math.round(tools[t]!.ms / n)} ms/${Math.round(tools[t]!.calls / n)}`).join(', '),
      }
    },
  },
  {
    id: 'ports',
    label: 'port choice, 95 % of a 100-port range taken',
    goalMs: 10,
    prepare: async (tree, fx) => {
      const { choosePorts, probeHostPort } = (await import(pathToFileURL(path.join(tree.root, 'lib', 'ports.ts')).href)) as typeof import('../lib/ports.ts')
      const { start, taken, listeners } = await fx.crowdedRange()
      return {
        async sample() {
          const t = performance.now()
          await choosePorts('bench', { lb: { start, end: start + 99 }, api: { start: 32000, end: 32099 } }, taken, probeHostPort, { lb: start, api: 32000 })
          return performance.now() - t
        },
        note: () => `${listeners} real listeners, ${taken.size} ports taken by records`,
      }
    },
  },
]
