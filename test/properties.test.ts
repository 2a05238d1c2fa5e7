// Property tests (fast-check): what must hold for every input, not only for the examples the
// other tests pick. In process, no simulator: names, port choice, label values, the export line
// and the parsing of k3d's list. A failure prints the smallest input that breaks the property.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fc from 'fast-check'
import { clusterName, k3dNameProblem, legacyClusterName, repoSlug, userSlug } from '../lib/names.ts'
import { md5Prefix } from '../lib/hash.ts'
import { choosePorts, rangeSize } from '../lib/ports.ts'
import type { PortRange } from '../lib/ports.ts'
import { labelValue } from '../lib/kubectl.ts'
import { exportLine } from '../lib/kubeconfig.ts'
import { parseClusterList } from '../lib/k3d.ts'

const RUNS = { numRuns: 300 }

/** Raw repository names and git user names, with the characters people really put there. */
const rawText = fc.string({ unit: fc.constantFrom(...'abcXYZ019-_. /@éÆ漢\t'.split('')), maxLength: 80 })
const identity = fc.record({ repo: rawText, user: rawText, email: fc.emailAddress(), shared: fc.boolean() })
const parts = ({ repo, user, email, shared }: { repo: string; user: string; email: string; shared: boolean }) => ({
  repository: repoSlug(repo),
  user: userSlug(user),
  emailHash: md5Prefix(email),
  shared,
})

test('every identity gets a name k3d accepts, the same one every time, ending in its email hash', () => {
  fc.assert(
    fc.property(identity, (id) => {
      const p = parts(id)
      const name = clusterName(p)
      assert.equal(k3dNameProblem(name), null, name)
      assert.equal(clusterName(parts(id)), name)
      if (!p.shared) assert.ok(name.endsWith(`-${p.emailHash}`), `${name} lost the hash ${p.emailHash}`)
    }),
    RUNS,
  )
})

test('a name the old script made that k3d accepts is kept byte for byte', () => {
  fc.assert(
    fc.property(identity, (id) => {
      const legacy = legacyClusterName(parts(id))
      fc.pre(k3dNameProblem(legacy) === null)
      assert.equal(clusterName(parts(id)), legacy)
    }),
    RUNS,
  )
})

/** A range and a set of ports taken inside (and around) it, with at least two left free. */
const rangeAndTaken = fc
  .record({ start: fc.integer({ min: 1024, max: 60000 }), size: fc.integer({ min: 2, max: 120 }) })
  .chain(({ start, size }) => {
    const range: PortRange = { start, end: start + size - 1 }
    return fc.record({
      range: fc.constant(range),
      taken: fc.uniqueArray(fc.integer({ min: start - 5, max: range.end + 5 }), { maxLength: size - 2 }),
      busy: fc.uniqueArray(fc.integer({ min: start, max: range.end }), { maxLength: size }),
      name: fc.stringMatching(/^[a-z][a-z0-9-]{0,30}$/),
    })
  })

test('port choice: both ports in range, never taken or busy, LB and API different (ranges may overlap)', async () => {
  await fc.assert(
    fc.asyncProperty(rangeAndTaken, async ({ range, taken, busy, name }) => {
      const takenSet = new Set(taken)
      const busySet = new Set(busy)
      const inRange = (p: number) => p >= range.start && p <= range.end && !takenSet.has(p)
      const free = Array.from({ length: rangeSize(range) }, (_, i) => range.start + i).filter((p) => inRange(p) && !busySet.has(p))
      const choice = choosePorts(name, { lb: range, api: range }, takenSet, async (p) => !busySet.has(p))
      if (free.length < 2) {
        await assert.rejects(choice, /no free (load balancer|API) port left/)
        return
      }
      const { lbPort, apiPort } = await choice
      for (const p of [lbPort, apiPort]) {
        assert.ok(inRange(p), `${p} outside ${range.start}-${range.end} or taken`)
        assert.ok(!busySet.has(p), `${p} is busy`)
      }
      assert.notEqual(lbPort, apiPort)
    }),
    RUNS,
  )
})

test('label values are what Kubernetes accepts: at most 63, alphanumeric at both ends', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (raw) => {
      const v = labelValue(raw)
      assert.ok(v.length <= 63, v)
      assert.match(v, /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/)
    }),
    { numRuns: 1000 },
  )
})

test('the export line, evaluated by sh, gives back the path exactly', () => {
  // One sh for all samples: each line is eval'ed and the value printed NUL-terminated.
  const paths = fc.sample(fc.string({ unit: fc.constantFrom(...'a/ .-_"\'$`\\!*?;&|()<>{}~#%é\n'.split('')), minLength: 1, maxLength: 40 }), 200)
  const script = paths.map((p) => `${exportLine(p)}; printf '%s\\0' "$KUBECONFIG"`).join('\n')
  const printed = execFileSync('sh', ['-c', script], { encoding: 'utf8' }).split('\0').slice(0, -1)
  assert.deepEqual(printed, paths)
})

/** JSON values of any shape, and list elements shaped almost like k3d's. */
const anyJson = fc.jsonValue({ maxDepth: 4 })
const oddNode = fc.oneof(
  anyJson,
  fc.record(
    { role: fc.oneof(fc.constantFrom('server', 'agent', 'loadbalancer'), anyJson), State: anyJson, portMappings: fc.oneof(anyJson, fc.dictionary(fc.constantFrom('80/tcp', '6443/tcp'), anyJson)), serverOpts: fc.oneof(anyJson, fc.record({ kubeAPI: fc.oneof(anyJson, fc.record({ Binding: anyJson })) })) },
    { requiredKeys: [] },
  ),
)
const oddCluster = fc.oneof(
  anyJson,
  fc.record({ name: fc.oneof(fc.string(), anyJson), nodes: fc.oneof(anyJson, fc.array(oddNode, { maxLength: 4 })), serversRunning: anyJson, serversCount: anyJson }, { requiredKeys: [] }),
)

test('parseClusterList never throws a TypeError on odd JSON: an array of anything reads as clusters', () => {
  assert.deepEqual(parseClusterList('[{"name":"","nodes":{}}]'), []) // threw "nodes.find is not a function"
  fc.assert(
    fc.property(fc.array(oddCluster, { maxLength: 5 }), (list) => {
      for (const c of parseClusterList(JSON.stringify(list))) {
        assert.equal(typeof c.name, 'string')
        assert.ok(c.hostPorts.every((p) => Number.isInteger(p) && p > 0))
      }
    }),
    { numRuns: 1000 },
  )
})
