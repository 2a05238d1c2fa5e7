// The adapters read k3d's and docker's words once, into a kind and a port (lib/k3d.ts, lib/docker.ts).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { k3dFailure } from '../lib/k3d.ts'
import { dockerFailure } from '../lib/docker.ts'

const failed = (stderr: string, stdout = '') => k3dFailure({ code: 1, stdout, stderr })
const ROLLBACK = 'ERRO[0002] Failed to create cluster >>> Rolling Back\nFATA[0003] Cluster creation FAILED, all changes have been rolled back!'

test('every port-conflict form of the reference is a port conflict with its port', () => {
  const forms: Array<[string, number]> = [
    ['driver failed programming external connectivity on endpoint k3d-a-serverlb (0123): Bind for 0.0.0.0:8080 failed: port is already allocated', 8080],
    ['driver failed programming external connectivity on endpoint x (1): Error starting userland proxy: listen tcp4 0.0.0.0:6445: bind: address already in use', 6445],
    ['failed to bind host port for 0.0.0.0:6507:172.18.0.3:6443/tcp: address already in use', 6507],
    ['Ports are not available: exposing port TCP 0.0.0.0:8142 -> 0.0.0.0:0: listen tcp 0.0.0.0:8142: bind: address already in use', 8142],
    ['Bind for [::]:8081 failed: port is already allocated', 8081],
    ['listen tcp 127.0.0.1:8090: bind: Only one usage of each socket address (protocol/network address/port) is normally permitted.', 8090],
  ]
  for (const [line, port] of forms) {
    const f = failed(`INFO[0001] Starting node\nERRO[0002] Failed Cluster Start: ${line}\n${ROLLBACK}`)
    assert.equal(f.kind, 'port-conflict', line)
    assert.equal(f.port, port, line)
    assert.match(f.reason, new RegExp(String(port)), 'the reason names the port, not the generic rollback line')
    assert.deepEqual(dockerFailure(line), { kind: 'port-conflict', port })
  }
})

test('k3d failures are classified from its own words, the reason without log prefixes', () => {
  const cases: Array<[string, string, string]> = [
    ["FATA[0000] Failed to create cluster 'a' because a cluster with that name already exists", 'name-taken', "Failed to create cluster 'a' because a cluster with that name already exists"],
    ['FATA[0000] Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?', 'docker-down', 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?'],
    ['FATA[0000] failed to get cluster a: No nodes found for given cluster', 'not-found', 'failed to get cluster a: No nodes found for given cluster'],
    ['FATA[0000] Invalid cluster name. name A_B is not a valid hostname as per RFC 1123', 'invalid-name', 'Invalid cluster name. name A_B is not a valid hostname as per RFC 1123'],
    ['Error: unknown flag: --bogus', 'usage', 'unknown flag: --bogus'],
    ['FATA[0000] something odd happened', 'other', 'something odd happened'],
  ]
  for (const [stderr, kind, reason] of cases) {
    const f = failed(stderr)
    assert.equal(f.kind, kind, stderr)
    assert.equal(f.port, null)
    assert.equal(f.reason, reason)
  }
  assert.equal(k3dFailure({ code: 3, stdout: '', stderr: '' }).reason, 'exit code 3')
  assert.equal(dockerFailure('all fine'), null)
})
