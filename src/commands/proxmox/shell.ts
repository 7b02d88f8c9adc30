// An SSH shell on a VM (address from the guest agent, user from settings or cloud-init, keys from
// a key file or ssh-agent, host keys checked against the extension's own known-hosts file), and
// the Proxmox web console in the browser.
import * as vscode from 'vscode';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { isProxmoxError } from '../../providers/proxmox/errors';
import { SshTerminal } from '../../views/terminals/ssh-terminal';
import type { CommandRegistry } from '../registry';
import { resolveGuests } from './guest-target';
import { label, vmPath, type OperationDeps } from './operation';
import { settings } from '../../services/settings';
import { refuseInDemoLab } from './demo-lab';

export interface ShellDeps extends OperationDeps {
  /** known_hosts file the extension keeps (under globalStorageUri). */
  knownHostsPath: string;
}

const expandHome = (p: string) => (p.startsWith('~/') ? join(homedir(), p.slice(2)) : p);

function agentHelp(vmid: number): string {
  return vscode.l10n.t(
    'Enable it: in Proxmox, VM {0} → Options → QEMU Guest Agent (or `qm set {0} --agent enabled=1`), install the agent in the guest (Debian/Ubuntu: `apt install qemu-guest-agent`; NixOS: `services.qemuGuest.enable = true;`), then restart the VM.',
    vmid,
  );
}

async function guestIp(deps: ShellDeps, client: import('../../providers/proxmox').ProxmoxClient, g: { node: string; vmid: number; name?: string }, conf: Record<string, unknown>): Promise<string> {
  const { guestAddress, agentProblem } = await import('../../providers/proxmox/guest-agent');
  if (!/^(1|enabled=1)(,|$)/.test(String(conf.agent ?? '0'))) {
    throw new Error(vscode.l10n.t('{0} has no QEMU guest agent, so its IP address is unknown.', label(g as never)) + ' ' + agentHelp(g.vmid));
  }
  let result: import('../../providers/proxmox/guest-agent').AgentInterface[];
  try {
    result = (await client.get<{ result: typeof result }>(`${vmPath(g)}/agent/network-get-interfaces`)).result ?? [];
  } catch (e) {
    const problem = isProxmoxError(e) ? agentProblem(`${e.reason} ${e.message}`) : undefined;
    if (problem === 'not-running') {
      throw new Error(vscode.l10n.t('The QEMU guest agent of {0} is not answering yet: if the VM just started, wait a few seconds; otherwise install and start qemu-guest-agent in the guest.', label(g as never)) + ' ' + agentHelp(g.vmid));
    }
    if (problem === 'not-configured') throw new Error(vscode.l10n.t('{0} has no QEMU guest agent, so its IP address is unknown.', label(g as never)) + ' ' + agentHelp(g.vmid));
    throw e;
  }
  const ip = guestAddress(result);
  if (!ip) throw new Error(vscode.l10n.t('The guest agent of {0} reports no usable IP address: is its network up?', label(g as never)));
  return ip;
}

async function openShell(deps: ShellDeps, args: unknown[]): Promise<string> {
  const [t] = await resolveGuests(deps, args.slice(0, 1), { many: false, filter: (r) => r.type === 'qemu' && r.status === 'running', title: vscode.l10n.t('Open a shell on which running VM?') });
  refuseInDemoLab(t.cluster, 'shell');
  const client = await deps.connections.client(t.cluster);
  const [current, conf] = await Promise.all([
    client.get<{ status: string; template?: number }>(`${vmPath(t.guest)}/status/current`),
    client.get<Record<string, unknown>>(`${vmPath(t.guest)}/config`),
  ]);
  if (current.template) throw new Error(vscode.l10n.t('{0} is a template: clone it and open a shell on the clone.', label(t.guest)));
  if (current.status !== 'running') throw new Error(vscode.l10n.t('{0} is {1}: start it first.', label(t.guest), current.status));
  const host = await guestIp(deps, client, t.guest, conf);
  let username = settings.get('ssh.user') || String(conf.ciuser ?? '');
  if (!username) {
    username = (await deps.prompts.input({ title: vscode.l10n.t('SSH user for {0}', label(t.guest)), prompt: vscode.l10n.t('The VM has no cloud-init user; set homelab.ssh.user to skip this question.'), validateInput: (v) => (v.trim() ? undefined : vscode.l10n.t('Enter a user name.')) })).trim();
  }
  const keyPath = settings.get('ssh.privateKeyPath') ? expandHome(settings.get('ssh.privateKeyPath')) : undefined;
  if (!keyPath && !process.env.SSH_AUTH_SOCK) {
    throw new Error(vscode.l10n.t('No SSH key to log in with: set homelab.ssh.privateKeyPath to your private key (e.g. ~/.ssh/id_ed25519), or start an ssh-agent with your key.'));
  }
  const port = settings.get('ssh.port');
  const ssh = await import('../../providers/ssh');
  const knownHosts = new ssh.KnownHosts(deps.knownHostsPath);
  const trust = vscode.l10n.t('Trust and Connect');
  let session: import('../../providers/ssh').SshSession;
  try {
    session = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Connecting to {0}@{1}…', username, host) },
      () => ssh.connectSsh({
        host, port, username, privateKeyPath: keyPath, knownHosts,
        confirmUnknown: (info) => deps.prompts.confirm(
          vscode.l10n.t('First connection to {0}: trust its host key?', port === 22 ? host : `${host}:${port}`),
          vscode.l10n.t('{0} key fingerprint: {1}', info.keyType, info.fingerprint) + '\n\n' +
            vscode.l10n.t('Compare it with the guest\'s own (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on its console). Once trusted, a different key is refused.'),
          trust,
        ).then(() => true, () => false),
      }),
    );
  } catch (e) {
    if (e instanceof ssh.HostKeyMismatchError) {
      void vscode.window.showWarningMessage(vscode.l10n.t('Refused: the host key of {0} has changed.', host), { detail: e.message });
    }
    if (e instanceof ssh.HostKeyDeclinedError) throw new (await import('../../providers/cancellation')).CancelledError();
    throw e;
  }
  const pty = new SshTerminal(`ssh ${username}@${host} · ${t.guest.name ?? t.guest.vmid}`, session);
  const { terminal } = deps.operations.terminals.create('ssh', pty, new vscode.ThemeIcon('terminal'));
  terminal.show();
  deps.log.info(`ssh ${username}@${host}:${port} (${session.hostKey.keyType} ${session.hostKey.fingerprint}, ${session.hostKey.status})`);
  return pty.name;
}

async function openConsole(deps: OperationDeps, args: unknown[]): Promise<string> {
  const [t] = await resolveGuests(deps, args.slice(0, 1), { many: false, filter: (r) => r.type === 'qemu' && r.template !== 1, title: vscode.l10n.t('Open the console of which VM?') });
  refuseInDemoLab(t.cluster, 'console');
  const q = new URLSearchParams({ console: 'kvm', novnc: '1', vmid: String(t.guest.vmid), vmname: t.guest.name ?? '', node: t.guest.node, resize: 'off', cmd: '' });
  const url = `${t.cluster.url.replace(/\/+$/, '')}/?${q.toString()}`;
  await vscode.env.openExternal(vscode.Uri.parse(url, true));
  return url;
}

export function registerShellCommands(registry: CommandRegistry, deps: ShellDeps): void {
  registry.register('homelab.proxmox.openShell', (...args: unknown[]) => openShell(deps, args));
  registry.register('homelab.proxmox.openConsole', (...args: unknown[]) => openConsole(deps, args));
}
