import { registerApplicationCommands } from './applications';
import { registerApplyCommands } from './apply';
import { registerContextCommands } from './context';
import { registerEventsCommands } from './events';
import { registerPortForwardCommands } from './port-forward';
import type { KubernetesCommandDeps } from './deps';
import { registerTerminalCommands } from './terminals';
import { registerWorkloadCommands } from './workloads';
import { registerYamlCommands } from './yaml';

export type { KubernetesCommandDeps } from './deps';

export function registerKubernetesCommands(deps: KubernetesCommandDeps): void {
  registerContextCommands(deps);
  registerWorkloadCommands(deps);
  registerYamlCommands(deps);
  registerApplyCommands(deps);
  registerTerminalCommands(deps);
  registerEventsCommands(deps);
  registerApplicationCommands(deps);
  if (deps.forwards) registerPortForwardCommands({ ...deps, forwards: deps.forwards });
}
