// lib/docker.ts against a real daemon: which configured images exist locally, for every form of
// reference docker accepts, present and absent, decided in one `docker image inspect` call.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Docker } from '../../lib/docker.ts'
import { run } from '../../lib/proc.ts'
import type { Runner, RunResult } from '../../lib/proc.ts'
import { capture, docker, noRecording, skipReason, tier } from './tier.ts'

process.env.DOCKER_HOST = tier.host
delete process.env.DOCKER_CONTEXT

/** The real runner, remembering each call and its answer. */
function recordingRunner(): { runner: Runner; calls: Array<{ args: readonly string[]; result: RunResult }> } {
  const calls: Array<{ args: readonly string[]; result: RunResult }> = []
  const runner: Runner = async (cmd, args, opts) => {
    const result = await run(cmd, args, opts)
    calls.push({ args: [cmd, ...args], result })
    return result
  }
  return { runner, calls }
}

async function ok(args: string[]): Promise<string> {
  const r = await docker(args)
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`)
  return r.stdout.trim()
}

const ZERO_DIGEST = `sha256:${'0'.repeat(64)}`
/** Id, RepoTags and RepoDigests of each image `docker image inspect` listed: what presence is read from. */
const tagsOnly = (stdout: string) =>
  JSON.stringify((JSON.parse(stdout) as Array<{ Id: string; RepoTags: string[]; RepoDigests: string[] }>).map((i) => ({ Id: i.Id, RepoTags: i.RepoTags, RepoDigests: i.RepoDigests })), null, 1) + '\n'

test('image presence: every reference form, present and absent, in one docker image inspect', { skip: skipReason }, async (t) => {
  for (const name of ['nginx:latest', 'redis:7', 'bitnami/postgresql:16', 'localhost:5000/team/app:2']) await ok(['tag', tier.image, name])
  const image = await ok(['image', 'inspect', '--format', '{{.Id}}', tier.image])
  const id = image.replace(/^sha256:/, '')
  const cases: Array<[string, boolean]> = [
    ['nginx', true], // untagged: :latest implied
    ['nginx:latest', true],
    ['docker.io/library/nginx', true],
    ['library/nginx:latest', true],
    ['docker.io/nginx', true],
    ['index.docker.io/library/nginx:latest', true],
    ['docker.io/library/nginx:1.27', false], // the tag differs
    ['redis', false], // only redis:7 is here
    ['redis:7', true],
    ['docker.io/library/redis:7', true],
    ['docker.io/redis:7', true],
    ['library/redis:6', false],
    ['bitnami/postgresql:16', true],
    ['docker.io/bitnami/postgresql:16', true],
    ['bitnami/postgresql', false],
    ['localhost:5000/team/app:2', true], // a registry host with a port, not a tag
    ['localhost:5000/team/app', false],
    ['localhost:5001/team/app:2', false],
    [id.slice(0, 12), true], // an image ID prefix
    [`nginx@${ZERO_DIGEST}`, false],
    ['Nginx', false], // not a valid reference: absent, not an error
  ]
  const { runner, calls } = recordingRunner()
  const refs = cases.map(([r]) => r)
  const { present, absent } = await new Docker(runner).localImages(refs)
  assert.equal(calls.length, 1, 'one docker call for all images')
  assert.deepEqual(calls[0]!.args.slice(0, 3), ['docker', 'image', 'inspect'])
  assert.deepEqual(present, cases.filter(([, p]) => p).map(([r]) => r))
  assert.deepEqual(absent, cases.filter(([, p]) => !p).map(([r]) => r))

  const exchange = capture('image-inspect-mixed', calls[0]!.args, calls[0]!.result, { image, imageid: id.slice(0, 12) }, tagsOnly)
  assert.equal(exchange.live.exit, 1)
  // docker names an absent image in its familiar form, not as written: matching stderr to the
  // configured name (what lib/docker.ts did) took `redis` and `docker.io/library/nginx:1.27` as present
  assert.match(exchange.live.stderr, /no such image: redis: No such image: redis:latest\n/)
  assert.match(exchange.live.stderr, /no such image: docker\.io\/library\/nginx:1\.27: No such image: nginx:1\.27\n/)
  await t.test('the daemon still answers as recorded', { skip: noRecording() }, () => assert.deepEqual(exchange.live, exchange.recorded))
})

test('image presence by digest: a pushed image has a repo digest', { skip: skipReason || process.env.REAL_DOCKER_REGISTRY_SKIP || false }, async (t) => {
  const repo = `${tier.registry}/team/app`
  await ok(['tag', tier.image, `${repo}:3`])
  const push = await docker(['push', `${repo}:3`])
  assert.equal(push.code, 0, push.stderr)
  const digests = JSON.parse(await ok(['image', 'inspect', '--format', '{{json .RepoDigests}}', `${repo}:3`])) as string[]
  const digest = digests.find((d) => d.startsWith(`${repo}@`))!.split('@')[1]!
  const image = await ok(['image', 'inspect', '--format', '{{.Id}}', `${repo}:3`])
  const other = `sha256:${'1'.repeat(64)}`
  const refs = [`${repo}@${digest}`, `${repo}:3@${digest}`, `${repo}@${other}`, `${tier.registry}/team/other@${digest}`]
  const { runner, calls } = recordingRunner()
  const { present, absent } = await new Docker(runner).localImages(refs)
  assert.deepEqual(present, refs.slice(0, 2))
  assert.deepEqual(absent, refs.slice(2))
  const exchange = capture('image-inspect-digests', calls[0]!.args, calls[0]!.result, { image, registry: tier.registry, digest }, tagsOnly)
  await t.test('the daemon still answers as recorded', { skip: noRecording() }, () => assert.deepEqual(exchange.live, exchange.recorded))
})

test('nothing present: `[]` on stdout, one line per image on stderr, exit 1', { skip: skipReason }, async (t) => {
  const args = ['image', 'inspect', 'ghost', 'ghost/image:1']
  const r = await docker(args)
  assert.deepEqual(await new Docker().localImages(['ghost', 'ghost/image:1']), { present: [], absent: ['ghost', 'ghost/image:1'], listed: [] })
  const exchange = capture('image-inspect-none', ['docker', ...args], r)
  assert.equal(exchange.live.stdout, '[]\n')
  await t.test('the daemon still answers as recorded', { skip: noRecording() }, () => assert.deepEqual(exchange.live, exchange.recorded))
})

test('docker image ls lists repo tags in docker\'s familiar form', { skip: skipReason }, async (t) => {
  const args = ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}']
  const r = await docker(args)
  assert.equal(r.code, 0, r.stderr)
  const lines = r.stdout.trim().split('\n').sort()
  for (const name of ['nginx:latest', 'redis:7', 'bitnami/postgresql:16', 'localhost:5000/team/app:2']) assert.ok(lines.includes(name), name)
  assert.ok(!lines.some((l) => l.startsWith('docker.io/')), 'never docker.io/...')
  // sorted: the daemon lists newest first, and every tag here is one image
  const exchange = capture('image-ls-format', ['docker', ...args], { ...r, stdout: lines.filter((l) => !l.includes(tier.registry || '\0')).join('\n') + '\n' })
  await t.test('the daemon still answers as recorded', { skip: noRecording() }, () => assert.deepEqual(exchange.live, exchange.recorded))
})
