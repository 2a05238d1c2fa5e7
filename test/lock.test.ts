import { test } from 'node:test'
import assert from 'node:assert/strict'
import os from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import fs from 'fs-extra'
import { Reservations, processAlive, withLock } from '../lib/lock.ts'
import { OperationError } from '../lib/errors.ts'

const tmp = () => fs.mkdtemp(path.join(os.tmpdir(), 'lock-'))
/** The pid of a process that has already exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!

test('withLock lets one holder in at a time and removes the lock after', async () => {
  const lockDir = path.join(await tmp(), 'ports.lock')
  let inside = 0
  let most = 0
  await Promise.all(Array.from({ length: 6 }, () => withLock(lockDir, async () => {
    most = Math.max(most, ++inside)
    await new Promise((r) => setTimeout(r, 10))
    inside--
  })))
  assert.equal(most, 1)
  assert.equal(await fs.pathExists(lockDir), false)
})

test('a lock left by a dead process is taken over; a live holder makes us wait, then time out', async () => {
  const dir = await tmp()
  const lockDir = path.join(dir, 'ports.lock')
  await fs.mkdir(lockDir)
  await fs.writeFile(path.join(lockDir, 'pid'), String(deadPid()))
  assert.equal(await withLock(lockDir, async () => 'ran'), 'ran')
  assert.deepEqual(await fs.readdir(dir), [], 'the stale lock is gone too')

  await fs.mkdir(lockDir)
  await fs.writeFile(path.join(lockDir, 'pid'), String(process.ppid)) // alive, and not us
  await assert.rejects(withLock(lockDir, async () => 'never', 200), (e: unknown) => e instanceof OperationError && /timed out waiting for the port lock/.test(e.message))
})

test('reservations of dead processes do not count and are pruned', async () => {
  const res = new Reservations(path.join(await tmp(), 'reservations'))
  await res.reserve('mine', 8080, 6445)
  await fs.writeFile(path.join(res.dir, 'gone.json'), JSON.stringify({ name: 'gone', pid: deadPid(), lb_port: 8081, api_port: 6446, created_at: '' }))
  await fs.writeFile(path.join(res.dir, 'junk.json'), '{')
  assert.deepEqual(await res.prune(), ['gone', 'junk'])
  assert.deepEqual((await res.live()).map((r) => [r.name, r.lb_port]), [['mine', 8080]])
  await res.release('mine')
  assert.deepEqual(await res.live(), [])
  assert.equal(processAlive(process.pid), true)
  assert.equal(processAlive(0), false)
})
