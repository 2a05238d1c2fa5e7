// Image references read by docker's rules (lib/imageref.ts). The real daemon's answers to the same
// references are recorded in test/fixtures/real/docker-20.10.json and replayed in test/docker.test.ts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { familiarString, parseImageRef, referenceMatches, withDefaultTag } from '../lib/imageref.ts'

const DIGEST = `sha256:${'a'.repeat(64)}`

test('references parse into registry, path, tag and digest as docker normalises them', () => {
  const cases: Array<[string, { domain: string; path: string; tag: string | null; digest: string | null }]> = [
    ['nginx', { domain: 'docker.io', path: 'library/nginx', tag: null, digest: null }],
    ['nginx:1.27', { domain: 'docker.io', path: 'library/nginx', tag: '1.27', digest: null }],
    ['library/nginx', { domain: 'docker.io', path: 'library/nginx', tag: null, digest: null }],
    ['docker.io/nginx', { domain: 'docker.io', path: 'library/nginx', tag: null, digest: null }],
    ['docker.io/library/nginx:latest', { domain: 'docker.io', path: 'library/nginx', tag: 'latest', digest: null }],
    ['index.docker.io/library/nginx', { domain: 'docker.io', path: 'library/nginx', tag: null, digest: null }],
    ['bitnami/postgresql:16', { domain: 'docker.io', path: 'bitnami/postgresql', tag: '16', digest: null }],
    ['localhost:5000/team/app', { domain: 'localhost:5000', path: 'team/app', tag: null, digest: null }],
    ['localhost/app:2', { domain: 'localhost', path: 'app', tag: '2', digest: null }],
    ['ghcr.io/threads-agent-stack/orchestrator:v1.0.0', { domain: 'ghcr.io', path: 'threads-agent-stack/orchestrator', tag: 'v1.0.0', digest: null }],
    [`nginx@${DIGEST}`, { domain: 'docker.io', path: 'library/nginx', tag: null, digest: DIGEST }],
    [`registry.example.com:443/x/y:1@${DIGEST}`, { domain: 'registry.example.com:443', path: 'x/y', tag: '1', digest: DIGEST }],
    ['[::1]:5000/app', { domain: '[::1]:5000', path: 'app', tag: null, digest: null }],
    ['Registry.Example/x', { domain: 'Registry.Example', path: 'x', tag: null, digest: null }], // an upper-case first part is a host
  ]
  for (const [text, want] of cases) assert.deepEqual(parseImageRef(text), want, text)
  for (const bad of ['', 'Nginx', 'a:b:c', 'nginx:', 'nginx@sha256:abc', 'bad_host:5000/x', '-x', 'x/']) assert.equal(parseImageRef(bad), null, bad)
})

test('familiar form and the default tag are docker\'s', () => {
  const familiar = (t: string) => familiarString(withDefaultTag(parseImageRef(t)!))
  assert.equal(familiar('docker.io/library/nginx'), 'nginx:latest')
  assert.equal(familiar('docker.io/library/nginx:1.27'), 'nginx:1.27')
  assert.equal(familiar('docker.io/bitnami/postgresql:16'), 'bitnami/postgresql:16')
  assert.equal(familiar('library/x/y'), 'library/x/y:latest') // only library/NAME is shortened
  assert.equal(familiar('localhost:5000/team/app'), 'localhost:5000/team/app:latest')
  assert.equal(familiar(`nginx@${DIGEST}`), `nginx@${DIGEST}`) // a digest implies no tag
})

test('a reference matches an image by tag, repo digest or ID, never by a different repository', () => {
  const images = [
    { Id: `sha256:${'c'.repeat(64)}`, RepoTags: ['nginx:latest', 'localhost:5000/team/app:2'], RepoDigests: [`localhost:5000/team/app@${DIGEST}`] },
    { Id: `sha256:${'d'.repeat(64)}`, RepoTags: ['redis:7'], RepoDigests: null },
  ]
  const present = ['nginx', 'docker.io/library/nginx:latest', 'redis:7', 'docker.io/redis:7', 'localhost:5000/team/app:2', `localhost:5000/team/app@${DIGEST}`,
    `localhost:5000/team/app:9@${DIGEST}`, 'cccccc', `sha256:${'d'.repeat(64)}`]
  const absent = ['redis', 'nginx:1.27', 'localhost:5000/team/app', `nginx@${DIGEST}`, `localhost:5000/other@${DIGEST}`, 'ccccc', 'eeeeee', 'Nginx']
  for (const r of present) assert.equal(referenceMatches(r, images), true, r)
  for (const r of absent) assert.equal(referenceMatches(r, images), false, r)
  assert.equal(referenceMatches('nginx', []), false)
})
