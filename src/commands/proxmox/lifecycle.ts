// Start, shut down, stop, reboot and delete VMs. Multi-select runs start/shutdown/stop on several
// VMs at once, each as its own task in its own terminal.
import * as vscode from 'vscode';
import type { ProxmoxClient } from '../../providers/proxmox';
import type { CommandRegistry } from '../registry';
import { expectOk, label, resolveGuests, vmPath, type GuestTarget, type OperationDeps } from './operation';
import { settings } from '../../services/settings';

type Power = 'start' | 'shutdown' | 'stop' | 'reboot';

const isVm = (r: { template?: number; type: string }) => r.type === 'qemu' && r.template !== 1;

async function post(deps: OperationDeps, t: GuestTarget, path: string, params?: Record<string, unknown>): Promise<{ client: ProxmoxClient; upid: string }> {
  const client = await deps.connections.client(t.cluster);
  const upid = await client.post<string>(`${vmPath(t.guest)}${path}`, params);
  return { client, upid };
}

async function runPower(deps: OperationDeps, t: GuestTarget, kind: Power): Promise<void> {
  const what = {
    start: vscode.l10n.t('Starting {0}', label(t.guest)),
    shutdown: vscode.l10n.t('Shutting down {0}', label(t.guest)),
    stop: vscode.l10n.t('Stopping {0}', label(t.guest)),
    reboot: vscode.l10n.t('Rebooting {0}', label(t.guest)),
  }[kind];
  const timeout = kind === 'shutdown' ? Math.max(1, settings.get('proxmox.shutdownTimeout')) : undefined;
  const { client, upid } = await post(deps, t, `/status/${kind}`, timeout !== undefined ? { timeout } : undefined);
  const outcome = await deps.operations.follow(t.cluster, client, upid, { vmName: t.guest.name, title: what });
  if (kind === 'shutdown' && outcome.status === 'error' && !outcome.cancelled && /timeout/i.test(outcome.exitstatus)) {
    const stopNow = vscode.l10n.t('Stop Now');
    try {
      await deps.prompts.confirm(
        vscode.l10n.t('{0} did not shut down within {1} s. Stop it now?', label(t.guest), timeout!),
        vscode.l10n.t('The guest did not react to the ACPI shutdown request (is the QEMU guest agent or acpid running?). Stopping is like pulling the power plug: unsaved data in the guest is lost.'),
        stopNow,
      );
    } catch {
      throw new Error(vscode.l10n.t('{0} did not shut down within {1} s and is still running (forced stop declined).', label(t.guest), timeout!));
    }
    return runPower(deps, t, 'stop');
  }
  expectOk(outcome, what);
}

async function power(deps: OperationDeps, kind: Power, args: unknown[]): Promise<void> {
  const filter = {
    start: (r: { status?: string; template?: number; type: string }) => isVm(r) && r.status !== 'running',
    shutdown: (r: { status?: string; template?: number; type: string }) => isVm(r) && r.status === 'running',
    stop: (r: { status?: string; template?: number; type: string }) => isVm(r) && r.status !== 'stopped',
    reboot: (r: { status?: string; template?: number; type: string }) => isVm(r) && r.status === 'running',
  }[kind];
  const titles = {
    start: vscode.l10n.t('Start which VMs?'),
    shutdown: vscode.l10n.t('Shut down which VMs?'),
    stop: vscode.l10n.t('Stop which VMs?'),
    reboot: vscode.l10n.t('Reboot which VM?'),
  };
  const targets = await resolveGuests(deps, args, { many: kind !== 'reboot', filter, title: titles[kind] });
  const templates = targets.filter((t) => t.guest.template === 1);
  if (templates.length) throw new Error(vscode.l10n.t('{0} is a template: templates cannot be started or stopped, only cloned.', templates.map((t) => label(t.guest)).join(', ')));
  if (kind === 'stop') {
    const stop = vscode.l10n.t('Stop');
    await deps.prompts.confirm(
      targets.length === 1 ? vscode.l10n.t('Stop {0} now?', label(targets[0].guest)) : vscode.l10n.t('Stop {0} VMs now?', targets.length),
      vscode.l10n.t('Stopping is like pulling the power plug: unsaved data in the guest is lost. Use Shut Down for a clean power-off.') + '\n\n' + targets.map((t) => label(t.guest)).join('\n'),
      stop,
    );
  }
  // Each VM is its own task in its own terminal, all at once.
  const results = await Promise.allSettled(targets.map((t) => runPower(deps, t, kind)));
  const failed = results.map((r, i) => [r, targets[i]] as const).filter(([r]) => r.status === 'rejected');
  if (!failed.length) return;
  const messages = failed.map(([r]) => ((r as PromiseRejectedResult).reason as Error)?.message ?? String((r as PromiseRejectedResult).reason)).filter((m) => m !== 'cancelled');
  if (!messages.length) return;
  if (targets.length === 1) throw new Error(messages[0]);
  throw new Error(vscode.l10n.t('{0} of {1} VMs failed: {2}', failed.length, targets.length, messages.join(' | ')));
}

async function deleteVm(deps: OperationDeps, args: unknown[]): Promise<void> {
  const [t] = await resolveGuests(deps, args.slice(0, 1), { many: false, filter: (r) => r.type === 'qemu', title: vscode.l10n.t('Delete which VM?') });
  const client = await deps.connections.client(t.cluster);
  // Ask the node, not the (possibly stale) tree: a running VM must be stopped first.
  const current = await client.get<{ status: string; lock?: string; template?: number; name?: string }>(`${vmPath(t.guest)}/status/current`);
  if (current.status === 'running') {
    throw new Error(vscode.l10n.t('{0} is running: stop or shut it down first, then delete it.', label(t.guest)));
  }
  if (current.lock) throw new Error(vscode.l10n.t('{0} is locked ({1}): wait until that operation has finished.', label(t.guest), current.lock));
  const del = vscode.l10n.t('Delete');
  const purge = vscode.l10n.t('Delete and Purge');
  const choice = await deps.prompts.confirm(
    vscode.l10n.t('Delete {0} "{1}" ({2}) on {3}?', current.template ? vscode.l10n.t('template') : vscode.l10n.t('VM'), t.guest.name ?? '', t.guest.vmid, t.guest.node),
    vscode.l10n.t('Its configuration and the disks attached to it are destroyed. This cannot be undone.') + '\n\n' +
      vscode.l10n.t('"Delete and Purge" also destroys disks of this VM that are no longer attached (unused disks) and removes it from backup, replication and HA jobs.'),
    del,
    purge,
  );
  const params = choice === purge ? { purge: 1, 'destroy-unreferenced-disks': 1 } : { purge: 0, 'destroy-unreferenced-disks': 0 };
  const upid = await client.delete<string>(vmPath(t.guest), params);
  const outcome = await deps.operations.follow(t.cluster, client, upid, { vmName: t.guest.name });
  expectOk(outcome, vscode.l10n.t('Deleting {0}', label(t.guest)));
}

export function registerLifecycleCommands(registry: CommandRegistry, deps: OperationDeps): void {
  registry.register('homelab.proxmox.startVm', (...args: unknown[]) => power(deps, 'start', args));
  registry.register('homelab.proxmox.shutdownVm', (...args: unknown[]) => power(deps, 'shutdown', args));
  registry.register('homelab.proxmox.stopVm', (...args: unknown[]) => power(deps, 'stop', args));
  registry.register('homelab.proxmox.rebootVm', (...args: unknown[]) => power(deps, 'reboot', args));
  registry.register('homelab.proxmox.deleteVm', (...args: unknown[]) => deleteVm(deps, args));
}
