// `exec NAME -- CMD` and `shell NAME` (kubie's exec and shell), and `switch --shell SHELL`.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import path from 'node:path'
import fs from 'fs-extra'
import { sandboxFor, REPO_ROOT, ok, JUST } from './helpers/sandbox.ts'
import type { Sandbox } from './helpers/sandbox.ts'
import { shellLaunch } from '../lib/commands/shell.ts'
import { shellLine } from '../lib/commands/switch.ts'
import { clusterEnv } from '../lib/commands/clusterenv.ts'

const MANAGER = path.join(REPO_ROOT, 'scripts', 'cluster-manager.ts')
const JUSTFILE = path.join(REPO_ROOT, 'justfile')
const lines = (text: string) => text.replace(/\n$/, '').split('\n')
const kubeconfigOf = (sb: Sandbox, name: string) => path.join(sb.home, '.kube', 'threads-agent', `config-${name}`)
const manager = (sb: Sandbox, args: string[], env: Record<string, string | undefined> = {}, input?: string) => sb.run(MANAGER, args, { cwd: sb.root, env, input })

async function create(sb: Sandbox, ...names: string[]): Promise<void> {
  for (const name of names) ok(await sb.run('k3d', ['cluster', 'create', name, '--kubeconfig-update-default=false']))
}

test('exec NAME -- kubectl get nodes: that cluster alone, whatever the shell points at; the status passed through', async (t) => {
  const sb = await sandboxFor(t)
  await create(sb, 'alpha', 'bravo')
  ok(await manager(sb, ['switch', 'bravo']))
  // No kubeconfig of alpha yet: exec writes it (from k3d) before running the command.
  const r = ok(await manager(sb, ['exec', 'alpha', '--', 'kubectl', 'get', 'nodes'], { KUBECONFIG: kubeconfigOf(sb, 'bravo') }))
  assert.match(r.stdout, /^k3d-alpha-server-0 /m)
  assert.doesNotMatch(r.stdout, /bravo/)
  assert.equal(await fs.pathExists(kubeconfigOf(sb, 'alpha')), true)
  const env = ok(await manager(sb, ['exec', 'alpha', 'sh', '-c', 'printf "%s|%s|%s" "$KUBECONFIG" "$THREADS_AGENT_CLUSTER" "${THREADS_AGENT_JUSTFILE:-none}"'], { THREADS_AGENT_JUSTFILE: '/x/justfile' }))
  assert.equal(env.stdout, `${kubeconfigOf(sb, 'alpha')}|alpha|none`)
  const failed = await manager(sb, ['exec', 'alpha', '--', 'sh', '-c', 'echo out; echo err >&2; exit 7'])
  assert.deepEqual([failed.code, failed.stdout, failed.stderr], [7, 'out\n', 'err\n'])
  // The pointer did not move.
  assert.equal((await fs.readFile(path.join(sb.home, '.config', 'threads-agent', 'current'), 'utf8')).trim(), 'bravo')
})

test('exec: a command that is not there is 127 with one line; an unknown cluster is 1 naming those that exist', async (t) => {
  const sb = await sandboxFor(t)
  await create(sb, 'alpha')
  const missing = await manager(sb, ['exec', 'alpha', '--', 'no-such-command-here'])
  assert.equal(missing.code, 127)
  assert.deepEqual(lines(missing.stderr), ['✗ no-such-command-here: command not found — check the name, or give its path'])
  const unknown = await manager(sb, ['exec', 'nope', '--', 'true'])
  assert.equal(unknown.code, 1)
  assert.deepEqual(lines(unknown.stderr), ["✗ cluster 'nope' not found — existing clusters: alpha"])
})

test('exec forwards SIGTERM and SIGINT to the command and exits with its status', async (t) => {
  const sb = await sandboxFor(t)
  await create(sb, 'alpha')
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const script = `trap 'echo "got ${signal.slice(3)}"; exit 5' ${signal.slice(3)}; echo ready; while :; do sleep 0.05; done`
    const child = spawn(MANAGER, ['exec', 'alpha', '--', 'sh', '-c', script], { cwd: sb.root, env: sb.env, stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString()
        if (out.includes('ready\n') && !child.killed) child.kill(signal)
      })
      child.on('close', (c) => resolve(c))
    })
    assert.equal(code, 5, `${signal}: ${out}`)
    assert.equal(out, `ready\ngot ${signal.slice(3)}\n`)
  }
})

test('just cluster-exec and cluster-shell pass everything through; THREADS_AGENT_* of just do not reach the command', async (t) => {
  const sb = await sandboxFor(t)
  await create(sb, 'alpha')
  const r = await sb.run(JUST, ['--justfile', JUSTFILE, '--working-directory', sb.root, 'cluster-exec', 'alpha', '--', 'sh', '-c', 'echo "${THREADS_AGENT_JUSTFILE:-none} $THREADS_AGENT_CLUSTER"; exit 4'], { cwd: sb.root })
  assert.deepEqual([r.code, r.stdout, r.stderr], [4, 'none alpha\n', ''])
  const shell = await sb.run(JUST, ['--justfile', JUSTFILE, '--working-directory', sb.root, 'cluster-shell', 'alpha'], { cwd: sb.root, env: { SHELL: '/bin/sh' }, input: 'kubectl config current-context\nexit 6\n' })
  assert.equal(shell.code, 6, shell.stderr)
  assert.equal(shell.stdout, 'k3d-alpha\n')
})

