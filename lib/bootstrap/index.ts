/**
 * The bootstrap (dev-up-multi): its command line (args), the pure plan, the steps with their
 * undos, the runner that carries them out, and the summary. See docs/architecture.md.
 */
export { BOOTSTRAP_USAGE, parseBootstrapArgs } from './args.ts'
export type { BootstrapOptions } from './args.ts'
export { bootstrap } from './flow.ts'
export type { BootstrapDeps, Bootstrapped } from './flow.ts'
export { configYaml, printDetails, printPlan, printSummary } from './summary.ts'
export type { Action, BootstrapResult } from './summary.ts'
