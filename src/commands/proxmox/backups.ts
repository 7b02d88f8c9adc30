// Backups: back up now (a storage that takes backups, mode, compression zstd by default, a notes
// template; a wizard with Back and a summary), restore (as a new guest, or over the same guest
// after a confirmation that names it; never onto a running one), protect/unprotect, delete.
// Every vzdump, restore and deletion is a task followed in its terminal.
import * as vscode from 'vscode';
import { backupStorages, deleteBackup, parseBackupVolid, restoreBackup, setBackupProtected, startBackup, type BackupCompression, type BackupMode, type BackupVolume } from '../../providers/proxmox/backups';
import { factsOf } from '../../providers/proxmox/capabilities';
import { guestRefOf, guestStatus, type GuestRef } from '../../providers/proxmox/guests';
import type { ClusterResource } from '../../providers/proxmox/types';
import type { GuestData } from '../../services/proxmox/guest-data';
import type { ClusterConfig } from '../../services/proxmox/clusters';
import type { ProxmoxElement } from '../../views/proxmox/tree';
import type { CommandRegistry } from '../registry';
import { runWizard } from '../wizard';
import { checkAllowed, guestName, resolveGuest, runGuestTask, send, type GuestCommandTarget } from './guest-target';
import { expectOk, reported, type OperationDeps } from './operation';

export type BackupDeps = OperationDeps & { guestData: GuestData };

export interface BackupPlan {
  storage: string;
  mode: BackupMode;
  compress: BackupCompression;
  notesTemplate: string;
  protected?: boolean;
}

const gib = (b?: number) => `${((b ?? 0) / 2 ** 30).toFixed(1)} GiB`;
const DEFAULT_NOTES = '{{guestname}}';

/** Backs up `t` with `plan` after checking the storage takes backups on the guest's node. */
export async function backupGuest(deps: BackupDeps, t: GuestCommandTarget, plan: BackupPlan): Promise<void> {
  const stores = await backupStorages(t.client, t.ref.node);
  if (!stores.some((s) => s.storage === plan.storage)) {
    throw new Error(vscode.l10n.t('Storage "{0}" on {1} does not take backups (its content has no "VZDump backup file"), so {2} was not backed up. Pick one of: {3}.', plan.storage, t.ref.node, guestName(t.ref), stores.map((s) => s.storage).join(', ') || vscode.l10n.t('none: add backup content to a storage in Proxmox first')));
  }
  const what = vscode.l10n.t('Backup of {0} to {1}', guestName(t.ref), plan.storage);
  await reported(deps, { what: 'backup', cluster: t.cluster.name, target: `${guestName(t.ref)} → ${plan.storage}` }, async () => {
    const upid = await send(t, () => startBackup(t.client, t.ref, { storage: plan.storage, mode: plan.mode, compress: plan.compress, notesTemplate: plan.notesTemplate, protected: plan.protected }));
    await runGuestTask(deps, t, upid, what);
  });
}

