import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { runtimeCheck, runtimeInfo } from '../lib/runtime.ts'

test('runtimeInfo reports the package version, Node and how the code runs', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  const here = runtimeInfo()
  assert.equal(here.version, pkg.version)
  assert.equal(here.node, process.version)
  assert.equal(here.runner, 'tsx', 'the test runner loads sources through tsx')
  const bundled = runtimeInfo(new URL('../dist/cluster-manager.mjs', import.meta.url).href)
  assert.equal(bundled.runner, 'bundle')
  assert.equal(bundled.version, pkg.version, 'dist/ sits beside lib/, so package.json is found the same way')
  assert.equal(runtimeInfo('file:///nowhere/x/y.ts').version, 'unknown')
})

test('runtimeInfo reports the launcher\'s choice, and doctor\'s start-up line warns only about an unasked fallback', (t) => {
  const key = Symbol.for('threads-agent.launch')
  const global = globalThis as Record<symbol, unknown>
  t.after(() => {
    delete global[key]
  })
  global[key] = { runner: 'bundle', entry: '/p/dist/cluster-manager.mjs' }
  const bundle = runtimeInfo()
  assert.equal(bundle.runner, 'bundle')
  assert.equal(bundle.file, '/p/dist/cluster-manager.mjs')
  assert.deepEqual(runtimeCheck(bundle), { name: 'start-up', ok: true, detail: `bundle (cluster-manager.mjs), Node ${process.version}`, required: false })

  global[key] = { runner: 'tsx', reason: 'lib/a.ts changed after the bundle was built', fix: 'npm run build' }
  assert.deepEqual(runtimeCheck(runtimeInfo()), {
    name: 'start-up',
    ok: false,
    detail: `tsx, Node ${process.version}; lib/a.ts changed after the bundle was built`,
    fix: 'npm run build',
    required: false,
  })

  global[key] = { runner: 'tsx', reason: 'MULTI_CLUSTER_RUNNER=tsx' }
  assert.deepEqual(runtimeCheck(runtimeInfo()), { name: 'start-up', ok: true, detail: `tsx, Node ${process.version}; MULTI_CLUSTER_RUNNER=tsx`, required: false })

  delete global[key]
  assert.deepEqual(runtimeCheck(runtimeInfo()), { name: 'start-up', ok: true, detail: `tsx, Node ${process.version}`, required: false }, 'tsx started directly (the test runner)')
})
