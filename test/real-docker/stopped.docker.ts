// After the runner stopped the private daemon: the product says, in one line, that the Docker
// daemon is not running (doctor, the bootstrap preflight, the adapter), and the CLI's own words
// are the recorded ones. DOCKER_HOST still names the stopped daemon's socket.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Docker } from '../../lib/docker.ts'
import { makeRepo } from '../helpers/git.ts'
import { capture, docker, noRecording, skipReason, tier } from './tier.ts'
import { DEV_UP, MANAGER, productSandbox } from './product.ts'

process.env.DOCKER_HOST = tier.host
delete process.env.DOCKER_CONTEXT

test('the docker CLI with the daemon stopped', { skip: skipReason }, async (t) => {
  for (const [id, args] of [['daemon-down-info', ['info']], ['daemon-down-image-inspect', ['image', 'inspect', 'nginx', 'redis:7']]] as const) {
    const r = await docker(args)
    assert.equal(r.code, 1)
    const exchange = capture(id, ['docker', ...args], r, { host: tier.host, cli: /Version:\s+(\S+)/.exec(r.stdout)?.[1] ?? '' })
    assert.match(exchange.live.stderr, /^Cannot connect to the Docker daemon at <<host>>\. Is the docker daemon running\?$/m)
    await t.test(`${id}: as recorded`, { skip: noRecording() }, () => assert.deepEqual(exchange.live, exchange.recorded))
  }
})

test('lib/docker.ts with the daemon stopped: not running, and no image counted absent or present', { skip: skipReason }, async () => {
  const d = new Docker()
  assert.equal(await d.unreachable(), 'the Docker daemon is not running')
  await assert.rejects(d.localImages(['nginx', 'redis:7']), { message: 'the Docker daemon is not running' })
})

test('doctor and the bootstrap preflight with the daemon stopped: one line with the fix, exit 1', { skip: skipReason }, async (t) => {
  const { sb, run } = await productSandbox(t)
  const repo = await makeRepo(sb)
  const doctor = await run(MANAGER, ['doctor'], repo)
  assert.equal(doctor.code, 1, doctor.stdout + doctor.stderr)
  assert.match(doctor.stdout, /^✗ docker: the Docker daemon is not running — start Docker \(Docker Desktop, colima or dockerd\) and retry$/m)
  const up = await run(DEV_UP, [], repo)
  assert.equal(up.code, 1, up.stderr)
  const errors = up.stderr.split('\n').filter((l) => l.startsWith('✗'))
  assert.equal(errors.length, 1, up.stderr)
  assert.match(errors[0]!, /docker: the Docker daemon is not running/)
  assert.doesNotMatch(up.stderr, /\n\s+at /, 'no stack trace')
  assert.deepEqual(sb.calls('k3d').filter((c) => c.args[1] === 'create'), [], 'nothing created')
})
