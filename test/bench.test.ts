// The benchmark's arithmetic (bench/stats.ts): what decides `npm run bench`'s exit code.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { noiseOf, summarize, unionLength, verdict } from '../bench/stats.ts'

test('summarize: median of odd and even counts, min, max', () => {
  assert.deepEqual(summarize([5, 1, 3]), { median: 3, min: 1, max: 5, n: 3 })
  assert.deepEqual(summarize([4, 1, 3, 2]), { median: 2.5, min: 1, max: 4, n: 4 })
  assert.throws(() => summarize([]), /no samples/)
})

test('a row misses its goal only beyond the noise of node -e 0', () => {
  const noise = noiseOf([40, 44, 52, 41])
  assert.equal(noise, 12)
  assert.equal(verdict(150, 160, noise), 'meets')
  assert.equal(verdict(160, 160, noise), 'meets')
  assert.equal(verdict(171, 160, noise), 'within noise')
  assert.equal(verdict(172.5, 160, noise), 'misses')
})

test('unionLength counts parallel tool calls once', () => {
  assert.equal(unionLength([]), 0)
  assert.equal(unionLength([[0, 10], [20, 25]]), 15)
  assert.equal(unionLength([[0, 10], [5, 15], [14, 16], [30, 31]]), 17)
  assert.equal(unionLength([[10, 20], [0, 30]]), 30, 'a call inside another')
  assert.equal(unionLength([[5, 5], [7, 6]]), 0, 'empty and reversed intervals add nothing')
})
