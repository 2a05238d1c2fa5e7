// A bootstrap's warm-up for its startup snapshot (see lib/warm.ts): what cluster-manager's
// commands share, plus the bootstrap's arguments and the cluster's k3d document. Pure.
import { DEFAULT_CONFIG } from '../config.ts'
import { documentYaml } from '../k3dconfig.ts'
import { warmCommands } from '../warm.ts'
import { parseBootstrapArgs } from './args.ts'
import { documentFor } from './document.ts'

export async function warmBootstrap(): Promise<void> {
  await warmCommands()
  parseBootstrapArgs([])
  documentYaml(documentFor(DEFAULT_CONFIG, 'warm-up', { lb: 8080, api: 6445 }, null))
}
