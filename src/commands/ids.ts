// Every command id of the extension, in one list. Registration stays grouped per area
// (src/commands/<area>/); `CommandRegistry.register` takes only a `CommandId`, so a command cannot
// be registered without being listed here, and test/unit/wiring/command-ids.test.ts checks this list
// against package.json's contributes.commands both ways.
export const COMMAND_IDS = [
  // general
  'homelab.showLog',
  'homelab.openWalkthrough',
  // proxmox
  'homelab.proxmox.addCluster',
  'homelab.proxmox.editCluster',
  'homelab.proxmox.removeCluster',
  'homelab.proxmox.testConnection',
  'homelab.proxmox.reviewCertificate',
  'homelab.proxmox.openDemoLab',
  'homelab.proxmox.refresh',
  'homelab.proxmox.startVm',
  'homelab.proxmox.shutdownVm',
  'homelab.proxmox.stopVm',
  'homelab.proxmox.rebootVm',
  'homelab.proxmox.suspendVm',
  'homelab.proxmox.resumeVm',
  'homelab.proxmox.deleteVm',
  'homelab.proxmox.convertToTemplate',
  'homelab.proxmox.cloneTemplate',
  'homelab.proxmox.migrateVm',
  'homelab.proxmox.takeSnapshot',
  'homelab.proxmox.rollbackSnapshot',
  'homelab.proxmox.deleteSnapshot',
  'homelab.proxmox.backupNow',
  'homelab.proxmox.restoreBackup',
  'homelab.proxmox.protectBackup',
  'homelab.proxmox.unprotectBackup',
  'homelab.proxmox.deleteBackup',
  'homelab.proxmox.showTasks',
  'homelab.proxmox.openShell',
  'homelab.proxmox.openConsole',
  'homelab.proxmox.uploadIso',
  'homelab.proxmox.openNodeShell',
  'homelab.proxmox.openContainerConsole',
  'homelab.proxmox.openSerialConsole',
  'homelab.proxmox.editNotes',
  'homelab.proxmox.addTag',
  'homelab.proxmox.removeTag',
  'homelab.proxmox.editCloudInit',
  // kubernetes
  'homelab.kubernetes.refresh',
  'homelab.kubernetes.useContext',
  'homelab.kubernetes.filterNamespaces',
  'homelab.kubernetes.scale',
  'homelab.kubernetes.restart',
  'homelab.kubernetes.delete',
  'homelab.kubernetes.viewYaml',
  'homelab.kubernetes.revealSecret',
  'homelab.kubernetes.apply',
  'homelab.kubernetes.logs',
  'homelab.kubernetes.logsWithOptions',
  'homelab.kubernetes.exec',
  'homelab.kubernetes.toggleAllNamespaces',
  'homelab.kubernetes.showEvents',
  'homelab.kubernetes.migrateDatabase',
  'homelab.kubernetes.rollbackDatabaseMigration',
  'homelab.kubernetes.cleanupDatabaseMigration',
  'homelab.kubernetes.portForward',
  'homelab.kubernetes.portForwardStop',
  'homelab.kubernetes.portForwardOpen',
  'homelab.kubernetes.cordonNode',
  'homelab.kubernetes.uncordonNode',
  'homelab.kubernetes.drainNode',
  // journal
  'homelab.journal.open',
  'homelab.journal.newEntry',
  'homelab.journal.addNote',
  'homelab.journal.createFolder',
  // tracker
  'homelab.tracker.open',
  'homelab.tracker.refresh',
  // dashboard
  'homelab.dashboard.open',
  // cluster
  'homelab.cluster.deploy',
  'homelab.cluster.openShells',
  'homelab.cluster.startAll',
  'homelab.cluster.stopAll',
  'homelab.cluster.destroy',
  // k3s
  'homelab.k3s.bootstrap',
  'homelab.k3s.uninstall',
  'homelab.k3s.setUpNfs',
  // nix
  'homelab.nix.eject',
  'homelab.nix.buildIso',
  // template
  'homelab.template.buildAndDeploy',
  // pipeline
  'homelab.pipeline.refresh',
] as const;

export type CommandId = (typeof COMMAND_IDS)[number];
