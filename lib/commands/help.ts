import { commandLine, invocation } from '../invocation.ts'
import type { OperationKind, OperationOf } from './args.ts'
import type { Context } from './context.ts'

/** Per command: its usage lines (after the program), what it does, its options. */
interface Topic {
  usage: string[]
  about: string
  options?: string[]
}

const TOPICS: Record<OperationKind, Topic> = {
  help: { usage: ['help [COMMAND]', 'COMMAND --help'], about: 'Show the commands, or one command in detail.' },
  version: { usage: ['version [--json]', '--version'], about: 'Show the project version, the Node version and how this script runs.' },
  list: {
    usage: ['list [-o table|name|json] [--no-headers] [--json]'],
    about: 'List every k3d cluster and every metadata file: managed, unmanaged and missing, the current one marked.',
    options: [
      '-o table      one line per cluster: NAME STATUS TYPE LB API CURRENT (like k3d cluster list)',
      '-o name       names only, one per line',
      '-o json       the same as --json: an array of cluster objects',
      '--no-headers  no header line in -o table',
    ],
  },
  current: {
    usage: ['current [--json | --name|-q]'],
    about:
      'Show the current cluster, from files only (no k3d call): the one $KUBECONFIG selects, else the one switched to in\n' +
      'this git work tree, else the one your git identity bootstrapped here (personal, then shared), else the last switch.',
    options: ['--name, -q    print only the name (for prompts); nothing and exit 1 when there is none', '--json        the cluster as a JSON object, or null'],
  },
  info: { usage: ['info NAME [--json]'], about: "Show one cluster's details (managed or not)." },
  switch: {
    usage: ['switch NAME [--namespace NS] [--shell [bash|zsh|fish]] [-v]', 'switch -', 'switch'],
    about:
      "Make NAME current in this git work tree (and outside any), writing its kubeconfig, and print its export line.\n" +
      "'-' returns to this work tree's previous cluster; no NAME opens a picker on a terminal (else lists the names, exit 2).",
    options: [
      '--shell [SHELL]  print only the line for SHELL (bash, zsh: export; fish: set -gx), for eval',
      '-v, --verbose    also show the cluster details',
      "-n, --namespace NS  use NAME's credentials for namespace NS (made by 'credentials') instead of its admin kubeconfig",
    ],
  },
  delete: {
    usage: ['delete NAME... [--yes|-y]'],
    about:
      'Delete clusters with their metadata, kubeconfigs and pointers. Asks on a terminal (no: exit 1); without one\n' +
      "--yes is required. A cluster already gone everywhere is 'nothing to delete' (exit 0).",
    options: ['-y, --yes     delete without asking'],
  },
  resources: { usage: ['resources [NAME]'], about: 'Show nodes, namespaces, deployments and services of NAME (default: the current cluster).' },
  cleanup: {
    usage: ['cleanup [--yes] [--registry]'],
    about:
      'Remove files of clusters k3d no longer has, stale port reservations and choices of removed work trees.\n' +
      'Clusters made for a work tree (--worktree) that no longer exists are listed; --yes deletes them.',
    options: ['-y, --yes     delete the clusters of work trees that are gone', '--registry    also remove the shared image registry when no cluster uses it'],
  },
  start: { usage: ['start NAME...'], about: 'Start stopped clusters (a port taken meanwhile is named with what holds it).' },
  stop: { usage: ['stop NAME...'], about: 'Stop clusters; they keep their ports.' },
  exec: {
    usage: ['exec NAME [--namespace NS] -- CMD [ARGS...]'],
    about: "Run CMD with KUBECONFIG set to NAME's kubeconfig (and THREADS_AGENT_CLUSTER=NAME); its exit status is passed through.",
    options: ["-n, --namespace NS  use NAME's credentials for namespace NS (made by 'credentials'); before the command only"],
  },
  shell: {
    usage: ['shell NAME [--namespace NS]'],
    about: "Open $SHELL with KUBECONFIG set to NAME's kubeconfig, THREADS_AGENT_CLUSTER=NAME and (NAME) before the prompt. Exit it to leave.",
    options: ["-n, --namespace NS  use NAME's credentials for namespace NS (made by 'credentials')"],
  },
  credentials: {
    usage: ['credentials [NAME] --namespace NS [--read-only] [--duration 24h] [--json]'],
    about:
      "Credentials for one namespace of NAME (default: the current cluster), for an agent: creates the namespace if needed, a\n" +
      "ServiceAccount bound to the built-in ClusterRole 'edit' ('view' with --read-only) in NS only, a token from\n" +
      'kubectl create token, and a 0600 kubeconfig ~/.kube/threads-agent/credentials/NAME/config-NS on NS.\n' +
      'Run it again for a fresh token. exec, shell, switch and mcp-setup use it with --namespace NS.',
    options: [
      '-n, --namespace NS  the namespace (a DNS-1123 label, not kube-*)',
      '--read-only         bind view instead of edit: read, never write',
      '--duration D        how long the token lives (Go durations: 90m, 24h, 168h; at least 10m; default 24h)',
      '--json              print {cluster, namespace, service_account, role, kubeconfig, expires_at}',
    ],
  },
  completion: {
    usage: ['completion bash|zsh|fish'],
    about: 'Print the completion script (commands, flags, cluster names) for SHELL; see README.md to install it.',
  },
  doctor: {
    usage: ['doctor [--json]'],
    about: 'Check docker, k3d, kubectl, git identity, just, free ports, and what many clusters need of the machine:\nthe container runtime, memory, inotify limits, docker network pools and the shared registry.',
    options: ['--json        the checks as a JSON object'],
  },
  registry: {
    usage: ['registry [status] [--json]', 'registry delete [--force]'],
    about:
      'The image registry every cluster shares ("registry" in multi-cluster.config.json): its address, the clusters\n' +
      'using it and its images; or remove it (refused while clusters use it, unless --force).',
    options: ['--json        the status as a JSON object', '--force       delete even while clusters use it'],
  },
  'mcp-setup': {
    usage: ['mcp-setup [--client claude|cursor|vscode] [--read-only|--non-destructive|--read-write] [--namespace NS] [--force]'],
    about:
      "Point the MCP Kubernetes server of this work tree's client file (.mcp.json, .cursor/mcp.json or .vscode/mcp.json) at\n" +
      "this work tree's kubeconfig ~/.kube/threads-agent/worktree-HASH, which 'switch' here rewrites: the server follows\n" +
      'switches and the file stays the same. The server is "mcp" of multi-cluster.config.json (default mcp-server-kubernetes@4).',
    options: [
      '--client C          claude: .mcp.json (default); cursor: .cursor/mcp.json; vscode: .vscode/mcp.json',
      "--read-only         only the server's read tools (mcp-server-kubernetes: ALLOW_ONLY_READONLY_TOOLS; kubernetes-mcp-server: --read-only)",
      '--non-destructive   no delete tools (ALLOW_ONLY_NON_DESTRUCTIVE_TOOLS; --disable-destructive)',
      '--read-write        lift either; without any of the three the mode the entry has is kept',
      "-n, --namespace NS  use the current cluster's credentials for NS (made by 'credentials') instead of the work tree's kubeconfig",
      '--force             rewrite a file that git tracks (it would commit a path of this machine)',
    ],
  },
  'dev-start': { usage: ['dev-start [WORDS...]'], about: "bootstrap (dev-up-multi's words, e.g. share), switch, deploy, mcp-setup." },
}

