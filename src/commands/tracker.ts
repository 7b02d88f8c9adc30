// Learning-tracker commands: open the panel (it reads every tracker file of the workspace).
import type { TrackerPanels } from '../views/tracker/panel';
import type { CommandRegistry } from './registry';

export function registerTrackerCommands(registry: CommandRegistry, deps: { panels: TrackerPanels }): void {
  registry.register('homelab.tracker.open', async () => {
    const panel = deps.panels.open();
    await panel.reload();
    return panel;
  });
  registry.register('homelab.tracker.refresh', async () => {
    await deps.panels.current?.reload();
  });
}
