// `npm run test:k3d`: the end-to-end suite against real k3d and Docker, in one command.
// k3d must be on PATH (and able to pull its rancher/k3s and k3d-proxy images). The Docker daemon
// is the one that answers (DOCKER_HOST or the default socket); when none does and this is a root
// shell with dockerd, a private daemon is started for the run with the real-docker tier's helper
// (test/real-docker/daemon.ts; with NAT, as k3s nodes need the network) and stopped by its pid
// at the end, also on failure or Ctrl-C. Otherwise every test is reported skipped with one line
// saying why; exit 0.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import path from 'node:path'
import { $, which } from 'zx'
import { missingPrerequisite, startPrivateDaemon } from '../real-docker/daemon.ts'
import type { PrivateDaemon } from '../real-docker/daemon.ts'

const FILES = ['e2e.k3d.ts'].map((f) => path.join(import.meta.dirname, f))

/** The test run under way, stopped with us on a signal. */
let tests: ChildProcess | null = null

function runTests(env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = (tests = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...FILES], { stdio: 'inherit', env: { ...process.env, ...env } }))
    child.on('exit', (code, signal) => {
      tests = null
      resolve(code ?? (signal ? 1 : 0))
    })
  })
}

/** The private daemon, when this run started one (read from the signal handlers and at the end). */
const started: { daemon: PrivateDaemon | null } = { daemon: null }
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
  process.on(signal, () => {
    tests?.kill(signal)
    void (started.daemon?.remove() ?? Promise.resolve()).finally(() => process.exit(code))
  })
}

async function main(): Promise<number> {
  if (!(await which('k3d', { nothrow: true }))) {
    const why = 'k3d is not on PATH; install k3d v5+ (https://k3d.io) on a machine with Docker that can pull the rancher/k3s image'
    console.log(`real-k3d suite skipped: ${why}`)
    return runTests({ REAL_K3D_SKIP: why })
  }
  const ambient = await $({ quiet: true, nothrow: true })`docker info`
  if (ambient.exitCode === 0) return runTests({ REAL_K3D_RUNNER: '1' })
  const missing = await missingPrerequisite()
  if (missing) {
    const why = `no Docker daemon answers (${ambient.stderr.trim().split('\n')[0] || 'docker info failed'}) and none can be started here: ${missing}`
    console.log(`real-k3d suite skipped: ${why}`)
    return runTests({ REAL_K3D_SKIP: why })
  }
  const daemon = (started.daemon = await startPrivateDaemon({ nat: true }))
  console.log(`real-k3d suite: private dockerd (pid ${daemon.pid}) at ${daemon.host}`)
  return runTests({ REAL_K3D_RUNNER: '1', ...daemon.env })
}

let code = 1
try {
  code = await main()
} catch (err) {
  console.error(`real-k3d suite failed: ${(err as Error).message}`)
} finally {
  await started.daemon?.remove()
}
process.exit(code)
