// Start, shut down, stop, reboot, suspend, resume and delete guests (VMs and containers). The work,
// the refusals, the confirmation texts and the activity line are the operations catalog's
// (src/operations/proxmox.ts); this module picks the guests, asks, and offers a forced stop when a
// shutdown times out. Multi-select runs several guests at once, each as its own task and terminal.
import * as vscode from 'vscode';
import { invoke, power as powerOps, deleteGuestOp, TaskFailed, type Operation, type OperationHost, type Prepared } from '../../operations';
import { CancelledError, isCancellation } from '../../providers/cancellation';
import type { PowerAction } from '../../providers/proxmox';
import { operationHost } from '../../services/operation-host';
import type { CommandRegistry } from '../registry';
import { resolveGuests } from './guest-target';
import type { OperationDeps } from './operation';

const CALLER = 'command';
type GuestInput = { cluster: string; vmid: number };

const isGuest = (r: { template?: number; type: string }) => (r.type === 'qemu' || r.type === 'lxc') && r.template !== 1;

/** The guests a command acts on: `{clusterId, vmid}` (any type, looked up by the catalog), the tree selection, or a pick. */
async function targetsOf(deps: OperationDeps, args: unknown[], o: { many: boolean; filter: (r: { status?: string; template?: number; type: string }) => boolean; title: string }): Promise<GuestInput[]> {
  const ref = args[0] as { kind?: string; clusterId?: string; vmid?: number } | undefined;
  if (ref && ref.kind === undefined && typeof ref.clusterId === 'string' && typeof ref.vmid === 'number') return [{ cluster: ref.clusterId, vmid: ref.vmid }];
  const targets = await resolveGuests(deps, args, { ...o, filter: o.filter });
  return targets.map((t) => ({ cluster: t.cluster.id, vmid: t.guest.vmid }));
}

/** Runs prepared catalog entries; a cancelled task says so once and ends the command quietly. */
async function runPrepared(host: OperationHost, op: Operation<GuestInput>, input: GuestInput, prepared: Prepared): Promise<void> {
  try {
    await invoke(op, input, host, { caller: CALLER, prepared });
  } catch (e) {
    if (isCancellation(e) && (e as Error).message !== 'cancelled') {
      void vscode.window.showInformationMessage((e as Error).message);
      throw new CancelledError();
    }
    throw e;
  }
}

async function runPower(deps: OperationDeps, host: OperationHost, kind: PowerAction, input: GuestInput, prepared: Prepared): Promise<void> {
  try {
    await runPrepared(host, powerOps[kind], input, prepared);
  } catch (e) {
    const timedOut = kind === 'shutdown' && e instanceof TaskFailed && !e.outcome.cancelled && /timeout/i.test(e.outcome.exitstatus);
    if (!timedOut) throw e;
    const timeout = Math.max(1, host.proxmox!.shutdownTimeout());
    const name = prepared.target ?? String(input.vmid);
    try {
      await deps.prompts.confirm(
        vscode.l10n.t('{0} did not shut down within {1} s. Stop it now?', name, timeout),
        vscode.l10n.t('The guest did not react to the ACPI shutdown request (is the QEMU guest agent or acpid running?). Stopping is like pulling the power plug: unsaved data in the guest is lost.'),
        vscode.l10n.t('Stop Now'),
      );
    } catch {
      throw new Error(vscode.l10n.t('{0} did not shut down within {1} s and is still running (forced stop declined).', name, timeout));
    }
    const stop = powerOps.stop;
    await runPrepared(host, stop, input, await stop.prepare(input, host));
  }
}

