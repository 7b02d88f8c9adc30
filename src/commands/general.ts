import * as vscode from 'vscode';
import type { CommandRegistry } from './registry';

/** Commands that belong to no single area: the log and the walkthrough. */
export function registerGeneralCommands(registry: CommandRegistry, log: vscode.LogOutputChannel): void {
  registry.register('homelab.showLog', () => log.show());
  registry.register('homelab.openWalkthrough', () =>
    vscode.commands.executeCommand('workbench.action.openWalkthrough', 'homelab.homelab#homelab.gettingStarted', false),
  );
}
