// lib/docker.ts given the real daemon's recorded answers (test/fixtures/real/docker-20.10.json):
// a fake runner replays them, as ctlptl's FakeCmdRunner does, and records the argv it received.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Docker } from '../lib/docker.ts'
import { OperationError } from '../lib/errors.ts'
import type { Runner } from '../lib/proc.ts'
import { docker20, fill } from './fixtures/real/recorded.ts'
import type { Exchange } from './fixtures/real/recorded.ts'

const HEX = 'c04b36f6dcac5244ba9719014ce45fdf22000e9c3f354f4ef4681bc804b48b51'
const VALUES = { id: HEX, image: `sha256:${HEX}`, imageid: HEX.slice(0, 12), registry: 'localhost:41234', digest: `sha256:${'e'.repeat(64)}`, host: 'unix:///var/run/docker.sock', cli: '28.2.2' }

/** A runner that answers one recorded exchange (placeholders filled) and keeps the argv it got. */
function replay(exchange: Exchange): { runner: Runner; argv: string[][] } {
  const argv: string[][] = []
  const runner: Runner = async (cmd, args) => {
    argv.push([cmd, ...args])
    return { code: exchange.exit, stdout: fill(exchange.stdout, VALUES), stderr: fill(exchange.stderr, VALUES) }
  }
  return { runner, argv }
}

const recordedRefs = (exchange: Exchange) => exchange.command.slice(3).map((a) => fill(a, VALUES))

test('presence from the recorded inspect of every reference form: one call, what the daemon lists', async () => {
  const exchange = docker20.captures['image-inspect-mixed']!
  const refs = recordedRefs(exchange)
  const { runner, argv } = replay(exchange)
  const { present, absent } = await new Docker(runner).localImages(refs)
  assert.deepEqual(argv, [['docker', 'image', 'inspect', ...refs]])
  assert.deepEqual(present, ['nginx', 'nginx:latest', 'docker.io/library/nginx', 'library/nginx:latest', 'docker.io/nginx', 'index.docker.io/library/nginx:latest',
    'redis:7', 'docker.io/library/redis:7', 'docker.io/redis:7', 'bitnami/postgresql:16', 'docker.io/bitnami/postgresql:16', 'localhost:5000/team/app:2', VALUES.imageid])
  // absent although stderr never names them as written (`nginx:1.27`, `redis:latest`, ...): the bug this fixes
  assert.deepEqual(absent, ['docker.io/library/nginx:1.27', 'redis', 'library/redis:6', 'bitnami/postgresql', 'localhost:5000/team/app', 'localhost:5001/team/app:2',
    `nginx@sha256:${HEX}`, 'Nginx'])
})

test('presence by repo digest, from the recorded inspect of a pushed image', async () => {
  const exchange = docker20.captures['image-inspect-digests']!
  const refs = recordedRefs(exchange)
  const { present, absent } = await new Docker(replay(exchange).runner).localImages(refs)
  assert.deepEqual(present, [`localhost:41234/team/app@${VALUES.digest}`, `localhost:41234/team/app:3@${VALUES.digest}`])
  assert.deepEqual(absent, [`localhost:41234/team/app@sha256:${HEX}`, `localhost:41234/team/other@${VALUES.digest}`])
})

test('nothing present, no image asked, and no docker at all', async () => {
  const none = docker20.captures['image-inspect-none']!
  assert.deepEqual(await new Docker(replay(none).runner).localImages(recordedRefs(none)), { present: [], absent: ['ghost', 'ghost/image:1'], listed: [] })
  const { runner, argv } = replay(none)
  assert.deepEqual(await new Docker(runner).localImages([]), { present: [], absent: [], listed: [] })
  assert.deepEqual(argv, [], 'no call for no images')
  const missing: Runner = async () => ({ code: 127, stdout: '', stderr: 'docker: not found' })
  await assert.rejects(new Docker(missing).localImages(['nginx']), (e) => e instanceof OperationError && /docker is not installed/.test(e.message))
})

test('the daemon down is an error, never a list of absent images', async () => {
  const down = docker20.captures['daemon-down-image-inspect']!
  await assert.rejects(new Docker(replay(down).runner).localImages(['nginx', 'redis:7']), (e) => e instanceof OperationError && e.message === 'the Docker daemon is not running' && /start Docker/.test(e.hint ?? ''))
  assert.equal(await new Docker(replay(docker20.captures['daemon-down-info']!).runner).unreachable(), 'the Docker daemon is not running')
  // any other failure is reported with docker's own line
  const denied: Runner = async () => ({ code: 1, stdout: '[]\n', stderr: 'permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock\n' })
  await assert.rejects(new Docker(denied).localImages(['nginx']), { message: 'docker image inspect failed: permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock' })
  const garbled: Runner = async () => ({ code: 0, stdout: 'not json', stderr: '' })
  await assert.rejects(new Docker(garbled).localImages(['nginx']), { message: 'docker image inspect printed something that is not JSON' })
  const object: Runner = async () => ({ code: 0, stdout: '{}', stderr: '' })
  await assert.rejects(new Docker(object).localImages(['nginx']), { message: 'docker image inspect did not print a JSON array' })
})
