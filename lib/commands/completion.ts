import type { CompletionShell, OperationKind, OperationOf } from './args.ts'
import { ARGUMENTS, COMMAND_WORDS, COMPLETION_SHELLS, FLAG_SPELLINGS, FLAGS, LIST_FORMATS, VALUE_FLAGS } from './args.ts'
import { KNOWN_CLIENTS } from '../mcp.ts'
import type { Context } from './context.ts'

/** dev-up-multi's flags (its usage in lib/bootstrap), offered by the same scripts. */
const DEV_UP_WORDS = ['--share', '-s', '--force', '-f', '--tag', '-t', '--name', '--dry-run', '--json', '--help', '-h', '--version', 'share']
/** Recipes whose arguments start with a cluster name (or are cluster names). */
const NAME_RECIPES = ['cluster-switch', 'cluster-info', 'cluster-delete', 'cluster-resources', 'cluster-start', 'cluster-stop', 'cluster-exec', 'cluster-shell', 'cluster-credentials']

const words = Object.keys(COMMAND_WORDS)
const wordsOf = (kinds: (k: OperationKind) => boolean) => words.filter((w) => kinds(COMMAND_WORDS[w]!))
const flagsOf = (kind: OperationKind) => [...FLAGS[kind].flatMap((f) => FLAG_SPELLINGS[f]), '--help']
/** Commands grouped by the flags they take, for one `case` arm each. */
function byFlags(): Array<[string[], string[]]> {
  const groups = new Map<string, string[]>()
  for (const w of words) {
    const key = flagsOf(COMMAND_WORDS[w]!).join(' ')
    groups.set(key, [...(groups.get(key) ?? []), w])
  }
  return [...groups.entries()].map(([flags, ws]) => [ws, flags.split(' ')])
}
const takesOneName = wordsOf((k) => ARGUMENTS[k] === 'name' || ARGUMENTS[k] === 'optional-name')
const takesNames = wordsOf((k) => ARGUMENTS[k] === 'names')
/** Spellings of the flags that take a value (-o, --namespace...): the word after them is that value. */
const valueSpellings = VALUE_FLAGS.flatMap((f) => FLAG_SPELLINGS[f])

/** Cluster names from files only (metadata and our kubeconfigs): a TAB never waits for k3d. */
const BASH_NAMES = `__threads_agent_clusters() {
  local f n
  local -A seen=()
  for f in "$HOME"/.config/threads-agent/clusters/*.json; do
    [[ -e $f ]] || continue
    n=\${f##*/}; n=\${n%.json}; seen[$n]=1; printf '%s\\n' "$n"
  done
  for f in "$HOME"/.kube/threads-agent/config-*; do
    [[ -e $f ]] || continue
    n=\${f##*/config-}; [[ -n \${seen[$n]} ]] || printf '%s\\n' "$n"
  done
}`

