// The bootstrap's image step end to end, against the simulator (whose docker answers as the real
// daemon recorded in test/fixtures/real/ does): the configured images the daemon has, and only
// those, in one `k3d image import`; the absent ones named in one warning line. The same flow against a real
// daemon is in test/real-docker/bootstrap.docker.ts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import { fs } from 'zx'
import { REPO_ROOT, sandboxFor } from './helpers/sandbox.ts'
import { makeRepo } from './helpers/git.ts'

const DEV_UP = path.join(REPO_ROOT, 'scripts', 'dev-up-multi.ts')

test('a config listing nginx (untagged) and docker.io/library/redis:7 imports exactly the ones the daemon has', async (t) => {
  const sb = await sandboxFor(t, { inProcess: true })
  const repo = await makeRepo(sb)
  await fs.writeJson(path.join(repo, 'multi-cluster.config.json'), { images: ['nginx', 'docker.io/library/redis:7'] })
  const imports = () => sb.calls('k3d').filter((c) => c.args[0] === 'image').map((c) => c.args)
  const images = path.join(sb.state, 'images')

  await fs.writeFile(images, 'redis:7\n')
  const first = await sb.run(DEV_UP, ['--json'], { cwd: repo })
  assert.equal(first.code, 0, first.stderr)
  const name = JSON.parse(first.stdout).name as string
  // the daemon says `No such image: nginx:latest` for nginx: not a reason to count nginx present
  assert.deepEqual(imports(), [['image', 'import', 'docker.io/library/redis:7', '-c', name]])
  assert.match(first.stderr, /^⚠ 1 configured image\(s\) not found locally, not imported: nginx — /m)
  const state = JSON.parse(await fs.readFile(path.join(sb.state, 'state.json'), 'utf8'))
  assert.deepEqual(state.clusters[name].images, ['redis:7'])

  // neither: no import call at all, one warning naming both
  await fs.writeFile(images, 'busybox:1\n')
  const none = await sb.run(DEV_UP, ['--force', '--json'], { cwd: repo })
  assert.equal(none.code, 0, none.stderr)
  assert.equal(imports().length, 1)
  assert.equal((none.stderr.match(/not found locally/g) ?? []).length, 1)
  assert.match(none.stderr, /^⚠ 2 configured image\(s\) not found locally, not imported: nginx, docker.io\/library\/redis:7 — /m)

  // both (nginx under its full name): one call with both
  await fs.writeFile(images, 'docker.io/library/nginx:latest\nredis:7\n')
  const both = await sb.run(DEV_UP, ['--force', '--json'], { cwd: repo })
  assert.equal(both.code, 0, both.stderr)
  assert.deepEqual(imports()[1], ['image', 'import', 'nginx', 'docker.io/library/redis:7', '-c', name])
  assert.doesNotMatch(both.stderr, /not found locally/)
})
