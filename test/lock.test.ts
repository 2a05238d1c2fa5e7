import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { spawn, spawnSync } from 'node:child_process'
import fs from 'fs-extra'
import { Reservations, acquireLock, clearStaleLock, lockState, processAlive, releaseLock, withLock } from '../lib/lock.ts'
import { newOwner, ownerAlive, parseProcStat, processStart } from '../lib/owner.ts'
import { OperationError } from '../lib/errors.ts'
import { Interrupted } from '../lib/cancel.ts'
import { REPO_ROOT, tempDirs } from './helpers/sandbox.ts'

const tmp = tempDirs('lock-')
/** The pid of a process that has already exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid ?? 999999
const linux = process.platform === 'linux'

/** A lock generation as another process would have published it. */
async function planted(lockDir: string, gen: number, owner: object): Promise<void> {
  const dir = path.join(lockDir, String(gen).padStart(12, '0'))
  await fs.mkdirp(dir)
  await fs.writeFile(path.join(dir, 'owner'), JSON.stringify(owner))
}

/** The generations left in LOCKDIR and whether each still names an owner. */
async function leftovers(lockDir: string): Promise<Array<{ gen: string; owner: boolean }>> {
  const gens = (await fs.readdir(lockDir)).sort()
  return Promise.all(gens.map(async (gen) => ({ gen, owner: await fs.pathExists(path.join(lockDir, gen, 'owner')) })))
}

test('withLock lets one holder in at a time and leaves no owner behind (only the emptied top number)', async () => {
  const lockDir = path.join(await tmp(), 'ports.lock')
  let inside = 0
  let most = 0
  await Promise.all(Array.from({ length: 6 }, () => withLock(lockDir, async () => {
    most = Math.max(most, ++inside)
    await new Promise((r) => setTimeout(r, 10))
    inside--
  })))
  assert.equal(most, 1)
  // The top number stays, emptied, so numbers never go down (see releaseLock); history is gone.
  assert.deepEqual(await leftovers(lockDir), [{ gen: '000000000006', owner: false }])
  assert.equal(await lockState(lockDir), null)
})

test('a lock left by a dead process is passed at once; a live holder makes us wait, then time out naming it', async () => {
  const lockDir = path.join(await tmp(), 'ports.lock')
  await planted(lockDir, 7, { ...newOwner(), pid: deadPid() })
  assert.equal(await withLock(lockDir, async () => 'ran'), 'ran')
  assert.deepEqual(await leftovers(lockDir), [{ gen: '000000000008', owner: false }], 'the dead generation is collected; ours is emptied')

  const held = await acquireLock(lockDir)
  await assert.rejects(withLock(lockDir, async () => 'never', 200), (e: unknown) => e instanceof OperationError && /timed out waiting for the port lock .*held by pid \d+/.test(e.message))
  await releaseLock(held)
  assert.equal(await withLock(lockDir, async () => 'after'), 'after')
})

test('a pid reused by an unrelated live process is not an owner (Linux: /proc start time)', { skip: !linux && 'needs /proc' }, async () => {
  const lockDir = path.join(await tmp(), 'ports.lock')
  // Our parent is alive, but it is not the process that wrote this record: the start time differs.
  const impostor = { pid: process.ppid, start: '1', token: 'x', since: new Date().toISOString() }
  assert.equal(processAlive(process.ppid), true)
  assert.equal(ownerAlive(impostor), false)
  await planted(lockDir, 3, impostor)
  // Taken for a live holder, it would be waited for and time out after 200 ms.
  assert.equal(await withLock(lockDir, async () => 'ran', 200), 'ran')

  const res = new Reservations(path.join(await tmp(), 'reservations'))
  await fs.outputFile(res.file('x'), JSON.stringify({ ...impostor, name: 'x', lb_port: 8080, api_port: 6445, created_at: '', stage: 'reserved' }))
  assert.deepEqual((await res.scan()).dead.map((r) => r.name), ['x'])
})

test('records without a start time (older files, systems without /proc) trust a live pid for an hour only', () => {
  const now = Date.now()
  const legacy = { pid: process.pid, start: null, since: new Date(now - 10 * 60_000).toISOString() }
  assert.equal(ownerAlive(legacy, now), true)
  assert.equal(ownerAlive({ ...legacy, since: new Date(now - 2 * 3600_000).toISOString() }, now), false)
  assert.equal(ownerAlive({ ...legacy, pid: deadPid() }, now), false)
})

test('/proc/PID/stat: fields are counted after the last ")", the command name may hold spaces and parentheses', () => {
  const fields = Array.from({ length: 50 }, (_, i) => String(i + 3))
  fields[0] = 'S'
  assert.deepEqual(parseProcStat(`123 (a b) (c)) ${fields.join(' ')}`), { state: 'S', start: '22' })
  assert.equal(parseProcStat('garbage'), null)
  if (linux) assert.match(processStart(process.pid) ?? '', /^\d+$/)
})

test('releasing checks the owner token: never another run\'s lock or reservation', async () => {
  const lockDir = path.join(await tmp(), 'ports.lock')
  const mine = await acquireLock(lockDir)
  // Someone else's record in our generation (it cannot happen by the protocol; removal must still check).
  await fs.writeFile(path.join(lockDir, String(mine.gen).padStart(12, '0'), 'owner'), JSON.stringify({ ...newOwner() }))
  await releaseLock(mine)
  assert.equal((await fs.readdir(lockDir)).length, 1, 'the other owner\'s generation stays')

  const res = new Reservations(path.join(await tmp(), 'reservations'))
  const ours = await res.reserve('c', { lb: 8080, api: 6445 })
  const theirs = { ...ours, token: 'theirs' }
  await fs.writeFile(res.file('c'), JSON.stringify(theirs))
  assert.equal(await res.release(ours), false)
  assert.equal((await res.read('c'))?.token, 'theirs')
  assert.equal((await res.update(ours, { stage: 'created' })).stage, 'reserved', 'nor updated')
})