/** The overview, with ME the way the user runs this script. */
export function helpText(me: string): string {
  return `Threads-Agent Cluster Manager: isolated local k3d clusters, one per repository and git identity

Usage: ${me} <command> [args] [--json]
   or: just cluster-<command> [args]

Commands:
  list, ls [-o table|name|json]  List all clusters: managed, unmanaged and missing
  switch, use NAME [--shell]     Make NAME the current cluster; prints its export KUBECONFIG line
  switch, use -                  Switch back to the previous cluster (of this work tree)
  switch, use                    Pick a cluster (on a terminal)
  current [--json|--name]        Show the current cluster
  info NAME [--json]             Show one cluster's details
  delete, rm NAME... [--yes|-y]  Delete clusters with their metadata and kubeconfigs
  resources, res [NAME]          Show nodes, namespaces, deployments and services (default: current)
  start NAME...                  Start stopped clusters
  stop NAME...                   Stop clusters (they keep their ports)
  exec NAME -- CMD [ARGS...]     Run a command against NAME (KUBECONFIG set for it alone)
  shell NAME                     Open a shell whose kubectl talks to NAME
  credentials [NAME] -n NS       A token and kubeconfig for namespace NS only (edit, or view with --read-only)
  cleanup [--registry]           Remove files of clusters k3d no longer has, and stale port reservations
  doctor [--json]                Check the tools, free ports, and the machine's limits for many clusters
  registry [status|delete]       Show or remove the image registry the clusters share
  mcp-setup [--read-only]        Point this work tree's .mcp.json kubernetes server at its current cluster
  dev-start [WORDS...]           bootstrap (dev-up-multi's words, e.g. share), switch, deploy, mcp-setup
  completion bash|zsh|fish       Print a shell completion script
  version, --version             Show the version, Node and how this runs
  help [COMMAND], -h, --help     Show this help, or COMMAND's

Options:
  --json      Machine-readable output on stdout, nothing else there (list, current, info, version, doctor, registry)
  --shell     Print only the export line, for eval (switch)
  -y, --yes   Delete without asking; required when stdin is not a terminal (delete)
  -n, --namespace NS  Use the credentials of namespace NS (switch, exec, shell, mcp-setup; credentials makes them)

Examples:
  ${me} list                          # List all clusters
  ${me} switch threads-john           # Switch to john's cluster
  eval "$(${me} switch threads-john --shell)"   # ...and point this shell at it
  ${me} switch -                      # Back to the previous cluster
  ${me} current                       # Show current cluster
  ${me} exec threads-john -- kubectl get nodes
  ${me} resources                     # Show resources in current cluster
  ${me} delete threads-test --yes     # Delete test cluster without asking

Exit codes: 0 done, 1 the operation failed, 2 usage error (exec: the command's own status)`
}

/** Help of one command, with ME the way the user runs this script and JUST its recipe form, if any. */
export function topicText(topic: OperationKind, me: string, recipe: string | null): string {
  const t = TOPICS[topic]
  const lines = t.usage.map((u, i) => `${i === 0 ? 'Usage:' : '      '} ${me} ${u}`)
  if (recipe) lines.push(`   or: ${recipe}`)
  lines.push('', t.about)
  if (t.options) lines.push('', 'Options:', ...t.options.map((o) => `  ${o}`))
  return lines.join('\n')
}

/** The overview as the reference (cluster-manager on PATH). */
export const HELP = helpText('cluster-manager')

export async function run(ctx: Context, op: OperationOf<'help'>): Promise<void> {
  const inv = invocation(ctx.env)
  if (!op.topic) return ctx.out.line(helpText(inv.manager))
  const recipe = inv.just ? commandLine(inv, op.topic, '...') : null
  ctx.out.line(topicText(op.topic, inv.manager, recipe && !recipe.startsWith(inv.manager) ? recipe : null))
}
