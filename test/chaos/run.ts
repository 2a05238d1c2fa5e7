// `npm run test:chaos`: the adversarial suite in full (see harness.ts). Environment:
//   CHAOS_SEED         replay a run (printed at the start); default: a fresh one
//   CHAOS_RUNS         attacked runs per attack (default 50)
//   CHAOS_ROUNDS       rounds of the two concurrency groups (default 3)
//   CHAOS_ONLY         what to run, comma-separated: attacks (SIGINT, SIGTERM, SIGHUP, SIGKILL,
//                      EPIPE, delete) and groups (identities, wait)
//   CHAOS_CONCURRENCY  attacked runs at once (default 2)
// Prints `attack | runs | violations` and exits 1 on any violation.
import { ATTACKS, GROUPS, runChaos, table } from './harness.ts'

const int = (name: string, fallback: number) => {
  const n = Number(process.env[name])
  return process.env[name] !== undefined && Number.isInteger(n) && n >= 0 ? n : fallback
}
const seed = int('CHAOS_SEED', Math.floor(Math.random() * 2 ** 31))
const only = process.env.CHAOS_ONLY ? new Set(process.env.CHAOS_ONLY.split(',').map((s) => s.trim())) : undefined
const known = new Set<string>([...ATTACKS, ...GROUPS])
for (const name of only ?? []) {
  if (!known.has(name)) {
    process.stderr.write(`CHAOS_ONLY: unknown attack '${name}' (known: ${[...known].join(', ')})\n`)
    process.exit(2)
  }
}
const runs = int('CHAOS_RUNS', 50)
const rounds = int('CHAOS_ROUNDS', 3)
process.stdout.write(`chaos: seed ${seed} (replay with CHAOS_SEED=${seed}), ${runs} runs per attack, ${rounds} round(s) per group\n`)
const started = Date.now()
const { rows, violations } = await runChaos({
  seed,
  runs,
  rounds,
  only,
  concurrency: Math.max(1, int('CHAOS_CONCURRENCY', 2)),
  log: (line) => process.stdout.write(`  ${line}\n`),
})
process.stdout.write(`\n${table(rows)}\n\n`)
for (const v of violations) process.stdout.write(`violation: ${v.attack} #${v.iteration}: ${v.what}\n`)
process.stdout.write(`${violations.length === 0 ? 'no violations' : `${violations.length} violation(s); replay with CHAOS_SEED=${seed}`} in ${Math.round((Date.now() - started) / 1000)}s\n`)
process.exitCode = violations.length === 0 ? 0 : 1