test('reservations: live and dead apart; dead ones go unless they are evidence; garbage files are named', async () => {
  const res = new Reservations(path.join(await tmp(), 'reservations'))
  const mine = await res.reserve('mine', { lb: 8080, api: 6445 })
  const dead = { ...newOwner(), pid: deadPid() }
  await fs.writeFile(res.file('gone'), JSON.stringify({ ...dead, name: 'gone', lb_port: 8081, api_port: 6446, created_at: '', stage: 'reserved' }))
  await fs.writeFile(res.file('unfinished'), JSON.stringify({ ...dead, name: 'unfinished', lb_port: 8082, api_port: 6447, created_at: '', stage: 'created' }))
  await fs.writeFile(res.file('junk'), '{')
  await fs.mkdirp(res.file('adir'))
  const scan = await res.scan()
  assert.deepEqual(scan.live.map((r) => r.name), ['mine'])
  assert.deepEqual(scan.dead.map((r) => r.name).sort(), ['gone', 'unfinished'])
  assert.deepEqual(scan.unreadable.map((f) => path.basename(f)).sort(), ['adir.json', 'junk.json'])
  const { removed, kept, junk } = await res.removeDead((r) => r.name === 'unfinished')
  assert.deepEqual(removed.map((r) => r.name), ['gone'])
  assert.deepEqual(kept.map((r) => r.name), ['unfinished'])
  assert.deepEqual(junk.map((f) => path.basename(f)), ['junk.json'], 'a directory is not removed')
  assert.equal(await res.release(mine), true)
  assert.deepEqual((await res.scan()).live, [])
})

test('cleanup helper: a stale lock is removed and its owner named; a live one is left', async () => {
  const lockDir = path.join(await tmp(), 'ports.lock')
  assert.equal(await clearStaleLock(lockDir), null)
  const pid = deadPid()
  await planted(lockDir, 4, { ...newOwner(), pid })
  assert.equal((await clearStaleLock(lockDir))?.pid, pid)
  assert.equal(await lockState(lockDir), null)
  const held = await acquireLock(lockDir)
  assert.equal(await clearStaleLock(lockDir), null)
  assert.equal((await lockState(lockDir))?.alive, true)
  await releaseLock(held)
})

test('waiting for the lock stops when the run is aborted', async () => {
  const lockDir = path.join(await tmp(), 'ports.lock')
  const held = await acquireLock(lockDir)
  const stop = new AbortController()
  setTimeout(() => stop.abort(new Interrupted('SIGTERM')), 50)
  await assert.rejects(acquireLock(lockDir, { signal: stop.signal }), (e: unknown) => e instanceof Interrupted && e.exitCode === 143)
  await releaseLock(held)
})

test('a released generation cannot be published over: it is never an empty directory', async () => {
  const lockDir = path.join(await tmp(), 'ports.lock')
  const held = await acquireLock(lockDir)
  await releaseLock(held)
  // What a run with a stale view does: rename its own generation onto that number. rename(2)
  // replaces an empty directory, which let such a run take itself for the holder.
  const stale = path.join(lockDir, '.new-stale')
  await fs.mkdirp(stale)
  await fs.writeFile(path.join(stale, 'owner'), JSON.stringify(newOwner()))
  await assert.rejects(fs.rename(stale, path.join(lockDir, String(held.gen).padStart(12, '0'))), /ENOTEMPTY|EEXIST/)
  assert.equal(await lockState(lockDir), null, 'released: nobody holds it')
})

test('many processes taking over one dead owner\'s lock at once: never two holders', async () => {
  const dir = await tmp()
  const lockDir = path.join(dir, 'ports.lock')
  await planted(lockDir, 1, { ...newOwner(), pid: deadPid() })
  const counter = path.join(dir, 'counter')
  const inside = path.join(dir, 'inside')
  await fs.writeFile(counter, '0')
  await fs.mkdirp(inside)
  // Each worker, under the lock: mark itself inside, check nobody else is, bump the counter slowly.
  const worker = `
    import fs from 'node:fs'
    import { withLock } from ${JSON.stringify(path.join(REPO_ROOT, 'lib', 'lock.ts'))}
    const [lockDir, counter, inside] = process.argv.slice(2)
    for (let i = 0; i < 5; i++) {
      await withLock(lockDir, async () => {
        const me = inside + '/' + process.pid
        fs.writeFileSync(me, '')
        if (fs.readdirSync(inside).length !== 1) fs.writeFileSync(counter + '.overlap', 'two holders')
        const n = Number(fs.readFileSync(counter, 'utf8'))
        await new Promise((r) => setTimeout(r, 2))
        fs.writeFileSync(counter, String(n + 1))
        fs.rmSync(me)
      })
    }`
  const workerFile = path.join(dir, 'worker.mts')
  await fs.writeFile(workerFile, worker)
  const runs = Array.from({ length: 6 }, () => new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', workerFile, lockDir, counter, inside], { cwd: REPO_ROOT, stdio: 'inherit' })
    child.on('exit', (code) => resolve(code ?? 1))
  }))
  assert.deepEqual(await Promise.all(runs), Array(6).fill(0))
  assert.equal(await fs.pathExists(`${counter}.overlap`), false, 'two holders at once')
  assert.equal(await fs.readFile(counter, 'utf8'), '30')
  assert.equal(await lockState(lockDir), null)
})
