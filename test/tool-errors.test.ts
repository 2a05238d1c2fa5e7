// The adapters read k3d's and docker's words once, into a kind and a port (lib/k3d.ts, lib/docker.ts),
// on every recorded real form: this machine's daemon (test/fixtures/real/docker-20.10.json), other
// engines (engines.json, public reports) and k3d v5's own texts (k3d-v5.json, from its source).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { k3dFailure } from '../lib/k3d.ts'
import { dockerFailure, portConflictLine } from '../lib/docker.ts'
import { daemonMessage, docker20, engines, fill, k3d5, k3dText } from './fixtures/real/recorded.ts'

const failed = (stderr: string, stdout = '') => k3dFailure({ code: 1, stdout, stderr })
const ROLLBACK = 'ERRO[0002] Failed to create cluster >>> Rolling Back\nFATA[0003] Cluster creation FAILED, all changes have been rolled back!'

/** k3d's create failure around a daemon's error, as k3d prints it (k3d-v5.json create-lb-port-failed). */
const k3dCreate = (daemon: string) =>
  `INFO[0001] Starting node\nERRO[0002] ${fill(k3dText('create-lb-port-failed').text, { cluster: 'a', daemon })}\n${ROLLBACK}`

/** Every recorded way a host port is refused, with the port it names. */
function portConflictForms(): Array<{ id: string; text: string; port: number | null }> {
  const forms = engines.forms.map((f) => ({ id: f.id, text: f.text, port: f.port }))
  for (const [id, c] of Object.entries(docker20.captures)) {
    if (!id.startsWith('run-')) continue
    forms.push({ id: `docker-20.10 ${id}`, text: fill(c.stderr, { port: 8142, endpoint: 'k3d-a-serverlb', id: 'f'.repeat(64) }), port: 8142 })
  }
  return forms
}

test('every recorded port-conflict form is a port conflict with its port', () => {
  const forms = portConflictForms()
  assert.ok(forms.length >= 20, `${forms.length} forms`)
  for (const { id, text, port } of forms) {
    assert.deepEqual(dockerFailure(text), { kind: 'port-conflict', port }, id)
    const line = daemonMessage(text)
    const f = failed(k3dCreate(`Error response from daemon: ${line}`))
    assert.equal(f.kind, 'port-conflict', id)
    assert.equal(f.port, port, id)
    // the reason is the line that names the cause, never k3d's generic rollback line
    assert.ok(f.reason.includes(line), `${id}: ${f.reason}`)
    assert.ok(portConflictLine(text.split('\n'))?.includes(line), id)
  }
})

test('port conflicts relayed by k3d start (FATA) and inside other words', () => {
  const daemon = daemonMessage(fill(docker20.captures['run-userland-proxy']!.stderr, { port: 6507, endpoint: 'e', id: '0'.repeat(64) }))
  const start = failed(`INFO[0000] Starting cluster 'a'\nFATA[0001] Failed to add one or more helper nodes: runtime failed to start node 'k3d-a-serverlb': docker failed to start container for node 'k3d-a-serverlb': Error response from daemon: ${daemon}`)
  assert.deepEqual([start.kind, start.port], ['port-conflict', 6507])
  assert.match(start.reason, /^Failed to add one or more helper nodes: .*listen tcp4 0\.0\.0\.0:6507: bind: address already in use$/)
  // IPv6 hosts, raw or bracketed
  assert.deepEqual(dockerFailure('Bind for [::]:8081 failed: port is already allocated'), { kind: 'port-conflict', port: 8081 })
  assert.deepEqual(dockerFailure('failed to bind host port for [::]:8090:[fd00::2]:80/tcp: address already in use'), { kind: 'port-conflict', port: 8090 })
  assert.deepEqual(dockerFailure('listen tcp [::]:8091: bind: address already in use'), { kind: 'port-conflict', port: 8091 })
  assert.deepEqual(dockerFailure('listen tcp :9090: bind: address already in use'), { kind: 'port-conflict', port: 9090 })
  assert.equal(dockerFailure('all fine'), null)
})

test('the daemon down, as recorded from the real CLI, and as k3d relays it', () => {
  for (const id of ['daemon-down-info', 'daemon-down-image-inspect']) {
    const c = docker20.captures[id]!
    assert.deepEqual(dockerFailure(fill(c.stderr, { host: 'unix:///run/user/1000/docker.sock' })), { kind: 'docker-down' }, id)
  }
  const down = k3dText('docker-down')
  const f = failed(`FATA[0000] ${down.text}`)
  assert.equal(f.kind, 'docker-down')
  assert.equal(f.reason, down.text)
})

test('k3d\'s own failures, from its source, are classified with the line that names them', () => {
  const values = { cluster: 'demo', length: 40, node: 'k3d-reg', name: 'reg', host: 'k3d-reg', file: '-', api: 'k3d.io/v1alpha9', key: 'bogus', role: 'servers', value: '1x', network: 'k3d-demo' }
  const texts = k3d5.texts.filter((t) => t.kind && t.id !== 'docker-down')
  assert.ok(texts.length >= 4)
  for (const t of texts) {
    const line = fill(t.text, values)
    const f = failed(`${t.level}[0000] ${line}`)
    assert.equal(f.kind, t.kind, t.id)
    assert.equal(f.port, null, t.id)
    assert.equal(f.reason, line, t.id)
  }
  const cases: Array<[string, string, string]> = [
    ['Error: unknown flag: --bogus', 'usage', 'unknown flag: --bogus'],
    ['FATA[0000] something odd happened', 'other', 'something odd happened'],
  ]
  for (const [stderr, kind, reason] of cases) {
    const f = failed(stderr)
    assert.equal(f.kind, kind, stderr)
    assert.equal(f.reason, reason)
  }
  assert.equal(k3dFailure({ code: 3, stdout: '', stderr: '' }).reason, 'exit code 3')
})

test('a failed image import names k3d\'s error line, not the generic warning after it', () => {
  const stderr = [
    `WARN[0000] ${fill(k3dText('import-image-not-found').text, { image: 'nginx' })}`,
    `ERRO[0000] ${fill(k3dText('import-no-valid-images').text, { cluster: 'demo' })}`,
    `WARN[0000] ${k3dText('import-some-error').text}`,
  ].join('\n')
  const f = failed(stderr, "INFO[0000] Importing image(s) into cluster 'demo'\n")
  assert.equal(f.kind, 'other')
  assert.equal(f.reason, "Failed to import image(s) into cluster 'demo': no valid images specified")
})
