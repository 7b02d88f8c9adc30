// The one place that decides WHEN the Proxmox inventory is reloaded (after vscode-containers'
// RefreshManager): every trigger is here.
//  - Events first: a followed task or an operation ended on a cluster -> reload that cluster,
//    debounced so a burst (a cluster of VMs started together) is one request. The operation waits
//    for it, so the command ends with the views showing its result. This also runs while the view
//    is hidden, for clusters already loaded: commands read the same inventory, and it is one
//    request per operation the user started, never a timer.
//  - Explicit requests (the Refresh command, a retry): at once, no debounce.
//  - A slow safety poll (homelab.proxmox.refreshInterval) catches changes made elsewhere (the
//    Proxmox web UI, another user), ONLY while the view is visible; on becoming visible a stale
//    inventory is reloaded once. Nothing time-driven runs while it is hidden.
//  - Settings: a changed interval reschedules the poll.
import * as vscode from 'vscode';
import type { Awaitable } from '../operations';
import { settings } from '../settings';

/** What the coordinator reloads: the session's loader. */
export interface RefreshTarget {
  /** Clusters with an inventory or an error in the cache (what a view may be showing). */
  loadedClusters(): string[];
  reload(clusterId: string): Promise<void>;
}

export type ClusterEnd = { clusterId: string } & Awaitable;

export class ProxmoxRefresh implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private visible = false;
  private timer?: NodeJS.Timeout;
  private lastRefreshAt = 0;
  private readonly pending = new Set<string>();
  private batch?: { timer: NodeJS.Timeout; done: Promise<void>; resolve: () => void };

  constructor(
    private readonly target: RefreshTarget,
    ends: vscode.Event<ClusterEnd>[],
    /** Events within this window are one reload. */
    private readonly debounceMs = 100,
  ) {
    for (const event of ends) {
      this.disposables.push(event((e) => {
        if (this.target.loadedClusters().includes(e.clusterId)) e.waitUntil(this.soon(e.clusterId));
      }));
    }
    this.disposables.push(settings.onDidChange((e) => e.affects('proxmox.refreshInterval') && this.schedule()));
  }

  /** An explicit request: reloads one cluster (or every loaded one) now. */
  now(clusterId?: string): Promise<void> {
    const ids = clusterId ? [clusterId] : this.target.loadedClusters();
    return Promise.all(ids.map((id) => this.reload(id))).then(() => undefined);
  }

  /** The Proxmox view was shown or hidden. */
  setVisible(visible: boolean): void {
    if (visible === this.visible) return;
    this.visible = visible;
    if (visible && Date.now() - this.lastRefreshAt > this.intervalMs()) void this.now();
    this.schedule();
  }

  private intervalMs(): number {
    return settings.get('proxmox.refreshInterval') * 1000;
  }

  private schedule(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    const ms = this.intervalMs();
    if (!this.visible || ms <= 0) return;
    this.timer = setInterval(() => void this.now(), ms);
  }

  /** Queues a reload of `clusterId` in the current batch; resolves when the batch is loaded. */
  private soon(clusterId: string): Promise<void> {
    this.pending.add(clusterId);
    if (!this.batch) {
      let resolve!: () => void;
      const done = new Promise<void>((r) => (resolve = r));
      const timer = setTimeout(() => {
        const ids = [...this.pending];
        this.pending.clear();
        this.batch = undefined;
        void Promise.allSettled(ids.map((id) => this.reload(id))).then(() => resolve());
      }, this.debounceMs);
      this.batch = { timer, done, resolve };
    }
    return this.batch.done;
  }

  private reload(clusterId: string): Promise<void> {
    this.lastRefreshAt = Date.now();
    return this.target.reload(clusterId);
  }

  dispose(): void {
    clearInterval(this.timer);
    if (this.batch) {
      clearTimeout(this.batch.timer);
      this.batch.resolve();
    }
    for (const d of this.disposables) d.dispose();
  }
}
