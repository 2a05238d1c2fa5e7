import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { fs } from 'zx'
import { MetaFormatError, Registry, parseMeta, timestamp } from '../lib/registry.ts'
import type { ClusterMeta } from '../lib/registry.ts'
import { tempDirs } from './helpers/sandbox.ts'

const tmpDir = tempDirs('registry-')

const meta: ClusterMeta = {
  name: 'threads-agent-vitalii-se-c18b4c',
  repository: 'threads-agent',
  developer: 'Vitalii Serbyn',
  email: 'vitaliis@example.com',
  lb_port: 8142,
  api_port: 6507,
  kubeconfig: '/home/v/.kube/threads-agent/config-threads-agent-vitalii-se-c18b4c',
  created_at: '2025-07-22T10:30:00Z',
  k3d_version: 'v5.8.3',
  shared: false,
}

/** Exactly what dev-up-multi.sh's heredoc wrote. */
const OLD_FILE = `{
  "name": "threads-agent-john-d4e5f6",
  "repository": "threads-agent",
  "developer": "John Doe",
  "email": "john@example.com",
  "lb_port": 8180,
  "api_port": 6545,
  "kubeconfig": "/Users/john/.kube/threads-agent/config-threads-agent-john-d4e5f6",
  "created_at": "2025-07-22T09:15:00Z",
  "k3d_version": "",
  "shared": false
}
`

test('round trip: write then read and list, files 0600 in a 0700 directory', async () => {
  const root = await tmpDir()
  const reg = new Registry(path.join(root, 'threads-agent', 'clusters'))
  const file = await reg.write({ ...meta, extra: 'kept' })
  assert.deepEqual(await reg.read(meta.name), { ...meta, extra: 'kept' })
  assert.equal((await fs.stat(file)).mode & 0o777, 0o600)
  assert.equal((await fs.stat(reg.dir)).mode & 0o777, 0o700)
  assert.deepEqual((await reg.list()).metas.map((m) => m.name), [meta.name])
  assert.equal((await fs.readdir(reg.dir)).length, 1, 'no temporary file left')
  assert.equal(await reg.remove(meta.name), true)
  assert.equal(await reg.read(meta.name), null)
  assert.equal(await reg.remove(meta.name), false)
})

test('a file written by the old script reads as it is', async () => {
  const m = parseMeta(OLD_FILE, 'threads-agent-john-d4e5f6.json')
  assert.equal(m.name, 'threads-agent-john-d4e5f6')
  assert.equal(m.lb_port, 8180)
  assert.equal(m.shared, false)
  assert.equal(m.k3d_version, '')
})

test('list reports corrupt and wrongly shaped files without throwing, and lists the rest', async () => {
  const root = await tmpDir()
  const reg = new Registry(root)
  await reg.write(meta)
  await fs.writeFile(path.join(root, 'broken.json'), '{"name": "broken", "lb_port": ')
  await fs.writeFile(path.join(root, 'shape.json'), '[1,2]')
  await fs.writeFile(path.join(root, 'ports.json'), '{"name":"ports","lb_port":"eighty","api_port":1}')
  await fs.writeFile(path.join(root, 'evil.json'), '{"name":"../../etc","lb_port":1,"api_port":2}')
  await fs.writeFile(path.join(root, 'notes.txt'), 'ignored')
  await fs.writeFile(path.join(root, 'foo.json'), '{"name":"bar","lb_port":1,"api_port":2}')
  const { metas, problems } = await reg.list()
  assert.deepEqual(metas.map((m) => m.name), [meta.name])
  assert.deepEqual(problems.map((p) => path.basename(p.file)).sort(), ['broken.json', 'evil.json', 'foo.json', 'ports.json', 'shape.json'])
  assert.match(problems.find((p) => p.file.endsWith('broken.json'))!.reason, /not valid JSON/)
  await assert.rejects(reg.read('broken'), MetaFormatError)
})

test('a missing directory lists as empty', async () => {
  assert.deepEqual(await new Registry('/nonexistent/threads-agent').list(), { metas: [], problems: [] })
})

test('lenient on what the old heredoc could produce: string ports and "true"', () => {
  const m = parseMeta('{"lb_port":"8080","api_port":"6445","shared":"true"}', 'x.json')
  assert.deepEqual([m.name, m.lb_port, m.api_port, m.shared], ['x', 8080, 6445, true])
  assert.throws(() => parseMeta('{"lb_port":8080,"api_port":6445,"shared":"maybe"}', 'x.json'), MetaFormatError)
  assert.throws(() => parseMeta('{"lb_port":8080,"api_port":6445,"developer":3}', 'x.json'), MetaFormatError)
})

test('timestamp has the old format', () => {
  assert.equal(timestamp(new Date('2025-07-22T10:30:00.123Z')), '2025-07-22T10:30:00Z')
})
