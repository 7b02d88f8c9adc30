// The tree's snapshots, backups and backup jobs: a "Snapshots" and a "Backups" group under each
// guest, a "Backups" folder per node (one entry per storage that takes backups), and the cluster's
// scheduled backup jobs. Everything is read through the GuestData service when a group is
// expanded; this module only turns what it reports into tree items.
import * as vscode from 'vscode';
import { nextBackupOf, type BackupJob, type BackupVolume } from '../../providers/proxmox/backups';
import { factsOf, refusal } from '../../providers/proxmox/capabilities';
import { guestRefOf, type GuestRef } from '../../providers/proxmox/guests';
import { buildSnapshotTree, type SnapshotNode } from '../../providers/proxmox/snapshots';
import type { ClusterResource } from '../../providers/proxmox/types';
import type { GuestData } from '../../services/proxmox/guest-data';
import type { ProxmoxSession } from '../../services/proxmox/session';
import { describeError } from './errors';
import { backupLine, jobLine, shortDate, size, snapshotLine } from './guest-data-model';

export type GuestDataElement =
  | { kind: 'snapshots'; id: string; clusterId: string; guest: GuestRef }
  | { kind: 'snapshot'; id: string; clusterId: string; guest: GuestRef; snap: SnapshotNode; parentId: string }
  | { kind: 'guestBackups'; id: string; clusterId: string; guest: GuestRef; /** The next scheduled backup of the guest (unix s). */ nextRun?: number }
  | { kind: 'backupFolder'; id: string; clusterId: string; node: string }
  | { kind: 'backupStorage'; id: string; clusterId: string; node: string; storage: string; shared: boolean }
  | { kind: 'backup'; id: string; clusterId: string; node: string; backup: BackupVolume; parentId: string; guest?: GuestRef }
  | { kind: 'backupJobs'; id: string; clusterId: string }
  | { kind: 'backupJob'; id: string; clusterId: string; job: BackupJob };

const KINDS = new Set<string>(['snapshots', 'snapshot', 'guestBackups', 'backupFolder', 'backupStorage', 'backup', 'backupJobs', 'backupJob']);

export function isGuestDataElement(e: { kind: string }): e is GuestDataElement {
  return KINDS.has(e.kind);
}

/** Groups whose children come from the service: what a change of its data redraws. */
const RELOADED = new Set<string>(['snapshots', 'guestBackups', 'backupFolder', 'backupStorage', 'backupJobs']);

export function isReloadedGroup(e: { kind: string }): e is GuestDataElement {
  return RELOADED.has(e.kind);
}

/** How this module makes the tree's elements and messages (kept by the tree, per id). */
export interface ItemHost<M> {
  element<T extends GuestDataElement>(e: T): T;
  message(id: string, clusterId: string, text: string, detail: string, severity: 'error' | 'info'): M;
}

export class GuestDataItems<M> {
  constructor(private readonly session: ProxmoxSession, private readonly data: GuestData, private readonly host: ItemHost<M>) {}

  /** A guest's groups: Snapshots (not for templates: PVE refuses them) and Backups (with the next scheduled run). */
  async guestGroups(clusterId: string, guestId: string, r: ClusterResource): Promise<GuestDataElement[]> {
    const g = guestRefOf(r);
    if (!g) return [];
    const groups: GuestDataElement[] = [];
    if (r.template !== 1) groups.push(this.host.element({ kind: 'snapshots', id: `${guestId}/snapshots`, clusterId, guest: g }));
    // The jobs are one read per cluster, shared by every guest; without them the group just has no date.
    const jobs = await this.data.backupJobs(clusterId).catch(() => []);
    groups.push(this.host.element({ kind: 'guestBackups', id: `${guestId}/backups`, clusterId, guest: g, nextRun: nextBackupOf(jobs, g).nextRun }));
    return groups;
  }

  /** The "Backups" folder of a node. */
  nodeFolder(clusterId: string, nodeId: string, node: string): GuestDataElement {
    return this.host.element({ kind: 'backupFolder', id: `${nodeId}/backups`, clusterId, node });
  }

  /** The cluster's "Backup jobs" folder, only when it has jobs (a failed read shows nothing here). */
  async clusterFolder(clusterId: string, clusterElementId: string): Promise<GuestDataElement | undefined> {
    const jobs = await this.data.backupJobs(clusterId).catch(() => []);
    return jobs.length ? this.host.element({ kind: 'backupJobs', id: `${clusterElementId}/jobs`, clusterId }) : undefined;
  }