async function askBackupPlan(deps: BackupDeps, t: GuestCommandTarget): Promise<BackupPlan> {
  const stores = await backupStorages(t.client, t.ref.node);
  if (!stores.length) {
    throw new Error(vscode.l10n.t('No storage of {0} takes backups, so {1} cannot be backed up there. In Proxmox, add "VZDump backup file" to a storage\'s content (Datacenter → Storage).', t.ref.node, guestName(t.ref)));
  }
  const title = (s: string) => `${vscode.l10n.t('Back up {0}', guestName(t.ref))}: ${s}`;
  const running = t.resource.status === 'running';
  const plan: BackupPlan = { storage: stores[0].storage, mode: 'snapshot', compress: 'zstd', notesTemplate: DEFAULT_NOTES };
  const modeLabels: Record<BackupMode, string> = { snapshot: vscode.l10n.t('Snapshot'), suspend: vscode.l10n.t('Suspend'), stop: vscode.l10n.t('Stop') };
  const compLabels: Record<BackupCompression, string> = { zstd: 'ZSTD', gzip: 'GZIP', lzo: 'LZO', '0': vscode.l10n.t('None') };
  await runWizard(plan, [
    async (s, at) => {
      const [p] = await deps.prompts.pickStep(stores.map((x) => ({ label: x.storage, id: x.storage, description: [x.shared ? vscode.l10n.t('shared') : '', x.avail !== undefined ? vscode.l10n.t('{0} free', gib(x.avail)) : ''].filter(Boolean).join(' · ') })), { title: title(vscode.l10n.t('Storage')) }, at);
      s.storage = p.id;
    },
    async (s, at) => {
      const [p] = await deps.prompts.pickStep<vscode.QuickPickItem & { id: BackupMode }>([
        { label: modeLabels.snapshot, id: 'snapshot', detail: vscode.l10n.t('The guest keeps running; the lowest downtime') },
        { label: modeLabels.suspend, id: 'suspend', detail: running ? vscode.l10n.t('Pauses the guest while it is copied: more consistent, some downtime') : vscode.l10n.t('For a stopped guest the same as Snapshot') },
        { label: modeLabels.stop, id: 'stop', detail: running ? vscode.l10n.t('Shuts the guest down, backs it up, starts it again: the most consistent') : vscode.l10n.t('For a stopped guest the same as Snapshot') },
      ], { title: title(vscode.l10n.t('Mode')) }, at);
      s.mode = p.id;
    },
    async (s, at) => {
      const [p] = await deps.prompts.pickStep<vscode.QuickPickItem & { id: BackupCompression }>([
        { label: compLabels.zstd, id: 'zstd', detail: vscode.l10n.t('Fast and good (default)') },
        { label: compLabels.gzip, id: 'gzip', detail: vscode.l10n.t('Slower, widely readable') },
        { label: compLabels.lzo, id: 'lzo', detail: vscode.l10n.t('Fastest, larger files') },
        { label: compLabels['0'], id: '0', detail: vscode.l10n.t('No compression') },
      ], { title: title(vscode.l10n.t('Compression')) }, at);
      s.compress = p.id;
    },
    async (s, at) => {
      const v = await deps.prompts.inputStep({
        title: title(vscode.l10n.t('Notes')),
        prompt: vscode.l10n.t('Notes of the backup; {{guestname}}, {{node}}, {{vmid}} and {{cluster}} are filled in'),
        value: s.notesTemplate,
        validateInput: (x) => (x.length > 1024 ? vscode.l10n.t('At most 1024 characters.') : undefined),
      }, at);
      s.notesTemplate = v;
    },
    async (s, at) => {
      await deps.prompts.summaryStep(title(vscode.l10n.t('Summary')), [
        { label: vscode.l10n.t('Storage'), value: s.storage, step: 0 },
        { label: vscode.l10n.t('Mode'), value: modeLabels[s.mode], step: 1 },
        { label: vscode.l10n.t('Compression'), value: compLabels[s.compress], step: 2 },
        { label: vscode.l10n.t('Notes'), value: s.notesTemplate || '—', step: 3 },
      ], vscode.l10n.t('Back up {0}', guestName(t.ref)), at);
    },
  ]);
  return plan;
}

async function backupNow(deps: BackupDeps, args: unknown[]): Promise<void> {
  const t = await resolveGuest(deps, args[0], { action: 'backup', title: vscode.l10n.t('Back up which guest?') });
  const given = args[1] && typeof args[1] === 'object' && !Array.isArray(args[1]) ? (args[1] as Partial<BackupPlan>) : undefined;
  const plan = given ? { mode: 'snapshot' as const, compress: 'zstd' as const, notesTemplate: DEFAULT_NOTES, ...given, storage: given.storage ?? '' } : await askBackupPlan(deps, t);
  await backupGuest(deps, t, plan);
}

/**
 * Backs several guests up, one after another, to a storage that takes backups on all their nodes
 * (the user picks it); the first failure stops the rest and is thrown (a flow that backs up
 * "before" something then does not go on).
 */
