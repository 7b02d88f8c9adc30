// Snapshots of VMs and containers: take (name checked as PVE does while typing, description, RAM
// only where PVE saves it), roll back (a modal naming what is lost since, optionally start after)
// and delete. Each is a task followed in its terminal. `takeSnapshotOf` is also the "snapshot
// before" step of other flows (migrate).
import * as vscode from 'vscode';
import { checkSnapshotName, configChanges, suggestSnapshotName, createSnapshot, deleteSnapshot, listSnapshots, rollbackLoss, rollbackSnapshot, snapshotConfig, type SnapshotInfo } from '../../providers/proxmox/snapshots';
import { guestConfig } from '../../providers/proxmox/guests';
import { refusal, factsOf } from '../../providers/proxmox/capabilities';
import type { GuestData } from '../../services/proxmox/guest-data';
import type { ProxmoxElement } from '../../views/proxmox/tree';
import type { CommandRegistry } from '../registry';
import { guestName, resolveGuest, runGuestTask, send, type GuestCommandTarget } from './guest-target';
import { reported, type OperationDeps } from './operation';

export { suggestSnapshotName };

export type SnapshotDeps = OperationDeps & { guestData: GuestData };

export interface SnapshotPlan {
  name: string;
  description?: string;
  /** Include RAM (running VMs only). */
  vmstate?: boolean;
}

const stamp = (s?: number) => (s ? new Date(s * 1000).toLocaleString() : '');

/** Takes a snapshot of an already resolved guest (checked here again) and follows its task. */
export async function takeSnapshotOf(deps: OperationDeps, t: GuestCommandTarget, plan: SnapshotPlan): Promise<void> {
  const what = vscode.l10n.t('Snapshot "{0}" of {1}', plan.name, guestName(t.ref));
  await reported(deps, { what: 'snapshot', cluster: t.cluster.name, target: `${guestName(t.ref)} @ ${plan.name}` }, async () => {
    // Checked before sending, as PVE will: name rules and a taken name, RAM of a container.
    const existing = (await listSnapshots(t.client, t.ref)).map((s) => s.name);
    const bad = checkSnapshotName(plan.name, existing);
    if (bad) throw new Error(vscode.l10n.t('{0}: {1}', guestName(t.ref), bad));
    const upid = await send(t, () => createSnapshot(t.client, t.ref, { name: plan.name, description: plan.description, vmstate: plan.vmstate, existing }));
    await runGuestTask(deps, t, upid, what);
  });
}

/** The name, description and RAM questions; `prefix` suggests a name ("before-migrate"). */
export async function askSnapshotPlan(deps: SnapshotDeps, t: GuestCommandTarget, prefix = 'snap'): Promise<SnapshotPlan> {
  const existing = (await listSnapshots(t.client, t.ref)).map((s) => s.name).filter((n) => n !== 'current');
  const title = vscode.l10n.t('Take a snapshot of {0}', guestName(t.ref));
  const name = (await deps.prompts.input({
    title,
    prompt: vscode.l10n.t('Snapshot name: a letter first, then letters, digits, "-" or "_" (2–40 characters)'),
    value: suggestSnapshotName(prefix, existing),
    validateInput: (v) => checkSnapshotName(v.trim(), existing),
  })).trim();
  const description = await deps.prompts.input({ title, prompt: vscode.l10n.t('Description (optional): what you are about to try'), value: '' });
  let vmstate = false;
  // RAM only where PVE saves it: a running VM (containers have no vmstate).
  if (refusal('snapshotWithRam', factsOf(t.resource)) === undefined) {
    const withRam = vscode.l10n.t('Include RAM');
    const disksOnly = vscode.l10n.t('Disks and configuration only');
    const picked = await deps.prompts.pick([
      { label: disksOnly, detail: vscode.l10n.t('Fast; a rollback boots the VM from the saved disks') },
      { label: withRam, detail: vscode.l10n.t('Also saves the running VM\'s memory: a rollback resumes it where it was (takes longer and needs space for the RAM)') },
    ], { title });
    vmstate = picked.label === withRam;
  }
  return { name, description: description.trim() || undefined, vmstate };
}

async function takeSnapshot(deps: SnapshotDeps, args: unknown[]): Promise<string> {
  const t = await resolveGuest(deps, args[0], { action: 'snapshot', title: vscode.l10n.t('Take a snapshot of which guest?') });
  const given = args[1] && typeof args[1] === 'object' && !Array.isArray(args[1]) ? (args[1] as SnapshotPlan) : undefined;
  const plan = given ?? (await askSnapshotPlan(deps, t));
  await takeSnapshotOf(deps, t, plan);
  return plan.name;
}

/** The snapshot an element names, else the user's pick among the guest's snapshots. */
async function pickSnapshot(deps: SnapshotDeps, t: GuestCommandTarget, arg: unknown, title: string): Promise<{ name: string; list: SnapshotInfo[] }> {
  const list = await listSnapshots(t.client, t.ref);
  const e = arg as ProxmoxElement | undefined;
  const named = e && typeof e === 'object' && 'kind' in e && e.kind === 'snapshot' ? e.snap.name : typeof arg === 'string' ? arg : undefined;
  if (named !== undefined) {
    if (named === 'current' || !list.some((s) => s.name === named)) {
      throw new Error(vscode.l10n.t('{0} has no snapshot "{1}" (any more): refresh the view.', guestName(t.ref), named));
    }
    return { name: named, list };
  }
  const snaps = list.filter((s) => s.name !== 'current').sort((a, b) => (b.snaptime ?? 0) - (a.snaptime ?? 0));
  if (!snaps.length) throw new Error(vscode.l10n.t('{0} has no snapshots.', guestName(t.ref)));
  const picked = await deps.prompts.pick(snaps.map((s) => ({ label: s.name, description: `${stamp(s.snaptime)}${s.vmstate ? ' · RAM' : ''}`, detail: s.description || undefined })), { title });
  return { name: picked.label, list };
}

