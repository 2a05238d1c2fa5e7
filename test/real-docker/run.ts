// `npm run test:docker`: the real-docker tier. Starts a private dockerd for this run only
// (daemon.ts), makes a busybox image with `docker import`, runs the tier's test files against
// it, stops the daemon by its pid, runs the files that check the product with the daemon gone,
// and removes everything it made: also on failure, Ctrl-C or SIGTERM.
// Where the machine cannot run a daemon (no dockerd, not root) every test is reported skipped,
// with one line saying why and how to get it; exit 0.
// `-- --record` also writes what the daemon answered to test/fixtures/real/docker-X.Y.json.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import path from 'node:path'
import { importBusybox, missingPrerequisite, reapLeftovers, startPrivateDaemon } from './daemon.ts'
import type { PrivateDaemon } from './daemon.ts'
import { startRegistry } from './registry.ts'
import type { Registry } from './registry.ts'
import { recordingFile, REPO_ROOT } from './tier.ts'

const HERE = import.meta.dirname
const WITH_DAEMON = ['images.docker.ts', 'ports.docker.ts', 'bootstrap.docker.ts', 'machine.docker.ts']
const AFTER_STOP = ['stopped.docker.ts']
const record = process.argv.includes('--record')

/** The test run under way, stopped with us on a signal (a terminal's Ctrl-C reaches it anyway; a kill of our pid alone does not). */
let tests: ChildProcess | null = null

function runTests(files: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const args = ['--import', 'tsx', '--test', '--test-concurrency=1', ...files.map((f) => path.join(HERE, f))]
  return new Promise((resolve) => {
    const child = (tests = spawn(process.execPath, args, { stdio: 'inherit', env: { ...process.env, ...env } }))
    child.on('exit', (code, signal) => {
      tests = null
      resolve(code ?? (signal ? 1 : 0))
    })
  })
}

let daemon: PrivateDaemon | null = null
let registry: Registry | null = null
let cleaning: Promise<void> | null = null
const cleanup = () => (cleaning ??= (async () => {
  await registry?.stop()
  await daemon?.remove()
})())

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
  process.on(signal, () => {
    tests?.kill(signal)
    void cleanup().finally(() => process.exit(code))
  })
}

async function main(): Promise<number> {
  const missing = await missingPrerequisite()
  if (missing) {
    console.log(`real-docker tier skipped: ${missing}`)
    return runTests([...WITH_DAEMON, ...AFTER_STOP], { REAL_DOCKER_SKIP: missing })
  }
  for (const left of reapLeftovers()) console.log(`real-docker tier: removed what an earlier run left behind: ${left}`)
  daemon = await startPrivateDaemon()
  const version = (await daemon.docker(['version', '--format', '{{.Server.Version}}'])).stdout.trim()
  const cli = (await daemon.docker(['version', '--format', '{{.Client.Version}}'])).stdout.trim()
  const image = 'mc-tier/busybox:1'
  await importBusybox(daemon, image)
  const network = 'mc-tier'
  // --bridge=none leaves no default network to publish ports on: -p needs a user-defined one
  const net = await daemon.docker(['network', 'create', network])
  if (net.code !== 0) throw new Error(`docker network create failed: ${net.stderr.trim()}`)
  registry = await startRegistry(daemon.dir)
  console.log(`real-docker tier: private dockerd ${version} (pid ${daemon.pid}) at ${daemon.host}${registry ? `, registry at ${registry.host}` : ''}`)
  const env = {
    REAL_DOCKER_HOST: daemon.host,
    REAL_DOCKER_DIR: daemon.dir,
    REAL_DOCKER_IMAGE: image,
    REAL_DOCKER_NETWORK: network,
    REAL_DOCKER_REGISTRY: registry?.host ?? '',
    REAL_DOCKER_REGISTRY_SKIP: registry ? '' : 'no docker-registry on PATH (apt-get install -y docker-registry): digest references are checked absent only',
    REAL_DOCKER_SERVER_VERSION: version,
    REAL_DOCKER_RECORD: record ? '1' : '',
  }
  const first = await runTests(WITH_DAEMON, env)
  await registry?.stop()
  await daemon.stop()
  const second = await runTests(AFTER_STOP, env)
  if (record) writeRecording(daemon, version, cli)
  return first || second
}

/** Merges this run's captures into the recording for this daemon version. */
function writeRecording(d: PrivateDaemon, version: string, cli: string): void {
  const dir = path.join(d.dir, 'captures')
  const captures: Record<string, unknown> = {}
  for (const f of existsSync(dir) ? readdirSync(dir).sort() : []) captures[f.replace(/\.json$/, '')] = JSON.parse(readFileSync(path.join(dir, f), 'utf8'))
  const file = recordingFile(version)
  mkdirSync(path.dirname(file), { recursive: true })
  const doc = {
    about: 'What a real Docker daemon answered to the real-docker tier (test/real-docker), recorded by `npm run test:docker -- --record`; every run of the tier checks the daemon still answers the same. Values that change from run to run are <<name>> (<<id>>: a 64-hex object ID). Image inspect stdout is reduced to each listed image\'s RepoTags and RepoDigests.',
    source: `a private dockerd ${version} (Debian docker.io) driven by the docker CLI ${cli}`,
    daemon: version,
    recorded: new Date().toISOString().slice(0, 10),
    captures,
  }
  writeFileSync(file, JSON.stringify(doc, null, 2) + '\n')
  console.log(`real-docker tier: recorded ${Object.keys(captures).length} exchanges in ${path.relative(REPO_ROOT, file)}`)
}

let code = 1
try {
  code = await main()
} catch (err) {
  console.error(`real-docker tier failed: ${(err as Error).message}`)
} finally {
  await cleanup()
}
process.exit(code)