function bash(): string {
  const flagArms = byFlags().map(([ws, flags]) => `    ${ws.join('|')}) flags="${flags.join(' ')}" ;;`).join('\n')
  return `# bash completion for cluster-manager and dev-up-multi (threads-agent multi-cluster).
# Install: source <(cluster-manager completion bash)   (see README.md)
${BASH_NAMES}

_threads_agent_cluster_manager() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]}
  local i cmd= at=0 positional=0
  for ((i = 1; i < COMP_CWORD; i++)); do
    case \${COMP_WORDS[i]} in
      ${valueSpellings.join('|')}) ((i++)) ;;
      --shell) case \${COMP_WORDS[i+1]} in bash|zsh|fish|sh) ((i++)) ;; esac ;;
      -*) ;;
      *) if [[ -z $cmd ]]; then cmd=\${COMP_WORDS[i]}; at=$i; else ((positional++)); fi ;;
    esac
    [[ $cmd == exec ]] && break
  done
  COMPREPLY=()
  if [[ -z $cmd ]]; then
    COMPREPLY=($(compgen -W "${words.join(' ')} --help --version" -- "$cur"))
    return
  fi
  if [[ $cmd == exec ]] && ((COMP_CWORD > at + 1)); then
    # exec NAME [--] CMD ARGS...: a command name, then files
    local command_at=$((at + 2))
    [[ \${COMP_WORDS[at+2]} == -- ]] && command_at=$((at + 3))
    if ((COMP_CWORD == command_at)); then
      COMPREPLY=($(compgen -c -- "$cur"))
      [[ $cur == -* ]] && COMPREPLY+=(--)
    elif ((COMP_CWORD > command_at)); then
      COMPREPLY=($(compgen -f -- "$cur"))
    fi
    return
  fi
  case $prev in
    --shell) COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur")); return ;;
    -o|--output) COMPREPLY=($(compgen -W "${LIST_FORMATS.join(' ')}" -- "$cur")); return ;;
    --client) COMPREPLY=($(compgen -W "${KNOWN_CLIENTS.join(' ')}" -- "$cur")); return ;;
    -n|--namespace|--duration) return ;;
  esac
  local flags=--help
  case $cmd in
${flagArms}
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
    return
  fi
  case $cmd in
    ${takesNames.join('|')}) COMPREPLY=($(compgen -W "$(__threads_agent_clusters)" -- "$cur")) ;;
    ${takesOneName.join('|')}) ((positional == 0)) && COMPREPLY=($(compgen -W "$(__threads_agent_clusters)" -- "$cur")) ;;
    completion) ((positional == 0)) && COMPREPLY=($(compgen -W "${COMPLETION_SHELLS.join(' ')}" -- "$cur")) ;;
    help) ((positional == 0)) && COMPREPLY=($(compgen -W "${words.join(' ')}" -- "$cur")) ;;
  esac
}
complete -F _threads_agent_cluster_manager cluster-manager cluster-manager.ts

_threads_agent_dev_up() {
  local cur=\${COMP_WORDS[COMP_CWORD]}
  COMPREPLY=()
  case \${COMP_WORDS[COMP_CWORD-1]} in --tag|-t|--name) return ;; esac
  COMPREPLY=($(compgen -W "${DEV_UP_WORDS.join(' ')}" -- "$cur"))
}
complete -F _threads_agent_dev_up dev-up-multi dev-up-multi.ts

# The just recipes: just's own completion (eval "$(JUST_COMPLETE=bash just)", or just --completions
# bash on older versions) completes recipe names; loaded before this, it keeps doing so, and the
# recipes that take a cluster name complete the names.
__threads_agent_re='-F ([^ ]+)'
if [[ $(complete -p just 2>/dev/null) =~ $__threads_agent_re ]] && [[ \${BASH_REMATCH[1]} != _threads_agent_just ]]; then
  __threads_agent_just_spec=$(complete -p just)
  __threads_agent_just_fn=\${BASH_REMATCH[1]}
  _threads_agent_just() {
    local i recipe=
    for ((i = 1; i < COMP_CWORD; i++)); do
      case \${COMP_WORDS[i]} in
        --justfile|-f|--working-directory|-d) ((i++)) ;;
        -*) ;;
        *) recipe=\${COMP_WORDS[i]}; break ;;
      esac
    done
    case $recipe in
      ${NAME_RECIPES.join('|')})
        compopt +o nospace 2>/dev/null
        COMPREPLY=($(compgen -W "$(__threads_agent_clusters)" -- "\${COMP_WORDS[COMP_CWORD]}"))
        return ;;
    esac
    "$__threads_agent_just_fn" "$@"
  }
  eval "\${__threads_agent_just_spec/-F $__threads_agent_just_fn/-F _threads_agent_just}"
fi
`
}

