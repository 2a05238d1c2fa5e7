// A small seeded subset of the adversarial suite (`npm run test:chaos` runs every attack at 50
// random moments): inside `npm test`, the two attacks that leave something for someone else, a
// SIGKILL (the next run must finish or redo the half-made cluster) and a concurrent delete, one
// attacked run each, each followed by an ordinary run, every invariant checked. Every attack at
// a fixed moment: test/interrupt.test.ts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runChaos, table } from './chaos/harness.ts'

test('chaos subset (seed 8): a SIGKILL and a concurrent delete at a random moment leave no false state', async () => {
  const { rows, violations } = await runChaos({ seed: 8, runs: 1, rounds: 0, concurrency: 2, only: new Set(['SIGKILL', 'delete']) })
  assert.equal(rows.length, 2)
  assert.deepEqual(violations, [], table(rows))
})
