import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runSteps, StepFailed } from '../lib/bootstrap/pipeline.ts'
import type { Step } from '../lib/bootstrap/pipeline.ts'
import { decide } from '../lib/bootstrap/plan.ts'
import type { Findings } from '../lib/bootstrap/plan.ts'
import { stepsFor, missingImagesLine } from '../lib/bootstrap/steps.ts'
import { Interrupted } from '../lib/cancel.ts'
import { printable } from '../lib/output.ts'
import type { K3dCluster } from '../lib/k3d.ts'
import type { Reservation } from '../lib/lock.ts'

type Log = string[]

/** A step that logs its run and undo; FAIL makes its run throw, ONRUN runs inside it. */
function step(title: string, opts: { fail?: boolean; undo?: boolean; undoFails?: boolean; onRun?: () => void; alongside?: boolean; slow?: boolean } = {}): Step<Log> {
  return {
    title,
    alongside: opts.alongside,
    async run(log) {
      log.push(`run ${title}`)
      opts.onRun?.()
      if (opts.slow) {
        await new Promise((resolve) => setImmediate(resolve))
        log.push(`end ${title}`)
      }
      if (opts.fail) throw new Error(`${title} broke`)
    },
    undo:
      opts.undo === false
        ? undefined
        : async (log) => {
            log.push(`undo ${title}`)
            if (opts.undoFails) throw new Error(`undo ${title} broke`)
          },
  }
}

const never = new AbortController().signal

test('all steps run in order; nothing is undone when they all succeed', async () => {
  const log: Log = []
  await runSteps([step('a'), step('b'), step('c')], log, never)
  assert.deepEqual(log, ['run a', 'run b', 'run c'])
})

test('a failure undoes the finished steps newest first, never the failed one, and names the step', async () => {
  const log: Log = []
  let said = 0
  const err = await runSteps([step('a'), step('b', { undo: false }), step('c'), step('d', { fail: true }), step('e')], log, never, () => said++).catch((e: unknown) => e)
  assert.ok(err instanceof StepFailed)
  assert.equal(err.step, 'd')
  assert.match(String((err.reason as Error).message), /d broke/)
  assert.deepEqual(log, ['run a', 'run b', 'run c', 'run d', 'undo c', 'undo a'])
  assert.deepEqual(err.unwound, { undone: ['c', 'a'], failed: [] })
  assert.equal(said, 1)
})

test('every undo runs exactly once, even when one of them fails', async () => {
  const log: Log = []
  const err = await runSteps([step('a'), step('b', { undoFails: true }), step('c'), step('d', { fail: true })], log, never).catch((e: unknown) => e)
  assert.ok(err instanceof StepFailed)
  assert.deepEqual(log.filter((l) => l.startsWith('undo')), ['undo c', 'undo b', 'undo a'])
  assert.deepEqual(err.unwound.undone, ['c', 'a'])
  assert.deepEqual(err.unwound.failed.map((f) => f.title), ['b'])
})

test('an abort between steps stops before the next one and unwinds; the reason is the signal\'s', async () => {
  const stop = new AbortController()
  const log: Log = []
  const err = await runSteps([step('a'), step('b', { onRun: () => stop.abort(new Interrupted('SIGINT')) }), step('c')], log, stop.signal).catch((e: unknown) => e)
  assert.ok(err instanceof StepFailed)
  assert.ok(err.reason instanceof Interrupted)
  assert.equal(err.reason.exitCode, 130)
  assert.equal(err.step, 'c', 'stopped before c ran')
  assert.deepEqual(err.begun, ['a', 'b'])
  assert.deepEqual(log, ['run a', 'run b', 'undo b', 'undo a'])
})

test('an alongside step starts with the one before it; the next step waits for both', async () => {
  const log: Log = []
  await runSteps([step('a'), step('b', { slow: true }), step('c', { alongside: true, slow: true }), step('d')], log, never)
  assert.deepEqual(log, ['run a', 'run b', 'run c', 'end b', 'end c', 'run d'])
})

test('alongside steps: one fails, the other still finishes and is undone; the failed one is named', async () => {
  const log: Log = []
  const err = await runSteps([step('a'), step('b', { slow: true, fail: true }), step('c', { alongside: true, slow: true }), step('d')], log, never).catch((e: unknown) => e)
  assert.ok(err instanceof StepFailed)
  assert.equal(err.step, 'b')
  assert.deepEqual(err.begun, ['a', 'b', 'c'])
  assert.deepEqual(log, ['run a', 'run b', 'run c', 'end b', 'end c', 'undo c', 'undo a'])
  // both fail: the first of them in the list is named
  const both = await runSteps([step('b', { slow: true }), step('c', { alongside: true, fail: true }), step('e', { alongside: true, slow: true, fail: true })], [], never).catch((e: unknown) => e)
  assert.ok(both instanceof StepFailed)
  assert.equal(both.step, 'c')
  assert.deepEqual(both.unwound.undone, ['b'])
})

