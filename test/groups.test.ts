// npm test runs test/groups/part-*.ts (test/helpers/group.ts): every test file in exactly one part.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { partFiles, SECONDS } from './helpers/group.ts'
import { REPO_ROOT } from './helpers/sandbox.ts'

test('the parts run every test file exactly once, and each part says its number and the count', () => {
  const dir = path.join(REPO_ROOT, 'test', 'groups')
  const parts = readdirSync(dir).filter((f) => f.endsWith('.ts')).sort()
  assert.ok(parts.length > 1)
  parts.forEach((f, k) => {
    assert.equal(f, `part-${k}.ts`)
    assert.match(readFileSync(path.join(dir, f), 'utf8'), new RegExp(`\\nawait runPart\\(${k}, ${parts.length}\\)\\n`), f)
  })
  const all = readdirSync(path.join(REPO_ROOT, 'test')).filter((f) => f.endsWith('.test.ts')).map((f) => path.join(REPO_ROOT, 'test', f)).sort()
  const ran = parts.flatMap((_, k) => partFiles(k, parts.length)).sort()
  assert.deepEqual(ran, all)
  assert.ok(all.includes(path.join(REPO_ROOT, 'test', 'groups.test.ts')), 'this file too')
  for (const name of Object.keys(SECONDS)) assert.ok(all.includes(path.join(REPO_ROOT, 'test', name)), `SECONDS names ${name}, which is no test file`)
})