export async function backupMembers(deps: OperationDeps, cluster: ClusterConfig, members: Array<ClusterResource & { vmid: number; node: string }>, title: string): Promise<void> {
  const client = await deps.connections.client(cluster);
  const nodes = [...new Set(members.map((m) => m.node))];
  const perNode = await Promise.all(nodes.map((n) => backupStorages(client, n)));
  const common = perNode[0].filter((s) => perNode.every((list) => list.some((x) => x.storage === s.storage)));
  if (!common.length) throw new Error(vscode.l10n.t('No storage takes backups on every node of {0} ({1}): nothing was backed up or destroyed.', members.map((m) => m.name ?? m.vmid).join(', '), nodes.join(', ')));
  const picked = await deps.prompts.pick(common.map((s) => ({ label: s.storage, description: s.shared ? vscode.l10n.t('shared') : '' })), { title });
  for (const m of members) {
    const ref = guestRefOf(m)!;
    const what = vscode.l10n.t('Backup of {0} to {1}', guestName(ref), picked.label);
    const upid = await send({ ref }, () => startBackup(client, ref, { storage: picked.label, mode: 'snapshot', compress: 'zstd', notesTemplate: vscode.l10n.t('{{guestname}} before destroy') }));
    await runGuestTask(deps, { cluster, client, ref }, upid, what);
  }
}

// ---- the backup a command acts on ----

interface BackupTarget {
  cluster: ClusterConfig;
  client: import('../../providers/proxmox').ProxmoxClient;
  node: string;
  backup: BackupVolume;
}

/** A backup element, or `{clusterId, node, volid}`; the volume is read again (it may be gone). */
async function resolveBackup(deps: BackupDeps, arg: unknown): Promise<BackupTarget> {
  const e = arg as (ProxmoxElement & { kind: 'backup' }) | { clusterId?: string; node?: string; volid?: string } | undefined;
  let clusterId: string | undefined;
  let node: string | undefined;
  let volid: string | undefined;
  if (e && typeof e === 'object' && 'kind' in e && e.kind === 'backup') ({ clusterId, node, volid } = { clusterId: e.clusterId, node: e.node, volid: e.backup.volid });
  else if (e && typeof e === 'object' && !('kind' in e)) ({ clusterId, node, volid } = e);
  const { resolveCluster } = await import('./clusters');
  const cluster = await resolveCluster(deps, clusterId);
  const client = await deps.connections.client(cluster);
  if (!node || !volid) {
    // The palette: every backup of the cluster's backup storages, newest first.
    const nodes = (await client.nodes()).filter((n) => n.status === 'online').map((n) => n.node);
    const all: Array<{ node: string; b: BackupVolume }> = [];
    const seen = new Set<string>();
    for (const n of nodes) {
      for (const s of await backupStorages(client, n)) {
        for (const b of await deps.guestData.storageBackups(cluster.id, n, s.storage)) {
          if (seen.has(b.volid)) continue;
          seen.add(b.volid);
          all.push({ node: n, b });
        }
      }
    }
    if (!all.length) throw new Error(vscode.l10n.t('{0} has no backups.', cluster.name));
    all.sort((a, b) => b.b.ctime - a.b.ctime);
    const picked = await deps.prompts.pick(all.map((x) => ({ label: x.b.volid, description: `${new Date(x.b.ctime * 1000).toLocaleString()} · ${gib(x.b.size)}`, detail: x.b.notes, x })), { title: vscode.l10n.t('Which backup?'), matchOnDescription: true, matchOnDetail: true });
    ({ node, volid } = { node: picked.x.node, volid: picked.x.b.volid });
  }
  const storage = volid.split(':')[0];
  const { listBackups } = await import('../../providers/proxmox/backups');
  const backup = (await listBackups(client, node, storage)).find((b) => b.volid === volid);
  if (!backup) throw new Error(vscode.l10n.t('The backup {0} is not on {1} any more: refresh the view.', volid, storage));
  return { cluster, client, node, backup };
}

const backupGuestRef = (t: BackupTarget): GuestRef | undefined => {
  const p = parseBackupVolid(t.backup.volid);
  const type = t.backup.subtype ?? p?.type;
  const vmid = t.backup.vmid ?? p?.vmid;
  return type && vmid !== undefined ? { node: t.node, type, vmid } : undefined;
};

