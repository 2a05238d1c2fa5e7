import { quote } from 'zx/core'
import { exportLine } from '../kubeconfig.ts'
import type { Output } from '../output.ts'
import { printable } from '../output.ts'
import type { SimpleConfig } from '../k3dconfig.ts'
import { bindingText } from '../ports.ts'
import { documentYaml as documentText } from '../k3dconfig.ts'

export type Action = 'create' | 'reuse' | 'recreate'

/** The spec's `dev-up-multi --json` object. */
export interface BootstrapResult {
  name: string
  repository: string
  developer: string
  email: string
  email_hash: string
  shared: boolean
  lb_port: number
  api_port: number
  kubeconfig: string
  metadata_file: string
  action: Action
  /** `k3d cluster create` as flags: what the document says, and what a k3d before v5.5 runs ([] for a reuse). */
  k3d_args: string[]
  /** The host address the cluster's ports are published on (k3d's HostIp for one that exists). */
  bind_address: string | null
  /** `k3d-NAME:PORT` of the shared registry the cluster uses, or null. */
  registry: string | null
  /** The k3d config document (k3d.io/v1alpha5 Simple) the cluster is created from; for a reuse, the one --force would use. */
  k3d_config: SimpleConfig | null
  /** Only for a per-work-tree cluster (`--worktree`): the work tree's top-level path. */
  worktree?: string
}

/** "Name <email>", with terminal control characters from git config shown escaped. */
export const developerLine = (r: Pick<BootstrapResult, 'developer' | 'email'>) => printable(`${r.developer} <${r.email}>`)

/** The cluster's details in the old script's and the guide's words, without the export line. */
export function printDetails(out: Output, r: BootstrapResult, headline: string): void {
  out.line()
  out.success(headline)
  out.line()
  out.line('📋 Cluster Details:')
  out.line(`  Repository: ${r.repository}`)
  out.line(`  Developer: ${developerLine(r)}`)
  out.line(`  Cluster: ${r.name}`)
  out.line(`  Type: ${r.shared ? 'Shared' : 'Personal'}`)
  if (r.worktree) out.line(`  Work tree: ${r.worktree}`)
  out.line()
  out.line('🔗 Access Points:')
  out.line(`  LoadBalancer: ${r.lb_port ? `http://localhost:${r.lb_port}` : '(none)'}`)
  out.line(`  API Server: https://localhost:${r.api_port}`)
  if (r.bind_address) out.line(`  Bound to: ${bindingText(r.bind_address)}`)
  if (r.registry) out.line(`  Registry: ${r.registry}`)
}

/** The summary of dev-up-multi: the details, ending with the export line. */
export function printSummary(out: Output, r: BootstrapResult, headline: string): void {
  printDetails(out, r, headline)
  out.line()
  out.line('🔑 Kubeconfig:')
  out.line(`  ${out.c.bold(exportLine(r.kubeconfig))}`)
}

/** The plan of --dry-run in words. */
export function printPlan(out: Output, r: BootstrapResult): void {
  const verb = { create: 'create', reuse: 'reuse (start if stopped, refresh kubeconfig)', recreate: 'delete and recreate' }[r.action]
  out.line(`Dry run: would ${verb} cluster '${r.name}'`)
  out.line(`  Repository: ${r.repository}`)
  out.line(`  Developer: ${developerLine(r)}`)
  out.line(`  Type: ${r.shared ? 'Shared' : 'Personal'}`)
  if (r.worktree) out.line(`  Work tree: ${r.worktree}`)
  out.line(`  LoadBalancer: http://localhost:${r.lb_port}`)
  out.line(`  API Server: https://localhost:${r.api_port}`)
  if (r.bind_address) out.line(`  Bound to: ${bindingText(r.bind_address)}`)
  if (r.registry) out.line(`  Registry: ${r.registry}`)
  out.line(`  Kubeconfig: ${r.kubeconfig}`)
  out.line(`  Metadata: ${r.metadata_file}`)
  if (r.k3d_args.length > 0) out.line(`  Command: k3d ${r.k3d_args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : quote(a))).join(' ')}`)
  if (r.action !== 'reuse' && r.k3d_config) {
    out.line(`  k3d config (what k3d v5.5+ reads on stdin as k3d cluster create ${r.name} --config -; -o yaml prints it alone):`)
    for (const l of configYaml(r).trimEnd().split('\n')) out.line(`    ${l}`)
  }
}

/** `--dry-run -o yaml`: the document alone, with a comment when the cluster exists and stays. */
export function configYaml(r: BootstrapResult): string {
  if (!r.k3d_config) return ''
  const note = r.action === 'reuse' ? `# '${r.name}' exists and is reused as it is; --force would recreate it from this config\n` : ''
  return `${note}${documentText(r.k3d_config)}`
}
