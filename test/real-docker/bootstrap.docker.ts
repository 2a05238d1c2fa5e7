// doctor and dev-up-multi with a real daemon up: the preflight passes, and the configured images
// are imported exactly as far as the daemon has them (k3d and kubectl: the simulator).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { fs } from 'zx'
import { makeRepo } from '../helpers/git.ts'
import { docker, skipReason, tier } from './tier.ts'
import { DEV_UP, MANAGER, productSandbox } from './product.ts'

test('doctor with the daemon up: docker is reachable', { skip: skipReason }, async (t) => {
  const { sb, run } = await productSandbox(t)
  const repo = await makeRepo(sb)
  const r = await run(MANAGER, ['doctor'], repo)
  assert.match(r.stdout, /^✓ docker: daemon reachable$/m, r.stdout + r.stderr)
  assert.equal(r.code, 0, r.stdout + r.stderr)
})

test('a config listing nginx (untagged) and docker.io/library/redis:7 imports exactly the ones the daemon has', { skip: skipReason }, async (t) => {
  const { sb, run } = await productSandbox(t)
  const repo = await makeRepo(sb)
  await fs.writeJson(path.join(repo, 'multi-cluster.config.json'), { images: ['nginx', 'docker.io/library/redis:7'] })
  assert.equal((await docker(['tag', tier.image, 'redis:7'])).code, 0)
  await docker(['image', 'rm', 'nginx:latest']) // absent, whether or not another file tagged it
  const imports = () => sb.calls('k3d').filter((c) => c.args[0] === 'image').map((c) => c.args)

  const first = await run(DEV_UP, ['--json'], repo)
  assert.equal(first.code, 0, first.stderr)
  const name = JSON.parse(first.stdout).name as string
  assert.deepEqual(imports(), [['image', 'import', 'docker.io/library/redis:7', '-c', name]])
  assert.match(first.stderr, /1 configured image\(s\) not found locally, not imported: nginx — /)
  assert.doesNotMatch(first.stderr, /redis:7 not found/)

  // the daemon gets nginx:latest: the recreated cluster imports both, in one call
  assert.equal((await docker(['tag', tier.image, 'nginx:latest'])).code, 0)
  const again = await run(DEV_UP, ['--force', '--json'], repo)
  assert.equal(again.code, 0, again.stderr)
  assert.deepEqual(imports()[1], ['image', 'import', 'nginx', 'docker.io/library/redis:7', '-c', name])
  assert.doesNotMatch(again.stderr, /not found locally/)
})
