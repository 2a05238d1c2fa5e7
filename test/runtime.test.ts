import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { runtimeInfo } from '../lib/runtime.ts'

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