export interface RestorePlan {
  /** `new`: as a new guest with `vmid`; `over`: over the backup's own guest (force). */
  target: 'new' | 'over';
  vmid?: number;
  start?: boolean;
  unique?: boolean;
}

async function restore(deps: BackupDeps, args: unknown[]): Promise<{ vmid: number }> {
  const b = await resolveBackup(deps, args[0]);
  const given = args[1] && typeof args[1] === 'object' && !Array.isArray(args[1]) ? (args[1] as RestorePlan) : undefined;
  const origin = backupGuestRef(b);
  if (!origin) throw new Error(vscode.l10n.t('{0} is not a vzdump backup of a VM or container.', b.backup.volid));
  const resources = (await b.client.resources('vm')).filter((r) => r.vmid !== undefined);
  const existing = resources.find((r) => r.vmid === origin.vmid);
  const kind = origin.type === 'lxc' ? vscode.l10n.t('container') : vscode.l10n.t('VM');
  const title = vscode.l10n.t('Restore {0}', b.backup.volid.split('/').pop() ?? b.backup.volid);
  let target = given?.target;
  if (!target) {
    const items = [
      { label: vscode.l10n.t('As a new {0}', kind), id: 'new', detail: vscode.l10n.t('The original stays as it is; the copy gets a new ID and new MAC addresses') },
      ...(existing && existing.type === origin.type ? [{ label: vscode.l10n.t('Over {0}', guestName({ ...origin, name: existing.name })), id: 'over', detail: vscode.l10n.t('Replaces its disks and configuration with the backup\'s; what it holds now is lost') }] : []),
    ];
    target = (await deps.prompts.pick(items, { title })).id as 'new' | 'over';
  }
  if (target === 'over') return restoreOver(deps, b, origin, existing, given);
  const taken = new Set(resources.map((r) => r.vmid!));
  const suggested = await b.client.nextId();
  const vmid = given?.vmid ?? Number((await deps.prompts.input({
    title,
    prompt: vscode.l10n.t('ID of the new {0}', kind),
    value: String(suggested),
    validateInput: (v) => (!/^\d+$/.test(v.trim()) || Number(v) < 100 || Number(v) > 999_999_999 ? vscode.l10n.t('A whole number from 100 to 999999999.') : taken.has(Number(v)) ? vscode.l10n.t('ID {0} is taken.', Number(v)) : undefined),
  })).trim());
  if (taken.has(vmid)) throw new Error(vscode.l10n.t('ID {0} is taken: restoring as a new guest needs a free ID (or restore over the guest itself).', vmid));
  let start = given?.start;
  if (start === undefined) {
    const yes = vscode.l10n.t('Start it after restoring');
    const no = vscode.l10n.t('Leave it stopped');
    start = (await deps.prompts.pick([{ label: no }, { label: yes, detail: vscode.l10n.t('Careful: a copy that runs beside the original may clash on its IP address') }], { title })).label === yes;
  }
  await runRestore(deps, b, { ...origin, vmid, name: undefined }, { vmid, unique: given?.unique ?? true, start }, false);
  return { vmid };
}

