// Learning dashboard commands: open the panel (it reads the journal, tracker, activity log and history).
import type { DashboardPanels } from '../views/dashboard/panel';
import type { CommandRegistry } from './registry';

export function registerDashboardCommands(registry: CommandRegistry, deps: { panels: DashboardPanels }): void {
  registry.register('homelab.dashboard.open', async () => {
    await deps.panels.open().reload();
  });
}
