// What only happens on a terminal, driven on a pseudo-terminal: the picker of `switch`, the
// question of `delete`, the prompt of `shell`.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import path from 'node:path'
import fs from 'fs-extra'
import { sandboxFor, REPO_ROOT, ok, startFrom } from './helpers/sandbox.ts'
import type { Sandbox } from './helpers/sandbox.ts'
import { runInPty } from './helpers/pty.ts'
import { fuzzyFilter } from '../lib/commands/picker.ts'

const MANAGER = path.join(REPO_ROOT, 'scripts', 'cluster-manager.ts')
const lines = (text: string) => text.replace(/\n$/, '').split('\n')
const pointer = (sb: Sandbox) => path.join(sb.home, '.config', 'threads-agent', 'current')
const clusters = async (sb: Sandbox) => (JSON.parse(ok(await sb.run('k3d', ['cluster', 'list', '-o', 'json'])).stdout) as Array<{ name: string }>).map((c) => c.name)

async function create(sb: Sandbox, ...names: string[]): Promise<void> {
  for (const name of names) ok(await sb.run('k3d', ['cluster', 'create', name, '--kubeconfig-update-default=false']))
}

// Under c8 the scripts start from the bundle (NODE_V8_COVERAGE); users' runs start from the
// startup snapshot, whose terminal, readline, prompt and child-process modules were loaded while
// it was built: the picker, delete's question and exec run from both (startFrom).

for (const from of ['bundle', 'snapshot'] as const) {
  test(`switch with no NAME on a terminal: a fuzzy picker, the current cluster marked and preselected (started from the ${from})`, async (t) => {
    const sb = await sandboxFor(t)
    await create(sb, 'alpha', 'bravo', 'charlie-long')
    ok(await sb.run(MANAGER, ['switch', 'bravo'], { cwd: sb.root }))
    const r = await runInPty(sb, [MANAGER, 'switch'], {
      cwd: sb.root,
      env: startFrom(from),
      steps: [
        { expect: /bravo \(current\)/, send: 'chl' },
        // the list narrows to what matches c…h…l, then Enter picks it
        { expect: /chl\n❯ charlie-long\n\n/, send: '\r' },
      ],
    })
    assert.equal(r.code, 0, r.screen)
    assert.match(r.screen, /❯ bravo \(current\)/) // preselected
    assert.match(r.screen, /✓ Switched to cluster 'charlie-long'/)
    assert.equal((await fs.readFile(pointer(sb), 'utf8')).trim(), 'charlie-long')
  })
}

test('the picker draws on stderr, so eval "$(... switch --shell)" works with it; Ctrl-C there is exit 130 and nothing switched', async (t) => {
  const sb = await sandboxFor(t)
  await create(sb, 'alpha', 'bravo')
  const script = `eval "$('${MANAGER}' switch --shell)" && printf 'KUBECONFIG=%s\\n' "$KUBECONFIG"`
  const r = await runInPty(sb, ['sh', '-c', script], { cwd: sb.root, steps: [{ expect: /❯ alpha/, send: '\x1b[B' }, { expect: /❯ bravo/, send: '\r' }] })
  assert.equal(r.code, 0, r.screen)
  assert.ok(lines(r.screen).includes(`KUBECONFIG=${path.join(sb.home, '.kube', 'threads-agent', 'config-bravo')}`), r.screen)

  const cancelled = await runInPty(sb, [MANAGER, 'switch'], { cwd: sb.root, steps: [{ expect: /❯ bravo \(current\)/, send: '\x03' }] })
  assert.equal(cancelled.code, 130, cancelled.screen)
  assert.match(cancelled.screen, /✗ interrupted: no cluster switched/)
  assert.equal((await fs.readFile(pointer(sb), 'utf8')).trim(), 'bravo')
})

test('switch with no NAME and no terminal: never a prompt; the names on stderr, exit 2', async (t) => {
  const sb = await sandboxFor(t)
  await create(sb, 'alpha', 'bravo')
  const r = await sb.run(MANAGER, ['switch'], { cwd: sb.root })
  assert.equal(r.code, 2)
  assert.equal(r.stdout, '')
  assert.deepEqual(lines(r.stderr), ['✗ switch needs a cluster name: no terminal to pick one on; name one of:', 'alpha', 'bravo'])
  assert.equal(await fs.pathExists(pointer(sb)), false)
  const none = await sb.run(MANAGER, ['switch'], { cwd: sb.root, env: { K3D_SIM_STATE: path.join(sb.root, 'empty') } })
  assert.equal(none.code, 2)
  assert.match(none.stderr, /switch needs a cluster name: there are no clusters; create one with/)
})

