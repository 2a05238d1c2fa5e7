// A small seeded subset of the adversarial suite (`npm run test:chaos` runs it in full):
// one attacked run per attack, each followed by an ordinary run, every invariant checked.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runChaos, table } from './chaos/harness.ts'

test('chaos subset (seed 8): SIGINT, SIGTERM, SIGHUP, SIGKILL, a closed stdout and a concurrent delete leave no false state', async () => {
  const { rows, violations } = await runChaos({ seed: 8, runs: 1, rounds: 0, concurrency: 2 })
  assert.equal(rows.length, 6)
  assert.deepEqual(violations, [], table(rows))
})
