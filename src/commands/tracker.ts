// Learning-tracker commands: open the panel (it reads every tracker file of the workspace).
import type { TrackerPanels } from '../views/tracker/panel';
import type { CommandRegistry } from './registry';

export function registerTrackerCommands(registry: CommandRegistry, deps: { panels: TrackerPanels }): void {
  // Returns nothing: a command's result is sent back to the window when run from the palette.
  registry.register('homelab.tracker.open', async () => {
    await deps.panels.open().reload();
  });
  registry.register('homelab.tracker.refresh', async () => {
    await deps.panels.current?.reload();
  });
}