function zsh(): string {
  const flagArms = byFlags().map(([ws, flags]) => `    ${ws.join('|')}) flags=(${flags.join(' ')}) ;;`).join('\n')
  return `#compdef cluster-manager cluster-manager.ts dev-up-multi dev-up-multi.ts
# zsh completion for cluster-manager and dev-up-multi (threads-agent multi-cluster).
# Install (after compinit): source <(cluster-manager completion zsh)   (see README.md)
_threads_agent_clusters() {
  local -a names
  names=("$HOME"/.config/threads-agent/clusters/*.json(N:t:r) "$HOME"/.kube/threads-agent/config-*(N:t))
  print -l -- \${(u)names#config-}
}

_threads_agent_cluster_manager() {
  local cmd=\${words[2]}
  if (( CURRENT == 2 )); then
    compadd -- ${words.join(' ')} --help --version
    return
  fi
  if [[ $cmd == exec ]] && (( CURRENT > 3 )); then
    _command_names
    return
  fi
  case \${words[CURRENT-1]} in
    --shell) compadd -- bash zsh fish; return ;;
    -o|--output) compadd -- ${LIST_FORMATS.join(' ')}; return ;;
    --client) compadd -- ${KNOWN_CLIENTS.join(' ')}; return ;;
    -n|--namespace|--duration) return ;;
  esac
  local -a flags=(--help)
  case $cmd in
${flagArms}
  esac
  if [[ $PREFIX == -* ]]; then
    compadd -- $flags
    return
  fi
  case $cmd in
    ${[...takesNames, ...takesOneName].join('|')}) compadd -- $(_threads_agent_clusters) ;;
    completion) compadd -- ${COMPLETION_SHELLS.join(' ')} ;;
    help) compadd -- ${words.join(' ')} ;;
  esac
}

_threads_agent_dev_up() {
  [[ \${words[CURRENT-1]} == (--tag|-t|--name) ]] && return
  compadd -- ${DEV_UP_WORDS.join(' ')}
}

compdef _threads_agent_cluster_manager cluster-manager cluster-manager.ts
compdef _threads_agent_dev_up dev-up-multi dev-up-multi.ts
`
}

function fish(): string {
  const lines = [
    '# fish completion for cluster-manager and dev-up-multi (threads-agent multi-cluster).',
    '# Install: cluster-manager completion fish > ~/.config/fish/completions/cluster-manager.fish   (see README.md)',
    'function __threads_agent_clusters',
    '    for f in $HOME/.config/threads-agent/clusters/*.json',
    "        string replace -r '^.*/(.*)\\.json$' '$1' -- $f",
    '    end',
    '    for f in $HOME/.kube/threads-agent/config-*',
    "        string replace -r '^.*/config-' '' -- $f",
    '    end',
    'end',
  ]
  for (const prog of ['cluster-manager', 'cluster-manager.ts']) {
    lines.push(`complete -c ${prog} -f`)
    lines.push(`complete -c ${prog} -n __fish_use_subcommand -a '${words.join(' ')}'`)
    lines.push(`complete -c ${prog} -l help -s h -d 'Show help'`)
    lines.push(`complete -c ${prog} -n __fish_use_subcommand -l version -d 'Show the version'`)
    for (const [ws, flags] of byFlags()) {
      const seen = `__fish_seen_subcommand_from ${ws.join(' ')}`
      for (const flag of flags.filter((f) => f !== '--help')) {
        const spelled = flag.startsWith('--') ? `-l ${flag.slice(2)}` : `-s ${flag.slice(1)}`
        const value =
          flag === '--shell' ? " -a 'bash zsh fish'"
          : flag === '-o' || flag === '--output' ? ` -x -a '${LIST_FORMATS.join(' ')}'`
          : flag === '--client' ? ` -x -a '${KNOWN_CLIENTS.join(' ')}'`
          : valueSpellings.includes(flag) ? ' -x'
          : ''
        lines.push(`complete -c ${prog} -n '${seen}' ${spelled}${value}`)
      }
    }
    lines.push(`complete -c ${prog} -n '__fish_seen_subcommand_from ${[...takesNames, ...takesOneName].join(' ')}' -a '(__threads_agent_clusters)'`)
    lines.push(`complete -c ${prog} -n '__fish_seen_subcommand_from completion' -a '${COMPLETION_SHELLS.join(' ')}'`)
  }
  for (const prog of ['dev-up-multi', 'dev-up-multi.ts']) {
    lines.push(`complete -c ${prog} -f -a share`)
    for (const flag of DEV_UP_WORDS.filter((w) => w.startsWith('--'))) lines.push(`complete -c ${prog} -l ${flag.slice(2)}${flag === '--tag' || flag === '--name' ? ' -x' : ''}`)
  }
  lines.push('# just: cluster names after the recipes that take one (just --completions fish completes the recipes).')
  lines.push(`complete -c just -n '__fish_seen_subcommand_from ${NAME_RECIPES.join(' ')}' -f -a '(__threads_agent_clusters)'`)
  return `${lines.join('\n')}\n`
}

/** Pure: the completion script for SHELL. */
export function completionScript(shell: CompletionShell): string {
  return { bash, zsh, fish }[shell]()
}

export async function run(ctx: Context, op: OperationOf<'completion'>): Promise<void> {
  ctx.out.raw(completionScript(op.target))
}
