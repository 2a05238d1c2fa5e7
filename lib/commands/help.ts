import type { Context } from './context.ts'

const ME = './scripts/cluster-manager.ts'

export const HELP = `Threads-Agent Cluster Manager: isolated local k3d clusters, one per repository and git identity

Usage: ${ME} <command> [args] [--json]
   or: just cluster-<command> [args]

Commands:
  list, ls [--json]             List all clusters: managed, unmanaged and missing
  switch, use NAME [--shell]    Make NAME the current cluster; prints its export KUBECONFIG line
  switch, use -                 Switch back to the previous cluster
  current [--json]              Show the current cluster
  info NAME [--json]            Show one cluster's details
  delete, rm NAME [--yes|-y]    Delete a cluster with its metadata and kubeconfig
  resources, res [NAME]         Show nodes, namespaces, deployments and services (default: current)
  start NAME                    Start a stopped cluster
  stop NAME                     Stop a cluster (it keeps its ports)
  cleanup                       Remove files of clusters k3d no longer has, and stale port reservations
  doctor                        Check docker, k3d, kubectl, git identity, just and free ports
  mcp-setup                     Point this repository's .mcp.json kubernetes server at the current cluster
  dev-start [WORDS...]          bootstrap (dev-up-multi's words, e.g. share), switch, deploy, mcp-setup
  help, -h, --help              Show this help

Options:
  --json      Machine-readable output on stdout, nothing else there (list, current, info)
  --shell     Print only the export line, for eval (switch)
  -y, --yes   Delete without asking; required when stdin is not a terminal (delete)

Examples:
  ${ME} list                          # List all clusters
  ${ME} switch threads-john           # Switch to john's cluster
  eval "$(${ME} switch threads-john --shell)"   # ...and point this shell at it
  ${ME} switch -                      # Back to the previous cluster
  ${ME} current                       # Show current cluster
  ${ME} resources                     # Show resources in current cluster
  ${ME} delete threads-test --yes     # Delete test cluster without asking

Exit codes: 0 done, 1 the operation failed, 2 usage error`

export async function run(ctx: Context): Promise<void> {
  ctx.out.line(HELP)
}
