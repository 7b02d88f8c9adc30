// K3s on a deployed cluster: bootstrap, uninstall, NFS storage.
import type { CommandRegistry } from '../registry';
import { registerK3sBootstrapCommands } from './bootstrap';
import { registerK3sNfsCommand } from './nfs';
import type { K3sDeps } from './target';
import { registerK3sUninstallCommand } from './uninstall';

export type { K3sDeps, K3sTuning } from './target';

export function registerK3sCommands(registry: CommandRegistry, deps: K3sDeps & { storageManifestsDir: string }): void {
  registerK3sBootstrapCommands(registry, deps);
  registerK3sUninstallCommand(registry, deps);
  registerK3sNfsCommand(registry, deps);
}
