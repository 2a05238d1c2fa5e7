// Sizes as docker reads them, and what k3d clusters need (lib/memory.ts).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { clusterEstimate, formatBytes, IDLE_AGENT_BYTES, IDLE_SERVER_BYTES, memoryProblem, parseHumanSize, parseMemory } from '../lib/memory.ts'

test('docker sizes: units in powers of 1024, optional i and b, a bare number is bytes', () => {
  const MiB = 1024 ** 2
  assert.equal(parseMemory('512m'), 512 * MiB)
  assert.equal(parseMemory('1g'), 1024 * MiB)
  assert.equal(parseMemory('1GiB'), 1024 * MiB)
  assert.equal(parseMemory('1.5g'), 1536 * MiB)
  assert.equal(parseMemory('100 MB'), 100 * MiB)
  assert.equal(parseMemory('2048'), 2048)
  for (const bad of ['1 gigabyte', 'g', '-1g', '1gg', '']) assert.equal(parseMemory(bad), null, bad)
})

test('a memory limit docker or k3d would refuse is a problem with the value named', () => {
  assert.equal(memoryProblem('512m'), null)
  assert.match(memoryProblem('lots')!, /"lots" is not a size docker understands/)
  assert.match(memoryProblem('512')!, /below docker's minimum of 6m \(a number alone is bytes: did you mean "512m"\?\)/)
  assert.match(memoryProblem('5m')!, /below docker's minimum/)
})

test('a cluster\'s size: idle k3s nodes (k3d PR #494), capped by their limits', () => {
  assert.equal(clusterEstimate(1, 2), IDLE_SERVER_BYTES + 2 * IDLE_AGENT_BYTES)
  assert.equal(clusterEstimate(1, 2, { servers: 256 * 1024 ** 2, agents: 1024 ** 3 }), 256 * 1024 ** 2 + 2 * IDLE_AGENT_BYTES)
  assert.equal(formatBytes(clusterEstimate(1, 2)), '792 MB')
  assert.equal(formatBytes(8 * 1024 ** 3), '8.0 GB')
})

test('k3d lists a node\'s limit as docker\'s HumanSize', () => {
  assert.equal(parseHumanSize('536.9MB'), 536_900_000)
  assert.equal(parseHumanSize('1.074GB'), 1_074_000_000)
  assert.equal(parseHumanSize(''), null)
  assert.equal(parseHumanSize(undefined), null)
})