  async children(e: GuestDataElement): Promise<Array<GuestDataElement | M>> {
    try {
      return await this.load(e);
    } catch (err) {
      const d = describeError(err);
      return [this.host.message(`${e.id}/error`, e.clusterId, d.text, d.detail, 'error')];
    }
  }

  private async load(e: GuestDataElement): Promise<Array<GuestDataElement | M>> {
    switch (e.kind) {
      case 'snapshots': {
        const list = await this.data.snapshots(e.clusterId, e.guest);
        const roots = buildSnapshotTree(list);
        if (!list.some((s) => s.name !== 'current')) {
          return [this.host.message(`${e.id}/empty`, e.clusterId, vscode.l10n.t('No snapshots'), vscode.l10n.t('Take Snapshot saves the present state to return to.'), 'info')];
        }
        return roots.map((snap) => this.snapshot(e, snap, e.id));
      }
      case 'snapshot':
        return e.snap.children.map((snap) => this.snapshot(e, snap, e.id));
      case 'guestBackups': {
        const list = await this.data.guestBackups(e.clusterId, e.guest);
        if (!list.length) return [this.host.message(`${e.id}/empty`, e.clusterId, vscode.l10n.t('No backups'), vscode.l10n.t('Back Up Now writes one to a storage that takes backups.'), 'info')];
        return list.map((backup) => this.host.element({ kind: 'backup', id: `${e.id}/${backup.volid}`, clusterId: e.clusterId, node: e.guest.node, backup, parentId: e.id, guest: e.guest }));
      }
      case 'backupFolder': {
        const stores = await this.data.backupStorages(e.clusterId, e.node);
        if (!stores.length) return [this.host.message(`${e.id}/empty`, e.clusterId, vscode.l10n.t('No storage takes backups'), vscode.l10n.t('Add "VZDump backup file" to a storage\'s content in Proxmox to back up to it.'), 'info')];
        return stores.map((s) => this.host.element({ kind: 'backupStorage', id: `${e.id}/${s.storage}`, clusterId: e.clusterId, node: e.node, storage: s.storage, shared: s.shared }));
      }
      case 'backupStorage': {
        const list = await this.data.storageBackups(e.clusterId, e.node, e.storage);
        if (!list.length) return [this.host.message(`${e.id}/empty`, e.clusterId, vscode.l10n.t('No backups'), e.storage, 'info')];
        return list.map((backup) => this.host.element({ kind: 'backup', id: `${e.id}/${backup.volid}`, clusterId: e.clusterId, node: e.node, backup, parentId: e.id }));
      }
      case 'backupJobs': {
        const jobs = await this.data.backupJobs(e.clusterId);
        return jobs.map((job) => this.host.element({ kind: 'backupJob', id: `${e.id}/${job.id}`, clusterId: e.clusterId, job }));
      }
      default:
        return [];
    }
  }

  private snapshot(parent: GuestDataElement & { guest: GuestRef }, snap: SnapshotNode, parentId: string): GuestDataElement {
    const groupId = parent.kind === 'snapshot' ? parent.id.slice(0, parent.id.lastIndexOf('/snap/')) : parent.id;
    return this.host.element({ kind: 'snapshot', id: `${groupId}/snap/${snap.name}`, clusterId: parent.clusterId, guest: parent.guest, snap, parentId });
  }

