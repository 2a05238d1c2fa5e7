// `npm test` runs the suite as a few processes instead of one per file: test/groups/part-K.ts
// imports part K of N of test/*.test.ts, so no file can be left out, and the tsx start (~0.5 s of
// CPU) and the library's loading are paid per part instead of per file. The parts are balanced
// by how long each file takes (the longest first, each to the part with the least so far).
// A file still runs alone, as before: node --import tsx --test test/FILE.test.ts.
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const TEST_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

/**
 * Seconds of wall time each slow file takes alone (node --import tsx --test FILE, no coverage,
 * the 2-core machine of docs/performance.md, 2026-11-27); every other file counts 2. These only
 * balance the parts: a wrong or missing figure costs time, never a test.
 */
export const SECONDS: Readonly<Record<string, number>> = {
  'launch.test.ts': 46,
  'interrupt.test.ts': 38,
  'dev-up-multi.test.ts': 23,
  'docs.test.ts': 12,
  'chaos.test.ts': 11,
  'dev-start.test.ts': 10,
  'simulator.test.ts': 9.5,
  'terminal.test.ts': 9,
  'cluster-manager.test.ts': 9,
  'agents.test.ts': 7.5,
  'exec-shell.test.ts': 7,
  'lock.test.ts': 6.5,
  'current.test.ts': 6,
  'properties.test.ts': 6,
  'justfile.test.ts': 5,
  'odd-files.test.ts': 4.5,
}

/** The test files of part K of N, each file in exactly one part. */
export function partFiles(k: number, n: number): string[] {
  const files = readdirSync(TEST_DIR).filter((f) => f.endsWith('.test.ts')).sort()
  const weight = (f: string) => SECONDS[f] ?? 2
  const parts = Array.from({ length: n }, () => ({ files: [] as string[], seconds: 0 }))
  for (const file of [...files].sort((a, b) => weight(b) - weight(a) || a.localeCompare(b))) {
    const lightest = parts.reduce((min, p) => (p.seconds < min.seconds ? p : min))
    lightest.files.push(file)
    lightest.seconds += weight(file)
  }
  return parts[k]!.files.sort().map((f) => path.join(TEST_DIR, f))
}

export async function runPart(k: number, n: number): Promise<void> {
  for (const file of partFiles(k, n)) await import(pathToFileURL(file).href)
}
