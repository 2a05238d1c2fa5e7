import { BOOTSTRAP_USAGE, bootstrap, parseBootstrapArgs, printDetails, printPlan } from '../bootstrap/index.ts'
import { setCurrent } from '../current.ts'
import { OperationError } from '../errors.ts'
import type { OperationOf } from './args.ts'
import type { Context } from './context.ts'
import { setupMcp } from './mcp.ts'
import { exportLine } from '../kubeconfig.ts'

/**
 * `dev-start [bootstrap words]` (just dev-start-multi): bootstrap-multi, make the cluster
 * current, run the project's deploy command against it, point .mcp.json at it, and say
 * where everything is (the export line once, at the end).
 */
export async function run(ctx: Context, op: OperationOf<'dev-start'>): Promise<void> {
  const opts = parseBootstrapArgs(op.words, ctx.env)
  if (opts === 'help') return ctx.out.raw(`dev-start takes the words of dev-up-multi:\n${BOOTSTRAP_USAGE}`)
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

  const mcp = await setupMcp(ctx, { worktree: topLevel, config, name: result.name })
  ctx.out.log(`${mcp.file}: kubernetes server ${mcp.changed ? 'now uses' : 'already uses'} this cluster (through ${mcp.kubeconfig})`)
  ctx.out.line()
  ctx.out.success(`Ready: ${result.name}`)
  ctx.out.line(`  LoadBalancer: http://localhost:${result.lb_port}`)
  ctx.out.line(`  API Server: https://localhost:${result.api_port}`)
  ctx.out.line(`  ${exportLine(result.kubeconfig)}`)
}
