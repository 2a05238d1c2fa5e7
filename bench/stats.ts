// The arithmetic of the benchmark: summaries, the run's noise, verdicts, tool-time overlap.
// Pure, so test/bench.test.ts checks it without running anything.

export interface Summary {
  median: number
  min: number
  max: number
  n: number
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('no samples')
  const xs = [...samples].sort((a, b) => a - b)
  const mid = Math.floor(xs.length / 2)
  const median = xs.length % 2 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2
  return { median, min: xs[0]!, max: xs[xs.length - 1]!, n: xs.length }
}

/**
 * How much this run's machine moved a measurement that does nothing: the spread (max − min) of
 * `node -e 0`, sampled between the rows all through the run. A row misses its goal only when its
 * median exceeds goal + noise: on a quiet machine the spread is a few ms and the goals hold
 * almost exactly; on a busy one every process is slowed by about that much, ours included.
 */
export function noiseOf(baseline: readonly number[]): number {
  const s = summarize(baseline)
  return s.max - s.min
}

export type Verdict = 'meets' | 'within noise' | 'misses'

export function verdict(median: number, goal: number, noise: number): Verdict {
  if (median <= goal) return 'meets'
  return median <= goal + noise ? 'within noise' : 'misses'
}

/** Total length covered by [start, end] intervals, overlaps counted once (parallel tool calls). */
export function unionLength(intervals: ReadonlyArray<readonly [number, number]>): number {
  const sorted = [...intervals].filter(([s, e]) => e > s).sort((a, b) => a[0] - b[0])
  let total = 0
  let curStart = -Infinity
  let curEnd = -Infinity
  for (const [s, e] of sorted) {
    if (s > curEnd) {
      if (curEnd > curStart) total += curEnd - curStart
      curStart = s
      curEnd = e
    } else if (e > curEnd) curEnd = e
  }
  if (curEnd > curStart) total += curEnd - curStart
  return total
}
