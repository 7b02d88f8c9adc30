// Snapshots, backups and backup jobs of a cluster, read when a view or a command asks and kept
// until something may have changed them: a followed task or an operation ended on the cluster,
// or its inventory changed (a lock came or went: a backup or snapshot ran elsewhere). Views show
// what this reports; commands read it too, so a menu and the command agree.
import * as vscode from 'vscode';
import type { BackupJob, BackupVolume, GuestRef, SnapshotInfo } from '../../providers/proxmox';
import type { ProxmoxSession } from './session';

export interface GuestDataChange {
  clusterId: string;
}

type ClusterEnd = { clusterId: string };

const provider = () => import('../../providers/proxmox');

export class GuestData implements vscode.Disposable {
  /** Per cluster: key -> the (possibly still running) read. A failed read is not kept. */
  private readonly cache = new Map<string, Map<string, Promise<unknown>>>();
  private readonly changed = new vscode.EventEmitter<GuestDataChange>();
  /** What was read for a cluster may be stale now: views ask again for what they show. */
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly session: ProxmoxSession, ends: vscode.Event<ClusterEnd>[]) {
    for (const e of ends) this.disposables.push(e((x) => this.invalidate(x.clusterId)));
    this.disposables.push(
      session.onDidChangeInventory((e) => this.invalidate(e.clusterId)),
      session.onDidChangeClusters(() => {
        this.cache.clear();
      }),
    );
  }

  /** Forgets what was read for a cluster (every one when omitted) and says so. */
  invalidate(clusterId?: string): void {
    const ids = clusterId ? [clusterId] : [...this.cache.keys()];
    for (const id of ids) {
      this.cache.delete(id);
      this.changed.fire({ clusterId: id });
    }
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
    if (hit) return hit as Promise<T>;
    const cluster = this.session.clusters.get(clusterId);
    if (!cluster) return Promise.reject(new Error(vscode.l10n.t('No cluster with id "{0}".', clusterId)));
    if (!entries) this.cache.set(clusterId, (entries = new Map()));
    const map = entries;
    const running = (async () => load(await this.session.connections.client(cluster), await provider()))();
    map.set(key, running);
    // A failure is shown once, then asked again next time (the node may be back).
    running.catch(() => (map.get(key) === running ? map.delete(key) : undefined));
    return running;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.changed.dispose();
    this.cache.clear();
  }
}