test('shell NAME: $SHELL with the cluster kubeconfig and marker; exit status passed through; a shell inside one is refused', async (t) => {
  const sb = await sandboxFor(t)
  await create(sb, 'alpha')
  const tmp = path.join(sb.root, 'tmp')
  await fs.mkdirp(tmp)
  const r = await manager(sb, ['shell', 'alpha'], { SHELL: '/bin/bash', TMPDIR: tmp }, 'echo "$THREADS_AGENT_CLUSTER"; kubectl config current-context; exit 4\n')
  assert.equal(r.code, 4, r.stderr)
  assert.deepEqual(lines(r.stdout), ['alpha', 'k3d-alpha'])
  assert.deepEqual(lines(r.stderr), [`Entering /bin/bash for cluster 'alpha' (KUBECONFIG=${kubeconfigOf(sb, 'alpha')}); type 'exit' to leave it`, "Left the shell of cluster 'alpha'"])
  const nested = await manager(sb, ['shell', 'alpha'], { SHELL: '/bin/bash', THREADS_AGENT_CLUSTER: 'bravo' }, 'echo should-not-run\n')
  assert.equal(nested.code, 1)
  assert.equal(nested.stdout, '')
  assert.deepEqual(lines(nested.stderr), ["✗ this shell already belongs to cluster 'bravo' (THREADS_AGENT_CLUSTER); a shell inside it is not opened — type 'exit' to leave it, then open one for 'alpha'"])
  // The rc file it wrote for bash is gone with the shell.
  assert.deepEqual((await fs.readdir(tmp)).filter((f) => f.startsWith('threads-agent-shell-')), [])
})

test('shellLaunch: the prompt prefix the way each shell allows it; clusterEnv sets the marker and drops just\'s variables', () => {
  const env = { HOME: '/home/u', PS1: '% ', THREADS_AGENT_JUSTFILE: '/j', THREADS_AGENT_JUST_EXE: '/bin/just', KUBECONFIG: '/other' }
  const bash = shellLaunch('/usr/bin/bash', 'alpha', env, '/d')
  assert.deepEqual(bash.args, ['--rcfile', '/d/bashrc'])
  assert.equal(bash.files.bashrc, '[ -f "$HOME/.bashrc" ] && . "$HOME/.bashrc"\nPS1="(alpha) ${PS1-\\s-\\v\\$ }"\n')
  const zsh = shellLaunch('/bin/zsh', 'alpha', env, '/d')
  assert.deepEqual(zsh.env, { ZDOTDIR: '/d' })
  assert.match(zsh.files['.zshrc']!, /ZDOTDIR="\/home\/u"; \[\[ -f "\$ZDOTDIR\/.zshrc" \]\] && \. "\$ZDOTDIR\/.zshrc"; ZDOTDIR="\/d"\nPROMPT="\(alpha\) \$\{PROMPT\}"\nZDOTDIR="\/home\/u"\n/)
  assert.deepEqual(Object.keys(zsh.files).sort(), ['.zprofile', '.zshenv', '.zshrc'])
  const fish = shellLaunch('fish', 'alpha', env, '/d')
  assert.equal(fish.args[0], '-C')
  assert.match(fish.args[1]!, /function fish_prompt; printf '%s' '\(alpha\) '/)
  assert.deepEqual(shellLaunch('/bin/dash', 'alpha', env, '/d').env, { PS1: '(alpha) % ' })
  assert.deepEqual(shellLaunch('/bin/sh', 'alpha', {}, '/d').env, { PS1: '(alpha) $ ' })
  assert.deepEqual(clusterEnv(env, 'alpha', '/k/config-alpha'), { HOME: '/home/u', PS1: '% ', KUBECONFIG: '/k/config-alpha', THREADS_AGENT_CLUSTER: 'alpha' })
})

test('switch --shell [bash|zsh|fish]: only that shell\'s line on stdout, and eval/fish source of it points the shell at the cluster', async (t) => {
  const sb = await sandboxFor(t)
  await create(sb, 'alpha')
  const file = kubeconfigOf(sb, 'alpha')
  for (const shell of ['bash', 'zsh', '']) {
    const r = ok(await manager(sb, ['switch', 'alpha', '--shell', ...(shell ? [shell] : [])]))
    assert.equal(r.stdout, `export KUBECONFIG="${file}"\n`)
    assert.match(r.stderr, /Switched to cluster 'alpha'/)
  }
  const fish = ok(await manager(sb, ['switch', '--shell', 'fish', 'alpha']))
  assert.equal(fish.stdout, `set -gx KUBECONFIG '${file}'\n`)
  assert.equal(shellLine('fish', "/a b/it's\\x"), "set -gx KUBECONFIG '/a b/it\\'s\\\\x'")
  const viaJust = await sb.run('sh', ['-c', `eval "$('${JUST}' --justfile '${JUSTFILE}' --working-directory . cluster-switch alpha --shell)" && kubectl config current-context`], { cwd: sb.root })
  assert.equal(viaJust.code, 0, viaJust.stderr)
  assert.equal(viaJust.stdout, 'k3d-alpha\n')
})
