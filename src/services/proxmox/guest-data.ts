// Snapshots, backups and backup jobs of a cluster, read when a view or a command first asks, and
// read again when something may have changed them: a followed task or an operation ended on the
// cluster, its inventory changed (a lock came or went: a backup or snapshot ran elsewhere), or an
// explicit Refresh. Only a differing answer fires `onDidChange`. Views show what this reports.
import * as vscode from 'vscode';
import type { BackupJob, BackupVolume, GuestRef, SnapshotInfo } from '../../providers/proxmox';
import type { ProxmoxSession } from './session';

export interface GuestDataChange {
  clusterId: string;
}

type ClusterEnd = { clusterId: string };

const provider = () => import('../../providers/proxmox');

interface Entry {
  load: () => Promise<unknown>;
  /** The last read (or the one under way); a failure is kept too, so a revalidation can tell it went. */
  value: Promise<unknown>;
}

/** What a read came to, to tell a change from a repeat. */
const outcome = (p: Promise<unknown>) => p.then((v) => JSON.stringify(v), (e: unknown) => `error: ${e instanceof Error ? e.message : String(e)}`);

export class GuestData implements vscode.Disposable {
  /** Per cluster: key -> what was read. Only what a view or command asked for is kept. */
  private readonly cache = new Map<string, Map<string, Entry>>();
  private readonly changed = new vscode.EventEmitter<GuestDataChange>();
  /** Something read for a cluster differs now: views ask again for what they show. */
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly session: ProxmoxSession, ends: vscode.Event<ClusterEnd & { waitUntil?(p: Promise<unknown>): void }>[]) {
    // An operation's end waits for the re-read, so the command ends with the views showing its result.
    for (const e of ends) {
      this.disposables.push(e((x) => {
        const done = this.invalidate(x.clusterId);
        x.waitUntil?.(done);
      }));
    }
    this.disposables.push(
      session.onDidChangeInventory((e) => void this.invalidate(e.clusterId)),
      session.onDidRequestRefresh((id) => void this.invalidate(id)),
      session.onDidChangeClusters(() => this.cache.clear()),
    );
  }

  /**
   * Reads again what was read for a cluster (every cluster when omitted) and fires `onDidChange`
   * only when an answer differs: a refresh that changes nothing redraws nothing.
   */
  async invalidate(clusterId?: string): Promise<void> {
    const ids = clusterId ? [clusterId] : [...this.cache.keys()];
    await Promise.all(ids.map(async (id) => {
      const entries = this.cache.get(id);
      if (!entries?.size) return;
      const differs = await Promise.all([...entries].map(async ([key, e]) => {
        const before = await outcome(e.value);
        const fresh: Entry = { load: e.load, value: e.load() };
        entries.set(key, fresh);
        return before !== (await outcome(fresh.value));
      }));
      if (differs.some(Boolean) && this.cache.get(id) === entries) this.changed.fire({ clusterId: id });
    }));
  }

  /** The guest's snapshots as PVE lists them, `current` included. */
  snapshots(clusterId: string, g: GuestRef): Promise<SnapshotInfo[]> {
    return this.read(clusterId, `snap/${g.type}/${g.vmid}`, async (client, p) => p.listSnapshots(client, g));
  }

  /** The guest's backups on every backup storage of its node, newest first. */
  guestBackups(clusterId: string, g: GuestRef): Promise<BackupVolume[]> {
    return this.read(clusterId, `backups/${g.type}/${g.vmid}`, (client, p) => p.listGuestBackups(client, g));
  }

  /** The storages of a node that accept backups. */
  backupStorages(clusterId: string, node: string): Promise<Array<{ storage: string; shared: boolean; avail?: number }>> {
    return this.read(clusterId, `stores/${node}`, (client, p) => p.backupStorages(client, node));
  }

  /** The backups on one storage of a node, newest first. */
  storageBackups(clusterId: string, node: string, storage: string): Promise<BackupVolume[]> {
    return this.read(clusterId, `content/${node}/${storage}`, (client, p) => p.listBackups(client, node, storage));
  }

  /** The cluster's scheduled backup jobs (with PVE's next run). */
  backupJobs(clusterId: string): Promise<BackupJob[]> {
    return this.read(clusterId, 'jobs', (client, p) => p.backupJobs(client));
  }

  private read<T>(clusterId: string, key: string, load: (client: import('../../providers/proxmox').ProxmoxClient, p: typeof import('../../providers/proxmox')) => Promise<T>): Promise<T> {
    let entries = this.cache.get(clusterId);
    const hit = entries?.get(key);
    if (hit) return hit.value as Promise<T>;
    const cluster = this.session.clusters.get(clusterId);
    if (!cluster) return Promise.reject(new Error(vscode.l10n.t('No cluster with id "{0}".', clusterId)));
    if (!entries) this.cache.set(clusterId, (entries = new Map()));
    const run = async () => load(await this.session.connections.client(cluster), await provider());
    const entry: Entry = { load: run, value: run() };
    entry.value.catch(() => undefined); // shown by the caller; kept so Refresh can tell it went
    entries.set(key, entry);
    return entry.value as Promise<T>;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.changed.dispose();
    this.cache.clear();
  }
}