async function power(deps: OperationDeps, kind: PowerAction, args: unknown[]): Promise<void> {
  const filter = {
    start: (r: { status?: string; template?: number; type: string }) => isGuest(r) && r.status !== 'running',
    shutdown: (r: { status?: string; template?: number; type: string }) => isGuest(r) && r.status === 'running',
    stop: (r: { status?: string; template?: number; type: string }) => isGuest(r) && r.status !== 'stopped',
    reboot: (r: { status?: string; template?: number; type: string }) => isGuest(r) && r.status === 'running',
    suspend: (r: { status?: string; template?: number; type: string }) => isGuest(r) && r.status === 'running',
    // The resource list may show a paused VM as "running" (qmpstatus is only in status/current): the
    // pick offers every guest that is not stopped, and the catalog's prepare refuses one not paused.
    resume: (r: { status?: string; template?: number; type: string }) => isGuest(r) && r.status !== 'stopped',
  }[kind];
  const titles: Record<PowerAction, string> = {
    start: vscode.l10n.t('Start which VMs?'),
    shutdown: vscode.l10n.t('Shut down which VMs?'),
    stop: vscode.l10n.t('Stop which VMs?'),
    reboot: vscode.l10n.t('Reboot which VM?'),
    suspend: vscode.l10n.t('Suspend which VMs?'),
    resume: vscode.l10n.t('Resume which VMs?'),
  };
  const host = operationHost({ ...deps, activity: deps.operations.activity });
  const op = powerOps[kind];
  const inputs = await targetsOf(deps, args, { many: kind !== 'reboot', filter, title: titles[kind] });
  // Refusals (a template, a missing guest) come before anything is asked or started.
  const prepared = await Promise.all(inputs.map((i) => op.prepare(i, host)));
  if (op.alwaysConfirm) {
    await deps.prompts.confirm(
      prepared.length === 1 ? prepared[0].confirmation! : vscode.l10n.t('Stop {0} VMs now?', prepared.length),
      [prepared[0].detail, prepared.length > 1 ? prepared.map((p) => p.confirmation).join('\n') : undefined].filter(Boolean).join('\n\n'),
      vscode.l10n.t('Stop'),
    );
  }
  // Each guest is its own task in its own terminal, all at once.
  const results = await Promise.allSettled(inputs.map((input, i) => runPower(deps, host, kind, input, prepared[i])));
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (!failed.length) return;
  const errors = failed.map((r) => r.reason as Error);
  const messages = errors.filter((e) => !isCancellation(e)).map((e) => e?.message ?? String(e));
  if (!messages.length) throw errors[0];
  if (inputs.length === 1) throw errors[0];
  throw new Error(vscode.l10n.t('{0} of {1} VMs failed: {2}', failed.length, inputs.length, messages.join(' | ')));
}

async function deleteGuest(deps: OperationDeps, args: unknown[]): Promise<void> {
  const host = operationHost({ ...deps, activity: deps.operations.activity });
  const [input] = await targetsOf(deps, args.slice(0, 1), { many: false, filter: (r) => r.type === 'qemu' || r.type === 'lxc', title: vscode.l10n.t('Delete which VM?') });
  const plain = await deleteGuestOp.prepare({ ...input, purge: false }, host);
  const del = vscode.l10n.t('Delete');
  const purge = vscode.l10n.t('Delete and Purge');
  const choice = await deps.prompts.confirm(
    plain.confirmation!,
    plain.detail + '\n\n' + vscode.l10n.t('"Delete and Purge" also destroys disks of this VM that are no longer attached (unused disks) and removes it from backup, replication and HA jobs.'),
    del,
    purge,
  );
  const withPurge = { ...input, purge: choice === purge };
  await runPrepared(host, deleteGuestOp as Operation<GuestInput>, withPurge, choice === purge ? await deleteGuestOp.prepare(withPurge, host) : plain);
}

export function registerLifecycleCommands(registry: CommandRegistry, deps: OperationDeps): void {
  registry.register('homelab.proxmox.startVm', (...args: unknown[]) => power(deps, 'start', args));
  registry.register('homelab.proxmox.shutdownVm', (...args: unknown[]) => power(deps, 'shutdown', args));
  registry.register('homelab.proxmox.stopVm', (...args: unknown[]) => power(deps, 'stop', args));
  registry.register('homelab.proxmox.rebootVm', (...args: unknown[]) => power(deps, 'reboot', args));
  registry.register('homelab.proxmox.suspendVm', (...args: unknown[]) => power(deps, 'suspend', args));
  registry.register('homelab.proxmox.resumeVm', (...args: unknown[]) => power(deps, 'resume', args));
  registry.register('homelab.proxmox.deleteVm', (...args: unknown[]) => deleteGuest(deps, args));
}
