import { quote } from 'zx/core'
import { exportLine } from '../kubeconfig.ts'
import type { Output } from '../output.ts'
import { printable } from '../output.ts'

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
  k3d_args: string[]
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
  out.line(`  Kubeconfig: ${r.kubeconfig}`)
  out.line(`  Metadata: ${r.metadata_file}`)
  if (r.k3d_args.length > 0) out.line(`  Command: k3d ${r.k3d_args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : quote(a))).join(' ')}`)
}
