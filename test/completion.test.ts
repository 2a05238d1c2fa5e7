// `cluster-manager completion bash|zsh|fish`: each script is loaded into its shell and asked
// for completions, as a TAB would.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import fs from 'fs-extra'
import { sandboxFor, REPO_ROOT, ok } from './helpers/sandbox.ts'
import type { Sandbox } from './helpers/sandbox.ts'
import { completionScript } from '../lib/commands/completion.ts'
import { COMMAND_WORDS } from '../lib/commands/args.ts'

const MANAGER = path.join(REPO_ROOT, 'scripts', 'cluster-manager.ts')
const has = (shell: string) => spawnSync(shell, ['-c', 'exit 0']).status === 0

/** Cluster names as files: metadata of alpha and charlie, kubeconfigs of alpha and bravo, and files that are no cluster. */
async function clusterFiles(sb: Sandbox): Promise<void> {
  const meta = path.join(sb.home, '.config', 'threads-agent', 'clusters')
  const kube = path.join(sb.home, '.kube', 'threads-agent')
  await fs.outputFile(path.join(meta, 'alpha.json'), '{}')
  await fs.outputFile(path.join(meta, 'charlie.json'), '{}')
  await fs.outputFile(path.join(kube, 'config-alpha'), '')
  await fs.outputFile(path.join(kube, 'config-bravo'), '')
  await fs.outputFile(path.join(kube, 'notes.txt'), '')
}

/**
 * Sources the bash script (from the real command, as a user would) and prints, for each line,
 * the completions of its last word, sorted, one line per line: `a b c`.
 */
async function bashComplete(sb: Sandbox, commandLines: string[], before = ''): Promise<string[]> {
  const script = path.join(sb.root, 'completion.bash')
  await fs.writeFile(script, ok(await sb.run(MANAGER, ['completion', 'bash'])).stdout)
  const body = `${before}
source '${script}'
complete_line() {
  local line=$1
  read -r -a COMP_WORDS <<< "$line"
  [[ $line == *' ' ]] && COMP_WORDS+=('')
  COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); COMP_LINE=$line; COMP_POINT=\${#line}
  local spec fn; spec=$(complete -p "\${COMP_WORDS[0]##*/}"); fn=\${spec#*-F }; fn=\${fn%% *}
  COMPREPLY=()
  "$fn" "\${COMP_WORDS[0]}" "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"
  printf '%s\\n' "\${COMPREPLY[@]}" | sort -u | tr '\\n' ' ' | sed 's/ $//'; echo
}
${commandLines.map((l) => `complete_line '${l}'`).join('\n')}
`
  const r = ok(await sb.run('bash', ['--norc', '--noprofile', '-c', body], { cwd: sb.root }))
  return r.stdout.replace(/\n$/, '').split('\n')
}

test('bash: commands, per-command flags and values, cluster names from the files only (no k3d call)', async (t) => {
  const sb = await sandboxFor(t)
  await clusterFiles(sb)
  const got = await bashComplete(sb, [
    'cluster-manager sw',
    'cluster-manager ',
    'cluster-manager switch ',
    'cluster-manager switch al',
    'cluster-manager switch alpha ',
    'cluster-manager delete alpha ',
    'cluster-manager list -',
    'cluster-manager list -o ',
    'cluster-manager switch --shell ',
    'cluster-manager switch --shell fish ',
    'cluster-manager current -',
    'cluster-manager completion ',
    'cluster-manager exec alpha -- kubec',
    'cluster-manager exec al',
    './scripts/cluster-manager.ts inf',
    'dev-up-multi --s',
    'dev-up-multi --tag ',
  ])
  assert.deepEqual(got, [
    'switch',
    [...Object.keys(COMMAND_WORDS), '--help', '--version'].sort().join(' '),
    'alpha bravo charlie',
    'alpha',
    '',
    'alpha bravo charlie',
    '--help --json --no-headers --output -o',
    'json name table',
    'bash fish zsh',
    'alpha bravo charlie',
    '--help --json --name -q',
    'bash fish zsh',
    'kubectl',
    'alpha',
    'info',
    '--share',
    '',
  ])
  assert.deepEqual(sb.calls(), [])
})

test("bash: with just's own completion loaded first, the recipes that take a cluster complete names and the rest stays just's", async (t) => {
  const sb = await sandboxFor(t)
  await clusterFiles(sb)
  // A stand-in for just's completion function (clap's dynamic one, or _just of older versions).
  const stub = `_clap_complete_just() { COMPREPLY=(from-just); }\ncomplete -o nospace -o bashdefault -F _clap_complete_just just`
  const got = await bashComplete(sb, ['just cluster-switch ', 'just cluster-delete alpha b', 'just --justfile x cluster-exec ', 'just boot'], stub)
  assert.deepEqual(got, ['alpha bravo charlie', 'bravo', 'alpha bravo charlie', 'from-just'])
})

test('fish: the script loads and completes commands, flags and names', { skip: !has('fish') && 'fish is not installed here' }, async (t) => {
  const sb = await sandboxFor(t)
  await clusterFiles(sb)
  const script = path.join(sb.root, 'c.fish')
  await fs.writeFile(script, completionScript('fish'))
  const ask = (line: string) => `complete -C '${line}' | string replace -r '\\t.*' '' | sort -u | string join ' '`
  const r = ok(await sb.run('fish', ['--no-config', '-c', [`source ${script}`, ...['cluster-manager sw', 'cluster-manager switch ', 'cluster-manager list -o ', 'just cluster-stop '].map(ask)].join('\n')]))
  assert.deepEqual(r.stdout.replace(/\n$/, '').split('\n'), ['switch', 'alpha bravo charlie', 'json name table', 'alpha bravo charlie'])
})

test('zsh: the script parses; it registers both programs with compdef', { skip: !has('zsh') && 'zsh is not installed here' }, async (t) => {
  const sb = await sandboxFor(t)
  const script = path.join(sb.root, 'c.zsh')
  await fs.writeFile(script, completionScript('zsh'))
  ok(await sb.run('zsh', ['-n', script]))
  await clusterFiles(sb)
  const r = ok(await sb.run('zsh', ['-f', '-c', `autoload -U compinit && compinit -u -d ${sb.root}/zcomp; source ${script}; print -r -- \${_comps[cluster-manager]} \${_comps[dev-up-multi.ts]}; _threads_agent_clusters`]))
  assert.deepEqual(r.stdout.replace(/\n$/, '').split('\n'), ['_threads_agent_cluster_manager _threads_agent_dev_up', 'alpha', 'charlie', 'bravo'])
})

test('every script names every command word', () => {
  for (const shell of ['bash', 'zsh', 'fish'] as const) {
    const text = completionScript(shell)
    for (const word of Object.keys(COMMAND_WORDS)) assert.ok(text.includes(word), `${shell} lacks ${word}`)
  }
})
