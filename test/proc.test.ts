// The real runner (lib/proc.ts): every argument reaches the program exactly as given, through
// /bin/sh; a missing program is 127; the working directory is the caller's.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, realpath, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { shellWord } from '../lib/invocation.ts'
import { run } from '../lib/proc.ts'

const ODD = ['', ' ', 'two words', "it's", '"double"', '$HOME', '`id`', '$(id)', 'a\\b', 'tab\there', 'new\nline', '*', '~', '-n', '!', ';', '|', '&', 'ünï', "'", "''"]

test('every argument reaches the program as one argument, exactly as given', async () => {
  const r = await run('printf', ['%s\\0', ...ODD])
  assert.equal(r.code, 0, r.stderr)
  assert.deepEqual(r.stdout.split('\0').slice(0, -1), ODD)
})

test('shellWord, the runner quoting, leaves plain words alone and single-quotes the rest, as sh reads them back', async () => {
  assert.equal(shellWord('k3d'), 'k3d')
  assert.equal(shellWord('--api-port=127.0.0.1:6550'), '--api-port=127.0.0.1:6550')
  assert.equal(shellWord('a b'), "'a b'")
  assert.equal(shellWord("it's"), `'it'\\''s'`)
  assert.equal(shellWord(''), "''")
  const r = await run('sh', ['-c', `printf '%s\\0' ${ODD.map(shellWord).join(' ')}`])
  assert.deepEqual(r.stdout.split('\0').slice(0, -1), ODD)
})

test('a program that is not on PATH is 127; one that cannot run is 126', async () => {
  assert.equal((await run('no-such-program-here', [])).code, 127)
  assert.equal((await run('/etc', [])).code, 126)
})

test('without a cwd, the program runs in the working directory of the moment', async (t) => {
  const dir = await realpath(await mkdtemp(path.join(tmpdir(), 'proc-cwd-')))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const before = process.cwd()
  process.chdir(dir)
  try {
    assert.equal((await run('pwd', [])).stdout.trim(), dir)
  } finally {
    process.chdir(before)
  }
})
