// What activation does not load: the command modules, the webview panel hosts and what only they use.
// Built into dist/lazy.js (scripts/build.mjs); src/extension.ts `require`s it on the first command or
// panel. Modules the extension bundle already holds (services, registry, errors such as CancelledError
// and RetryableError) are not copied in: dist/lazy.js takes them from dist/extension.js, so each class
// exists once and `instanceof` holds across the two bundles.
export { registerClusterDeployCommands } from './commands/cluster/deploy';
export { registerClusterManageCommands } from './commands/cluster/manage';
export { registerJournalCommands } from './commands/journal';
export { registerTrackerCommands } from './commands/tracker';
export { registerDashboardCommands } from './commands/dashboard';
export { connectDemoLab, registerClusterCommands } from './commands/proxmox/clusters';
export { registerCloneCommands } from './commands/proxmox/clone';
export { registerLifecycleCommands } from './commands/proxmox/lifecycle';
export { registerMigrateCommands } from './commands/proxmox/migrate';
export { registerSnapshotCommands } from './commands/proxmox/snapshots';
export { registerBackupCommands } from './commands/proxmox/backups';
export { registerShellCommands } from './commands/proxmox/shell';
export { registerConsoleCommands } from './commands/proxmox/console';
export { registerNotesTagsCommands } from './commands/proxmox/notes-tags';
export { registerCloudInitCommands } from './commands/proxmox/cloud-init';
export { registerTaskCommands } from './commands/proxmox/tasks';
export { registerTemplateCommands } from './commands/proxmox/template';
export { registerBuildCommand } from './commands/nix/build';
export { registerEjectCommand } from './commands/nix/eject';
export { registerUploadCommands } from './commands/proxmox/upload';
export { registerPipelineCommands } from './commands/template/pipeline';
export { registerKubernetesCommands } from './commands/kubernetes';
export { createAgentTools } from './commands/agent/tools';
export { registerNodeCommands } from './commands/kubernetes/nodes';
export { registerK3sCommands } from './commands/k3s';
export { registerAppDeployCommand } from './commands/apps/deploy';
export { registerDatabaseMigrationCommands } from './commands/apps/migrate';
export { templateSteps } from './providers/nix/template';
export { JournalPanels } from './views/journal/panel';
export { TrackerPanels } from './views/tracker/panel';
export { DashboardPanels } from './views/dashboard/panel';
