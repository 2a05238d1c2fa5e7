// `npm test` runs the suite as a few processes instead of one per file: each test/groups/part-K.ts
// imports every K-th file of test/*.test.ts (sorted), so no file can be left out, and the tsx
// start (~0.5 s of CPU) and the library's loading are paid per part instead of per file.
// A file still runs alone, as before: node --import tsx --test test/FILE.test.ts.
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const TEST_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

/** The test files of part K of N. */
export function partFiles(k: number, n: number): string[] {
  const files = readdirSync(TEST_DIR).filter((f) => f.endsWith('.test.ts')).sort()
  return files.filter((_, i) => i % n === k).map((f) => path.join(TEST_DIR, f))
}

export async function runPart(k: number, n: number): Promise<void> {
  for (const file of partFiles(k, n)) await import(pathToFileURL(file).href)
}
