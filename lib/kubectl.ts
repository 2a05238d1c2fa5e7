import { OperationError } from './errors.ts'
import type { Runner, RunResult } from './proc.ts'
import { run as realRun } from './proc.ts'

/** Label values: at most 63 of [A-Za-z0-9._-], alphanumeric at both ends (or empty). */
export function labelValue(raw: string): string {
  const cleaned = raw.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 63)
  return cleaned.replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '')
}

/** A ConfigMap manifest for `kubectl apply -f -` (create-or-update in one call; JSON is YAML). */
export function configMapManifest(name: string, namespace: string, data: Record<string, string>): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data })
}

/** The line of kubectl's error output that says what went wrong (`error: ...` prefix dropped). */
export function kubectlErrorLine(result: RunResult): string {
  const lines = `${result.stderr}\n${result.stdout}`.split('\n').map((l) => l.trim()).filter((l) => l !== '')
  const line = lines.find((l) => /^error:|refused|Unable to connect|no such host/i.test(l)) ?? lines[0]
  return line ? line.replace(/^(Error|error):\s*/, '') : `exit code ${result.code}`
}

/** kubectl, always with an explicit --kubeconfig so no default kubeconfig is read or written. */
export class Kubectl {
  constructor(
    readonly kubeconfig: string,
    private readonly run: Runner = realRun,
  ) {}

  private async call(args: string[], input?: string): Promise<RunResult> {
    const result = await this.run('kubectl', ['--kubeconfig', this.kubeconfig, ...args], { input })
    if (result.code === 127) throw new OperationError('kubectl is not installed (not on PATH)')
    return result
  }

  private async must(action: string, args: string[], input?: string): Promise<string> {
    const r = await this.call(args, input)
    if (r.code !== 0) throw new OperationError(`kubectl ${action} failed: ${kubectlErrorLine(r)}`)
    return r.stdout
  }

  async ready(): Promise<boolean> {
    return (await this.call(['--request-timeout=2s', 'get', '--raw=/readyz'])).code === 0
  }

  async labelAllNodes(labels: Record<string, string>): Promise<void> {
    const pairs = Object.entries(labels).map(([k, v]) => `${k}=${v}`)
    await this.must('label nodes', ['label', 'nodes', '--all', ...pairs, '--overwrite'])
  }

  async applyConfigMap(name: string, namespace: string, data: Record<string, string>): Promise<void> {
    await this.must(`apply configmap ${name}`, ['apply', '-f', '-'], configMapManifest(name, namespace, data))
  }

  /** `kubectl apply -f -` of MANIFEST (JSON or YAML, a List too); WHAT names it in errors. */
  async apply(what: string, manifest: string): Promise<void> {
    await this.must(`apply ${what}`, ['apply', '-f', '-'], manifest)
  }

  /**
   * A token of service account SA in NAMESPACE, valid SECONDS (`kubectl create token`; it prints the
   * token alone, without a newline when stdout is not a terminal: create_token.go).
   */
  async createToken(namespace: string, sa: string, seconds: number): Promise<string> {
    const token = (await this.must(`create token ${sa}`, ['create', 'token', sa, '--namespace', namespace, '--duration', `${seconds}s`])).trim()
    if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)) throw new OperationError(`kubectl create token ${sa} printed no token`)
    return token
  }

  /** Raw text of `kubectl get ...` for the resources view. */
  async get(args: string[]): Promise<string> {
    return this.must(`get ${args[0]}`, ['get', ...args])
  }
}
