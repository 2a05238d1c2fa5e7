// The k3d config document of the cluster a run creates (lib/k3dconfig.ts builds it; this says
// what of the project and the run goes in).
import type { ProjectConfig } from '../config.ts'
import { clusterDocument } from '../k3dconfig.ts'
import type { SimpleConfig } from '../k3dconfig.ts'
import type { SharedRegistry } from './registry.ts'

export function documentFor(config: ProjectConfig, name: string, ports: { lb: number; api: number }, registry: SharedRegistry | null): SimpleConfig {
  return clusterDocument({
    name,
    servers: config.servers,
    agents: config.agents,
    lbPort: ports.lb,
    apiPort: ports.api,
    bindAddress: config.bindAddress,
    k3sArgs: config.k3sArgs,
    memory: config.memory,
    registry: registry ? { use: registry.ref, ...(registry.config ? { config: registry.config } : {}) } : null,
    extra: config.k3d,
  })
}
