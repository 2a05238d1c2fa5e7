// Work done once while tools/build.mjs builds a startup snapshot (runMain's WARM argument), so
// that the functions every run needs are already compiled in the snapshot: V8 keeps the bytecode
// of what ran while it was built, and compiles the rest on first call in every run. YAML was the
// largest part (~35 ms of a bootstrap's own time; docs/performance.md, "The snapshot").
// Pure on purpose: no file, no process, no environment, no clock; fixed inputs in k3d's shapes;
// zx's `$` runs once with a stand-in child (lib/proc.ts, warmRunner) and its settings restored.
// A bootstrap's own warm-up is lib/bootstrap/warm.ts.
import { parseClusterList } from './k3d.ts'
import { currentContext, rewriteKubeconfig } from './kubeconfig.ts'
import { warmRunner } from './proc.ts'

/** `k3d kubeconfig get NAME` as k3d v5 prints it (certificates shortened). */
const KUBECONFIG = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: Q0E=
    server: https://0.0.0.0:6445
  name: k3d-warm-up
contexts:
- context:
    cluster: k3d-warm-up
    user: admin@k3d-warm-up
  name: k3d-warm-up
current-context: k3d-warm-up
kind: Config
preferences: {}
users:
- name: admin@k3d-warm-up
  user:
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
`

/** One cluster of `k3d cluster list -o json`: a server and its load balancer. */
const CLUSTER_LIST = JSON.stringify([
  {
    name: 'warm-up',
    serversRunning: 1,
    serversCount: 1,
    agentsRunning: 0,
    agentsCount: 0,
    nodes: [
      { role: 'server', State: { Running: true }, portMappings: {}, serverOpts: { kubeAPI: { Binding: { HostIp: '127.0.0.1', HostPort: '6445' } } } },
      { role: 'loadbalancer', State: { Running: true }, portMappings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], '6443/tcp': [{ HostIp: '127.0.0.1', HostPort: '6445' }] } },
    ],
  },
])

/** What cluster-manager's commands share: k3d's list, the kubeconfigs (YAML), a program's start. */
export async function warmCommands(): Promise<void> {
  parseClusterList(CLUSTER_LIST)
  currentContext(rewriteKubeconfig(KUBECONFIG, 'warm-up', 6445))
  await warmRunner()
}