test('fuzzyFilter: subsequence matches, contiguous and earlier first, order kept on ties', () => {
  const items = ['threads-agent', 'threads-agent-vitalii-se-c18b4c', 'another-p-349f-vitalii-se-c18b4c', 'dev'].map((name) => ({ name }))
  const names = (term?: string) => fuzzyFilter(items, term).map((i) => i.name)
  assert.deepEqual(names(), items.map((i) => i.name))
  assert.deepEqual(names('dev'), ['dev', 'threads-agent-vitalii-se-c18b4c']) // contiguous first, then d…e…v
  assert.deepEqual(names('vit'), ['threads-agent-vitalii-se-c18b4c', 'another-p-349f-vitalii-se-c18b4c'])
  assert.deepEqual(names('tav'), ['threads-agent-vitalii-se-c18b4c'])
  assert.deepEqual(names('avi'), ['threads-agent-vitalii-se-c18b4c', 'another-p-349f-vitalii-se-c18b4c'])
  assert.deepEqual(names('ANOTHER'), ['another-p-349f-vitalii-se-c18b4c'])
  assert.deepEqual(names('zz'), [])
})

for (const from of ['bundle', 'snapshot'] as const) {
  test(`delete on a terminal: N, Enter and Ctrl-D keep the cluster and exit 1; Ctrl-C exits 130; y deletes (started from the ${from})`, async (t) => {
    const sb = await sandboxFor(t)
    const env = startFrom(from)
    await create(sb, 'alpha')
    for (const keys of ['n\r', '\r', '\x04']) {
      const r = await runInPty(sb, [MANAGER, 'delete', 'alpha'], { cwd: sb.root, env, steps: [{ expect: /\(y\/N\) /, send: keys }] })
      assert.equal(r.code, 1, `${JSON.stringify(keys)}: ${r.screen}`)
      assert.match(r.screen, /✗ Cancelled: nothing was deleted/)
    }
    const interrupted = await runInPty(sb, [MANAGER, 'delete', 'alpha'], { cwd: sb.root, env, steps: [{ expect: /\(y\/N\) /, send: '\x03' }] })
    assert.equal(interrupted.code, 130, interrupted.screen)
    assert.match(interrupted.screen, /✗ interrupted: nothing was deleted/)
    assert.deepEqual(await clusters(sb), ['alpha'])
    const yes = await runInPty(sb, [MANAGER, 'delete', 'alpha'], { cwd: sb.root, env, steps: [{ expect: /\(y\/N\) /, send: 'y\r' }] })
    assert.equal(yes.code, 0, yes.screen)
    assert.deepEqual(await clusters(sb), [])
  })
}

test('shell NAME on a terminal: bash with (NAME) before its prompt, kubectl on that cluster, the exit status passed through', async (t) => {
  const sb = await sandboxFor(t)
  await create(sb, 'alpha')
  await fs.outputFile(path.join(sb.home, '.bashrc'), 'export FROM_BASHRC=yes\nPS1="me\\$ "\n')
  const r = await runInPty(sb, [MANAGER, 'shell', 'alpha'], {
    cwd: sb.root,
    env: { SHELL: '/bin/bash' },
    steps: [
      { expect: /\(alpha\) me\$ $/m, send: 'echo "ctx=$(kubectl config current-context) rc=$FROM_BASHRC marker=$THREADS_AGENT_CLUSTER"\r' },
      { expect: /\(alpha\) me\$ $/m, send: 'exit 3\r' },
    ],
  })
  assert.equal(r.code, 3, r.screen)
  assert.match(r.screen, /ctx=k3d-alpha rc=yes marker=alpha/)
  assert.match(r.screen, /Entering \/bin\/bash for cluster 'alpha'/)
  assert.match(r.screen, /Left the shell of cluster 'alpha'/)
})

for (const from of ['bundle', 'snapshot'] as const) {
  test(`exec on a terminal: Ctrl-C reaches the command once (from the terminal, not relayed again); its status is ours (started from the ${from})`, async (t) => {
    const sb = await sandboxFor(t)
    await create(sb, 'alpha')
    const script = 'trap \'echo "got INT"; n=$((n+1)); [ $n -ge 1 ] && sleep 0.3 && echo "count=$n" && exit 9\' INT; n=0; echo ready; while :; do sleep 0.05; done'
    const r = await runInPty(sb, [MANAGER, 'exec', 'alpha', '--', 'sh', '-c', script], { cwd: sb.root, env: startFrom(from), steps: [{ expect: /ready\n/, send: '\x03' }] })
    assert.equal(r.code, 9, r.screen)
    assert.equal(r.screen.match(/got INT/g)?.length, 1, r.screen)
    assert.doesNotMatch(r.screen, /interrupted/) // the entry point's own Ctrl-C handling stayed out of it
  })
}
