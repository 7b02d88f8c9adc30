import * as vscode from 'vscode';
import { CommandRegistry } from './commands/registry';
import { registerGeneralCommands } from './commands/general';
import { KubernetesTreeProvider } from './views/kubernetes/tree';
import { ProxmoxTreeProvider } from './views/proxmox/tree';

/** What the extension hands to tests through `extensions.getExtension(...).exports`. */
export interface HomelabApi {
  readonly registry: CommandRegistry;
}

// Wiring only: create services, views and commands. No network I/O here (activation must stay fast).
export function activate(context: vscode.ExtensionContext): HomelabApi {
  const log = vscode.window.createOutputChannel('Homelab', { log: true });
  const registry = new CommandRegistry(log);
  context.subscriptions.push(log, registry);

  const proxmoxTree = new ProxmoxTreeProvider();
  context.subscriptions.push(
    proxmoxTree,
    vscode.window.createTreeView('homelab.proxmox', { treeDataProvider: proxmoxTree, showCollapseAll: true, canSelectMany: true }),
  );
  const kubernetesTree = new KubernetesTreeProvider();
  context.subscriptions.push(
    kubernetesTree,
    vscode.window.createTreeView('homelab.kubernetes', { treeDataProvider: kubernetesTree, showCollapseAll: true }),
  );

  registerGeneralCommands(registry, log);
  registry.register('homelab.proxmox.refresh', () => proxmoxTree.refresh());
  registry.register('homelab.kubernetes.refresh', () => kubernetesTree.refresh());

  log.info(`Homelab ${context.extension.packageJSON.version} activated`);
  return { registry };
}

export function deactivate(): void {}