  treeItem(e: GuestDataElement): vscode.TreeItem {
    const C = vscode.TreeItemCollapsibleState;
    switch (e.kind) {
      case 'snapshots': {
        const item = new vscode.TreeItem(vscode.l10n.t('Snapshots'), C.Collapsed);
        item.iconPath = new vscode.ThemeIcon('history');
        item.contextValue = this.locked(e) ? 'snapshots-locked' : 'snapshots';
        return withId(item, e.id);
      }
      case 'snapshot': {
        const line = snapshotLine(e.snap, vscode.l10n.t('NOW'));
        const item = new vscode.TreeItem(line.label, e.snap.children.length ? C.Expanded : C.None);
        item.description = e.snap.isCurrent ? vscode.l10n.t('You are here!') : line.description;
        item.iconPath = new vscode.ThemeIcon(line.icon, e.snap.isCurrent ? new vscode.ThemeColor('testing.iconPassed') : undefined);
        // A locked guest refuses rollback and delete: the menu offers neither then.
        item.contextValue = line.contextValue === 'snapshot' && this.locked(e) ? 'snapshot-locked' : line.contextValue;
        const md = new vscode.MarkdownString();
        md.appendMarkdown(`**${e.snap.isCurrent ? vscode.l10n.t('NOW') : e.snap.name}**`);
        if (e.snap.snaptime) md.appendMarkdown(`\n\n${new Date(e.snap.snaptime * 1000).toLocaleString()}`);
        if (e.snap.vmstate) md.appendMarkdown(`\n\n${vscode.l10n.t('Includes RAM: a rollback resumes the VM where it was.')}`);
        if (e.snap.description) md.appendText(`\n\n${e.snap.description}`);
        item.tooltip = md;
        return withId(item, e.id);
      }
      case 'guestBackups': {
        const item = new vscode.TreeItem(vscode.l10n.t('Backups'), C.Collapsed);
        item.iconPath = new vscode.ThemeIcon('archive');
        item.contextValue = 'guest-backups';
        if (e.nextRun) {
          item.description = vscode.l10n.t('next {0}', shortDate(e.nextRun));
          item.tooltip = vscode.l10n.t('The next scheduled backup job that covers it runs {0}.', new Date(e.nextRun * 1000).toLocaleString());
        } else item.tooltip = vscode.l10n.t('No enabled backup job covers it.');
        return withId(item, e.id);
      }
      case 'backupFolder': {
        const item = new vscode.TreeItem(vscode.l10n.t('Backups'), C.Collapsed);
        item.iconPath = new vscode.ThemeIcon('archive');
        item.contextValue = 'folder-backups';
        return withId(item, e.id);
      }
      case 'backupStorage': {
        const item = new vscode.TreeItem(e.storage, C.Collapsed);
        item.iconPath = new vscode.ThemeIcon('database');
        item.description = e.shared ? vscode.l10n.t('shared') : '';
        item.contextValue = 'backup-storage';
        return withId(item, e.id);
      }
      case 'backup': {
        const line = backupLine(e.backup, { withGuest: !e.guest });
        const item = new vscode.TreeItem(line.label, C.None);
        item.description = line.description;
        item.iconPath = new vscode.ThemeIcon(line.icon, e.backup.protected ? new vscode.ThemeColor('charts.blue') : undefined);
        item.contextValue = line.contextValue;
        const md = new vscode.MarkdownString();
        md.appendMarkdown(`**${shortDate(e.backup.ctime)}** · ${size(e.backup.size)}\n\n`);
        md.appendText(e.backup.volid);
        if (e.backup.protected) md.appendMarkdown(`\n\n${vscode.l10n.t('Protected: it cannot be deleted, and retention (prune) keeps it.')}`);
        if (e.backup.notes) md.appendText(`\n\n${e.backup.notes}`);
        item.tooltip = md;
        return withId(item, e.id);
      }
      case 'backupJobs': {
        const item = new vscode.TreeItem(vscode.l10n.t('Backup jobs'), C.Collapsed);
        item.iconPath = new vscode.ThemeIcon('calendar');
        item.contextValue = 'backup-jobs';
        return withId(item, e.id);
      }
      case 'backupJob': {
        const line = jobLine(e.job, { next: vscode.l10n.t('next'), disabled: vscode.l10n.t('disabled') });
        const item = new vscode.TreeItem(line.label, C.None);
        item.description = line.description;
        item.iconPath = new vscode.ThemeIcon(line.enabled ? 'calendar' : 'circle-slash', line.enabled ? undefined : new vscode.ThemeColor('disabledForeground'));
        item.tooltip = `${e.job.id}\n${line.label}\n${line.description}${e.job['notes-template'] ? `\n${e.job['notes-template']}` : ''}`;
        // Read-only here: jobs are edited in Proxmox (Datacenter → Backup).
        item.contextValue = 'backup-job';
        return withId(item, e.id);
      }
    }
  }

  /** The id of the element above `e` (the tree resolves it in its own element map). */
  parentId(e: GuestDataElement): string {
    switch (e.kind) {
      case 'snapshot':
      case 'backup':
        return e.parentId;
      case 'backupJob':
        return e.id.slice(0, e.id.lastIndexOf('/'));
      default:
        return e.id.slice(0, e.id.lastIndexOf('/'));
    }
  }

  private locked(e: { clusterId: string; guest: GuestRef }): boolean {
    const r = this.session.guest(e.clusterId, e.guest.vmid);
    return !!r && refusal('rollback', { ...factsOf(r), hasSnapshots: true }) !== undefined;
  }
}

function withId(item: vscode.TreeItem, id: string): vscode.TreeItem {
  item.id = id;
  return item;
}