/** The tree passes the snapshot element; a command link `{clusterId, vmid}` and a name. */
function snapshotArgs(args: unknown[]): { guestArg: unknown; snapArg: unknown; options?: { start?: boolean } } {
  const [first, second] = args;
  const e = first as ProxmoxElement | undefined;
  if (e && typeof e === 'object' && 'kind' in e && e.kind === 'snapshot') return { guestArg: e, snapArg: e, options: undefined };
  const opts = args[2] && typeof args[2] === 'object' ? (args[2] as { start?: boolean }) : undefined;
  return { guestArg: first, snapArg: typeof second === 'string' ? second : undefined, options: opts };
}

async function rollback(deps: SnapshotDeps, args: unknown[]): Promise<void> {
  const a = snapshotArgs(args);
  const t = await resolveGuest(deps, a.guestArg, { action: 'rollback', title: vscode.l10n.t('Roll back which guest?'), facts: { hasSnapshots: true } });
  const { name, list } = await pickSnapshot(deps, t, a.snapArg, vscode.l10n.t('Roll {0} back to which snapshot?', guestName(t.ref)));
  const loss = rollbackLoss(list, name)!;
  const lines: string[] = [];
  const since = loss.currentParent && loss.currentParent.name !== name
    ? vscode.l10n.t('Everything {0} did since snapshot "{1}" ({2}) is lost: disk contents and configuration changes. "{1}" itself is kept and can be rolled back to later.', guestName(t.ref), loss.currentParent.name, stamp(loss.currentParent.snaptime))
    : vscode.l10n.t('Everything {0} did since "{1}" was taken ({2}) is lost: disk contents and configuration changes.', guestName(t.ref), name, stamp(loss.target.snaptime));
  lines.push(since);
  // What the configuration loses, key by key (the API cannot list disk changes).
  const changes = await Promise.all([guestConfig(t.client, t.ref), snapshotConfig(t.client, t.ref, name)]).then(([now, then]) => configChanges(now, then)).catch(() => []);
  if (changes.length) lines.push(vscode.l10n.t('Configuration now → after the rollback:') + '\n' + changes.slice(0, 12).map((c) => `  ${c.key}: ${c.now ?? '—'} → ${c.then ?? '—'}`).join('\n'));
  if (loss.running) lines.push(vscode.l10n.t('{0} is running: it is stopped first (like pulling the plug).', guestName(t.ref)));
  if (loss.restoresRam) lines.push(vscode.l10n.t('The snapshot includes RAM: the VM resumes running where it was when it was taken.'));
  const rollBack = vscode.l10n.t('Roll Back');
  const rollBackStart = vscode.l10n.t('Roll Back and Start');
  const choices = loss.restoresRam ? [rollBack] : [rollBack, rollBackStart];
  const choice = a.options
    ? (a.options.start ? rollBackStart : rollBack)
    : await deps.prompts.confirm(vscode.l10n.t('Roll {0} back to snapshot "{1}"?', guestName(t.ref), name), lines.join('\n\n'), ...choices);
  const start = choice === rollBackStart && !loss.restoresRam;
  const what = vscode.l10n.t('Rollback of {0} to "{1}"', guestName(t.ref), name);
  await reported(deps, { what: 'rollback', cluster: t.cluster.name, target: `${guestName(t.ref)} → ${name}` }, async () => {
    const upid = await send(t, () => rollbackSnapshot(t.client, t.ref, name, { start }));
    await runGuestTask(deps, t, upid, what);
  });
}

async function removeSnapshot(deps: SnapshotDeps, args: unknown[]): Promise<void> {
  const a = snapshotArgs(args);
  const t = await resolveGuest(deps, a.guestArg, { action: 'deleteSnapshot', title: vscode.l10n.t('Delete a snapshot of which guest?'), facts: { hasSnapshots: true } });
  const { name, list } = await pickSnapshot(deps, t, a.snapArg, vscode.l10n.t('Delete which snapshot of {0}?', guestName(t.ref)));
  const children = list.filter((s) => s.parent === name && s.name !== 'current').map((s) => s.name);
  const del = vscode.l10n.t('Delete Snapshot');
  if (!a.options) {
    await deps.prompts.confirm(
      vscode.l10n.t('Delete snapshot "{0}" of {1}?', name, guestName(t.ref)),
      vscode.l10n.t('The guest\'s present state is not touched, but you can no longer roll back to "{0}" ({1}). This cannot be undone.', name, stamp(list.find((s) => s.name === name)?.snaptime)) +
        (children.length ? '\n\n' + vscode.l10n.t('Its later snapshots ({0}) are kept and hang from its parent instead.', children.join(', ')) : ''),
      del,
    );
  }
  const upid = await send(t, () => deleteSnapshot(t.client, t.ref, name));
  await runGuestTask(deps, t, upid, vscode.l10n.t('Deleting snapshot "{0}" of {1}', name, guestName(t.ref)));
}

export function registerSnapshotCommands(registry: CommandRegistry, deps: SnapshotDeps): void {
  registry.register('homelab.proxmox.takeSnapshot', (...args: unknown[]) => takeSnapshot(deps, args));
  registry.register('homelab.proxmox.rollbackSnapshot', (...args: unknown[]) => rollback(deps, args));
  registry.register('homelab.proxmox.deleteSnapshot', (...args: unknown[]) => removeSnapshot(deps, args));
}