test('nothing to undo: the unwind says nothing', async () => {
  let said = 0
  await assert.rejects(runSteps([step('a', { fail: true })], [], never, () => said++), StepFailed)
  assert.equal(said, 0)
})

const cluster = { name: 'c', running: true, lbPort: 8080, apiPort: 6445, hostPorts: [8080, 6445] } as K3dCluster
const reservation = (stage: Reservation['stage']) => ({ name: 'c', pid: 1, stage }) as Reservation
const f = (over: Partial<Findings>): Findings => ({ force: false, cluster: null, reservation: null, reservationAlive: false, ...over })

test('decide: busy, reuse, finish, create, recreate (forced or half-made)', () => {
  assert.deepEqual(decide(f({ reservation: reservation('reserved'), reservationAlive: true })), { kind: 'busy', holder: reservation('reserved') })
  assert.deepEqual(decide(f({ cluster })), { kind: 'reuse', cluster, finish: null })
  assert.deepEqual(decide(f({ cluster, reservation: reservation('created') })), { kind: 'reuse', cluster, finish: reservation('created') })
  assert.deepEqual(decide(f({ cluster, reservation: reservation('reserved') })), { kind: 'recreate', cluster, why: 'half-made', stale: reservation('reserved') })
  assert.deepEqual(decide(f({ cluster, force: true })), { kind: 'recreate', cluster, why: 'force', stale: null })
  assert.deepEqual(decide(f({})), { kind: 'create', stale: null })
  assert.deepEqual(decide(f({ reservation: reservation('created') })), { kind: 'create', stale: reservation('created') }, 'no cluster: the reservation is only stale')
})

test('each plan\'s steps in the old script\'s order', () => {
  const titles = (plan: Parameters<typeof stepsFor>[0], tagGiven = false, shared = true) => stepsFor(plan, { tagGiven }, shared).map((s) => s.title)
  const ports = { lbPort: 8080, apiPort: 6445, preferredLb: 8080, preferredApi: 6445 }
  const made = ['kubeconfig', 'readiness wait', 'node labels', 'cluster-info configmap', 'image import', 'metadata']
  // the shared registry first (a no-op for a project without one): the cluster is created using
  // it, and an old cluster is not deleted for a registry that cannot be had
  assert.deepEqual(titles({ kind: 'create', ports }), ['shared registry', 'k3d cluster create', ...made])
  assert.deepEqual(titles({ kind: 'recreate', cluster, ports, why: 'force' }), ['shared registry', 'k3d cluster delete', 'k3d cluster create', ...made])
  // a cluster that exists: whether it was made with the registry decides push or import
  const images = ['shared registry', 'image import']
  assert.deepEqual(titles({ kind: 'reuse', cluster, finish: reservation('created') }), ['k3d cluster start', ...made.slice(0, 4), ...images, 'metadata'])
  assert.deepEqual(titles({ kind: 'reuse', cluster, finish: null }), ['k3d cluster start', 'kubeconfig', 'metadata'])
  assert.deepEqual(titles({ kind: 'reuse', cluster, finish: null }, true), ['k3d cluster start', 'kubeconfig', ...images, 'metadata'])
  // a project without a registry has no registry step (an interruption names the step it came before)
  assert.deepEqual(titles({ kind: 'create', ports }, false, false), ['k3d cluster create', ...made])
  assert.deepEqual(titles({ kind: 'recreate', cluster, ports, why: 'force' }, false, false), ['k3d cluster delete', 'k3d cluster create', ...made])
  assert.deepEqual(titles({ kind: 'reuse', cluster, finish: null }, true, false), ['k3d cluster start', 'kubeconfig', 'image import', 'metadata'])
  // The configmap runs alongside the labels (both need only a ready cluster); nothing else does.
  assert.deepEqual(stepsFor({ kind: 'create', ports }, { tagGiven: false }).filter((s) => s.alongside).map((s) => s.title), ['cluster-info configmap'])
  // Only steps that change something outside the cluster they make have an undo.
  assert.deepEqual(stepsFor({ kind: 'create', ports }, { tagGiven: false }).filter((s) => s.undo).map((s) => s.title), ['k3d cluster create', 'kubeconfig', 'metadata'])
})

test('terminal control characters are shown escaped; the missing-images line names every image and both fixes', () => {
  assert.equal(printable('Eve\u001b[2J\u001b]0;pwned\u0007 <e@x>'), 'Eve\\x1b[2J\\x1b]0;pwned\\x07 <e@x>')
  assert.equal(printable('José Ñ'), 'José Ñ')
  const line = missingImagesLine(['a:v1', 'b:v1'])
  assert.match(line, /^2 configured image\(s\) not found locally, not imported: a:v1, b:v1 — build them .*--tag.*"images" in multi-cluster\.config\.json$/)
})
