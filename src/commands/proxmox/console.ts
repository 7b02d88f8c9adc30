// Text consoles in an editor terminal: a node's shell, a container's console, a VM's serial
// console, all through termproxy + vncwebsocket on the cluster's pinned connection
// (providers/proxmox/console.ts). The first session is opened before the terminal, so a refusal
// (no serial port, guest stopped, no permission) is the command's error and leaves no terminal behind.
import * as vscode from 'vscode';
import type { ConsoleSession, ConsoleTarget } from '../../providers/proxmox/console';
import type { ClusterConfig } from '../../services/proxmox/clusters';
import { ConsoleTerminal } from '../../views/terminals/console-terminal';
import type { CommandRegistry } from '../registry';
import { explain, guestName, resolveGuest, resolveNode } from './guest-target';
import type { OperationDeps } from './operation';

/** "200 ct-pihole" (or just the ID): how terminal names show a guest, like task terminals. */
const idName = (g: { vmid: number; name?: string }) => (g.name ? `${g.vmid} ${g.name}` : String(g.vmid));

async function open(deps: OperationDeps, cluster: ClusterConfig, target: ConsoleTarget, name: string, what: string, icon: string): Promise<ConsoleTerminal> {
  const { openConsole } = await import('../../providers/proxmox/console');
  const connect = async (size: { cols: number; rows: number } | undefined) => openConsole(await deps.connections.client(cluster), target, size ?? {});
  let first: ConsoleSession;
  try {
    first = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Opening {0}…', what) }, () => connect(undefined));
  } catch (e) {
    throw target.kind === 'guest' ? explain(e, target.guest) : e;
  }
  const pty = new ConsoleTerminal(name, connect, first, what);
  const { terminal } = deps.operations.terminals.create('console', pty, new vscode.ThemeIcon(icon));
  terminal.show();
  deps.log.info(`console: ${what} on ${cluster.name} (${first.upid})`);
  return pty;
}

async function openNodeShell(deps: OperationDeps, args: unknown[]): Promise<string> {
  const { cluster, node } = await resolveNode(deps, args, vscode.l10n.t('Open a shell on which node?'));
  const n = deps.session.inventory(cluster.id)?.nodes.find((x) => x.name === node);
  if (n && !n.online) throw new Error(vscode.l10n.t('Node {0} is offline: its shell cannot be opened.', node));
  const pty = await open(deps, cluster, { kind: 'node', node }, vscode.l10n.t('Shell {0} · {1}', node, cluster.name), vscode.l10n.t('the shell of node {0}', node), 'server');
  return pty.name;
}

async function openContainerConsole(deps: OperationDeps, args: unknown[]): Promise<string> {
  const t = await resolveGuest(deps, args[0], { action: 'xtermConsole', types: ['lxc'], title: vscode.l10n.t('Open the console of which running container?') });
  const pty = await open(deps, t.cluster, { kind: 'guest', guest: t.ref }, vscode.l10n.t('Console CT {0} · {1}', idName(t.ref), t.ref.node), vscode.l10n.t('the console of {0}', guestName(t.ref)), 'terminal');
  return pty.name;
}

async function openSerialConsole(deps: OperationDeps, args: unknown[]): Promise<string> {
  // A VM without a serial port is refused with how to add one (checkAllowed).
  const t = await resolveGuest(deps, args[0], { action: 'xtermConsole', types: ['qemu'], title: vscode.l10n.t('Open the serial console of which running VM?') });
  const pty = await open(deps, t.cluster, { kind: 'guest', guest: t.ref }, vscode.l10n.t('Serial VM {0} · {1}', idName(t.ref), t.ref.node), vscode.l10n.t('the serial console of {0}', guestName(t.ref)), 'terminal');
  return pty.name;
}

export function registerConsoleCommands(registry: CommandRegistry, deps: OperationDeps): void {
  registry.register('homelab.proxmox.openNodeShell', (...args: unknown[]) => openNodeShell(deps, args));
  registry.register('homelab.proxmox.openContainerConsole', (...args: unknown[]) => openContainerConsole(deps, args));
  registry.register('homelab.proxmox.openSerialConsole', (...args: unknown[]) => openSerialConsole(deps, args));
}
