import { BOOTSTRAP_USAGE, bootstrap, parseBootstrapArgs, printDetails, printPlan } from '../bootstrap/index.ts'
import { setCurrent } from '../current.ts'
import { OperationError } from '../errors.ts'
import type { OperationOf } from './args.ts'
import type { Context } from './context.ts'
import { setupMcp } from './mcp.ts'
import { exportLine } from '../kubeconfig.ts'
import { DEFAULT_TOKEN_DURATION, parseTokenDuration } from '../access.ts'
import { UsageError } from '../errors.ts'
import { validateNamespace } from '../names.ts'
import { makeCredentials } from './credentials.ts'

/**
 * Pure: `--namespace NS` (`-n NS`, `--namespace=NS`) taken out of dev-start's words, validated;
 * the rest are dev-up-multi's.
 */
export function splitNamespace(words: readonly string[]): { namespace: string | null; rest: string[] } {
  const rest: string[] = []
  let namespace: string | null = null
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!
    if (w === '--namespace' || w === '-n') {
      const value = words[i + 1]
      if (value === undefined) throw new UsageError(`${w} needs a value: dev-start-multi share --namespace NS`)
      namespace = validateNamespace(value)
      i++
    } else if (w.startsWith('--namespace=')) namespace = validateNamespace(w.slice('--namespace='.length))
    else rest.push(w)
  }
  return { namespace, rest }
}

/**
 * `dev-start [bootstrap words] [--namespace NS]` (just dev-start-multi): bootstrap-multi, make the
 * cluster current, run the project's deploy command against it, point .mcp.json at it, and say
 * where everything is (the export line once, at the end). With `--namespace NS` (an agent on the
 * shared cluster) the work tree gets edit credentials for NS only, and its kubeconfig and MCP
 * server use them.
 */
export async function run(ctx: Context, op: OperationOf<'dev-start'>): Promise<void> {
  const { namespace, rest } = splitNamespace(op.words)
  const opts = parseBootstrapArgs(rest, ctx.env)
  if (opts === 'help') return ctx.out.raw(`dev-start takes the words of dev-up-multi, and --namespace NS (edit credentials for namespace NS only, used by this work tree's kubeconfig and MCP server):\n${BOOTSTRAP_USAGE}`)
  if (opts.output) throw new UsageError('dev-start prints a plan, not a config: for the k3d config alone use bootstrap-multi --dry-run -o yaml')
  const cwd = process.cwd()
  const deps = { cwd, env: ctx.env, paths: ctx.paths, out: ctx.out, runner: ctx.runner, signal: ctx.signal }
  const { result, headline, topLevel, config } = await bootstrap({ ...opts, json: false }, deps)
  if (opts.dryRun) return printPlan(ctx.out, result)
  printDetails(ctx.out, result, headline)
  await setCurrent(ctx.paths, result.name)

  if (config.deploy) {
    ctx.out.log(`Deploying: ${config.deploy}`)
    // Through the runner like every program: streamed, and killed with us on Ctrl-C or SIGTERM.
    const stream = ctx.out.machine ? 'stderr' : 'inherit'
    const { code } = await ctx.runner('sh', ['-c', config.deploy], { cwd: topLevel, env: { KUBECONFIG: result.kubeconfig }, stream })
    if (code !== 0) throw new OperationError(`deploy command failed (exit ${code}): ${config.deploy}`, `the cluster is up; fix the deploy and rerun just dev-start-multi`)
  } else {
    ctx.out.log('No deploy command configured ("deploy" in multi-cluster.config.json); skipping deploy')
  }

  const scoped = namespace ? await makeCredentials(ctx, result.name, { namespace, access: 'edit', duration: parseTokenDuration(DEFAULT_TOKEN_DURATION) }) : null
  // The work tree's choice records the namespace, so its switch, current and mcp-setup agree with this.
  if (namespace) await setCurrent(ctx.paths, result.name, { worktree: topLevel, namespace })
  const mcp = await setupMcp(ctx, { worktree: topLevel, config, name: result.name, namespace })
  ctx.out.log(`${mcp.file}: kubernetes server ${mcp.changed ? 'now uses' : 'already uses'} this cluster (through ${mcp.kubeconfig})`)
  ctx.out.line()
  ctx.out.success(`Ready: ${result.name}`)
  ctx.out.line(`  LoadBalancer: http://localhost:${result.lb_port}`)
  ctx.out.line(`  API Server: https://localhost:${result.api_port}`)
  if (scoped) {
    ctx.out.line(`  Namespace: ${scoped.namespace} (edit only there, until ${scoped.expires_at ?? 'the token expires'})`)
    ctx.out.line(`  ${exportLine(scoped.kubeconfig)}`)
  } else ctx.out.line(`  ${exportLine(result.kubeconfig)}`)
}