/** Over the guest itself: refused while it runs; a modal and then its ID typed in confirm it. */
async function restoreOver(deps: BackupDeps, b: BackupTarget, origin: GuestRef, existing: { node?: string; name?: string } | undefined, given?: RestorePlan): Promise<{ vmid: number }> {
  if (!existing?.node) throw new Error(vscode.l10n.t('{0} does not exist any more: restore the backup as a new guest instead.', guestName(origin)));
  const g: GuestRef = { ...origin, node: existing.node, name: existing.name };
  const live = await guestStatus(b.client, g);
  checkAllowed(g, 'restoreOver', factsOf({ type: g.type, status: live.status, template: live.template, lock: live.lock }, { qmpstatus: live.qmpstatus }));
  const over = vscode.l10n.t('Overwrite {0}', guestName(g));
  if (!given) {
    await deps.prompts.confirm(
      vscode.l10n.t('Overwrite {0} with the backup of {1}?', guestName(g), new Date(b.backup.ctime * 1000).toLocaleString()),
      vscode.l10n.t('Its disks and configuration are replaced by the backup\'s: everything {0} stored since then is lost, and its snapshots are gone. This cannot be undone.', guestName(g)) +
        (b.backup.notes ? `\n\n${vscode.l10n.t('Backup notes: {0}', b.backup.notes)}` : ''),
      over,
    );
    await deps.prompts.input({
      title: vscode.l10n.t('Type {0} to overwrite {1}', String(g.vmid), guestName(g)),
      prompt: vscode.l10n.t('The ID of the guest that is overwritten'),
      validateInput: (v) => (v.trim() === String(g.vmid) ? undefined : vscode.l10n.t('Type {0} to confirm.', String(g.vmid))),
    });
  }
  await runRestore(deps, b, g, { vmid: g.vmid, force: true, start: given?.start }, true);
  return { vmid: g.vmid };
}

async function runRestore(deps: BackupDeps, b: BackupTarget, g: GuestRef, o: { vmid: number; force?: boolean; unique?: boolean; start?: boolean }, over: boolean): Promise<void> {
  // A local backup restores on its node; the guest it overwrites lives there too (or the backup is on shared storage).
  const node = over ? g.node : b.node;
  const what = over ? vscode.l10n.t('Restoring {0} from {1}', guestName(g), b.backup.volid) : vscode.l10n.t('Restoring {0} as {1}', b.backup.volid, o.vmid);
  await reported(deps, { what: 'restore', cluster: b.cluster.name, target: `${b.backup.volid} → ${o.vmid}` }, async () => {
    const upid = await send({ ref: g }, () => restoreBackup(b.client, node, b.backup, o));
    const outcome = await deps.operations.follow(b.cluster, b.client, upid, { vmName: g.name ?? String(o.vmid), title: what });
    expectOk(outcome, what);
  });
}

async function protect(deps: BackupDeps, args: unknown[], on: boolean): Promise<void> {
  const b = await resolveBackup(deps, args[0]);
  if (!!b.backup.protected === on) return;
  await setBackupProtected(b.client, b.node, b.backup.volid, on);
  await deps.operations.endOperation(b.cluster.id);
}

async function removeBackup(deps: BackupDeps, args: unknown[]): Promise<void> {
  const b = await resolveBackup(deps, args[0]);
  const name = b.backup.volid;
  if (b.backup.protected) throw new Error(vscode.l10n.t('The backup {0} is protected: Proxmox refuses to delete it. Unprotect it first if you really mean to delete it.', name));
  const del = vscode.l10n.t('Delete Backup');
  await deps.prompts.confirm(
    vscode.l10n.t('Delete the backup {0}?', name),
    vscode.l10n.t('Taken {0}, {1}. The file is removed from the storage; it cannot be restored afterwards.', new Date(b.backup.ctime * 1000).toLocaleString(), gib(b.backup.size)) + (b.backup.notes ? `\n\n${b.backup.notes}` : ''),
    del,
  );
  const upid = await deleteBackup(b.client, b.node, name);
  const what = vscode.l10n.t('Deleting backup {0}', name);
  const outcome = await deps.operations.follow(b.cluster, b.client, upid, { title: what });
  expectOk(outcome, what);
}

export function registerBackupCommands(registry: CommandRegistry, deps: BackupDeps): void {
  registry.register('homelab.proxmox.backupNow', (...args: unknown[]) => backupNow(deps, args));
  registry.register('homelab.proxmox.restoreBackup', (...args: unknown[]) => restore(deps, args));
  registry.register('homelab.proxmox.protectBackup', (...args: unknown[]) => protect(deps, args, true));
  registry.register('homelab.proxmox.unprotectBackup', (...args: unknown[]) => protect(deps, args, false));
  registry.register('homelab.proxmox.deleteBackup', (...args: unknown[]) => removeBackup(deps, args));
}
