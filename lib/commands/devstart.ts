import { spawn } from 'node:child_process'
import { BOOTSTRAP_USAGE, bootstrap, parseBootstrapArgs, printPlan } from '../bootstrap.ts'
import { setCurrent } from '../current.ts'
import { OperationError } from '../errors.ts'
import type { OperationOf } from './args.ts'
import type { Context } from './context.ts'
import { setupMcp } from './mcp.ts'
import { exportLine } from '../kubeconfig.ts'

/** Runs the configured deploy command through sh, output streamed, KUBECONFIG set to the new cluster. */
function deploy(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { cwd, env, stdio: ['ignore', 'inherit', 'inherit'] })
    child.once('error', reject)
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)))
  })
}

/**
 * `dev-start [bootstrap words]` (just dev-start-multi): bootstrap-multi, make the cluster
 * current, run the project's deploy command against it, point .mcp.json at it, and say
 * where everything is.
 */
export async function run(ctx: Context, op: OperationOf<'dev-start'>): Promise<void> {
  const opts = parseBootstrapArgs(op.words, ctx.env)
  if (opts === 'help') return ctx.out.raw(`dev-start takes the words of dev-up-multi:\n${BOOTSTRAP_USAGE}`)
  const cwd = process.cwd()
  const { result, topLevel, config } = await bootstrap({ ...opts, json: false }, { cwd, env: ctx.env, paths: ctx.paths, out: ctx.out, runner: ctx.runner })
  if (opts.dryRun) return printPlan(ctx.out, result)
  await setCurrent(ctx.paths, result.name)

  if (config.deploy) {
    ctx.out.log(`Deploying: ${config.deploy}`)
    const code = await deploy(config.deploy, topLevel, { ...ctx.env, KUBECONFIG: result.kubeconfig })
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
