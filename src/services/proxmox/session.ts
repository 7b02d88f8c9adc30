// The Proxmox session: the clusters (settings + SecretStorage), one pinned client per cluster,
// and the inventory cache (one `/cluster/resources` answer per cluster) with its refresh policy
// (./refresh.ts). Views display what it reports and commands read it; neither reloads on its
// own: they ask the session, or an operation's end event does.
import * as vscode from 'vscode';
import { clusterGroups } from '../../providers/cluster/groups';
import { buildInventory, type Inventory } from '../../providers/proxmox/inventory';
import type { ClusterResource, StorageContentItem } from '../../providers/proxmox/types';
import { ClusterStore } from './clusters';
import { Connections } from './connections';
import { ProxmoxRefresh, type ClusterEnd } from './refresh';

export interface InventoryChange {
  clusterId: string;
  /** The first load, or an error appeared, stayed or went: what is shown under the cluster changes shape. */
  structural: boolean;
}

interface ClusterState {
  inventory?: Inventory;
  error?: unknown;
  /** The last answer as text, to tell a change from a repeat. */
  key?: string;
  running?: Promise<void>;
  /** One more load after the running one (it may have been asked before the change happened). */
  queued?: Promise<void>;
}

export interface ProxmoxSessionOptions {
  /** End events of operations (Operations.onDidEndTask, onDidEndOperation): each reloads its cluster. */
  ends: vscode.Event<ClusterEnd>[];
}

export class ProxmoxSession implements vscode.Disposable {
  readonly clusters: ClusterStore;
  readonly connections: Connections;
  private readonly refresher: ProxmoxRefresh;
  private readonly states = new Map<string, ClusterState>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly clustersChanged = new vscode.EventEmitter<void>();
  /** A cluster was added, edited or removed (the cache was emptied). */
  readonly onDidChangeClusters = this.clustersChanged.event;
  private readonly inventoryChanged = new vscode.EventEmitter<InventoryChange>();
  /** A cluster's inventory (or its error) differs from the last load. */
  readonly onDidChangeInventory = this.inventoryChanged.event;
  private readonly refreshRequested = new vscode.EventEmitter<string | undefined>();
  /** An explicit refresh was asked for (a cluster, or all when undefined): what else a view shows is read again too. */
  readonly onDidRequestRefresh = this.refreshRequested.event;
  private readonly refreshed = new vscode.EventEmitter<string>();
  /** Fires with the cluster id after each completed load, changed or not (tests, benchmarks). */
  readonly onDidRefresh = this.refreshed.event;

  constructor(secrets: vscode.SecretStorage, private readonly log: vscode.LogOutputChannel, o: ProxmoxSessionOptions) {
    this.clusters = new ClusterStore(secrets);
    this.connections = new Connections(this.clusters);
    this.refresher = new ProxmoxRefresh({ loadedClusters: () => this.loadedClusters(), reload: (id) => this.reload(id) }, o.ends);
    this.disposables.push(
      this.refresher,
      this.clusters.onDidChange(() => {
        this.states.clear();
        this.clustersChanged.fire();
      }),
    );
  }

  /** The inventory of a loaded cluster. */
  inventory(clusterId: string): Inventory | undefined {
    return this.states.get(clusterId)?.inventory;
  }

  /** Why the last load of a cluster failed, if it did. */
  error(clusterId: string): unknown {
    return this.states.get(clusterId)?.error;
  }

  /** A guest or template of a loaded cluster, as last reported. */
  guest(clusterId: string, vmid: number): ClusterResource | undefined {
    return this.inventory(clusterId)?.nodes.flatMap((n) => [...n.guests, ...n.templates]).find((g) => g.vmid === vmid);
  }

  /** The deployed clusters (by tag) of a loaded Proxmox cluster. */
  groups(clusterId: string): Map<string, ClusterResource[]> {
    const inv = this.inventory(clusterId);
    return inv ? clusterGroups(inv) : new Map();
  }

  loadedClusters(): string[] {
    return [...this.states].filter(([, s]) => s.inventory || s.error !== undefined).map(([id]) => id);
  }

  /** Loads a cluster the first time it is needed (a view expands it); joins a load under way. */
  ensureLoaded(clusterId: string): Promise<void> {
    const s = this.states.get(clusterId);
    if (s?.inventory || s?.error !== undefined) return Promise.resolve();
    return s?.running ?? this.reload(clusterId);
  }

  /** An explicit refresh (the Refresh command, Retry): one cluster, or every loaded one. */
  refresh(clusterId?: string): Promise<void> {
    this.refreshRequested.fire(clusterId);
    if (!clusterId && !this.loadedClusters().length) {
      this.clustersChanged.fire(); // nothing loaded yet: views start over and load what they show
      return Promise.resolve();
    }
    return this.refresher.now(clusterId);
  }

  /** The Proxmox view was shown or hidden: the safety poll runs only while it is visible. */
  setViewVisible(visible: boolean): void {
    this.refresher.setVisible(visible);
  }

  /** The ISO images on a node's ISO storages (read when asked: not part of the inventory). */
  async isoImages(clusterId: string, node: string): Promise<StorageContentItem[]> {
    const cluster = this.clusters.get(clusterId);
    const n = this.inventory(clusterId)?.nodes.find((x) => x.name === node);
    if (!cluster || !n?.online) return [];
    const client = await this.connections.client(cluster);
    const lists = await Promise.all(n.isoStorages.map((s) => client.storageContent(node, s, 'iso')));
    return lists.flat().filter((i) => i.content === 'iso');
  }

  /** The one loader. A call during a load runs one more load after it (shared by all such calls). */
  private reload(clusterId: string): Promise<void> {
    let s = this.states.get(clusterId);
    if (!s) this.states.set(clusterId, (s = {}));
    const state = s;
    if (state.running) {
      state.queued ??= state.running.then(() => {
        state.queued = undefined;
        return this.reload(clusterId);
      });
      return state.queued;
    }
    state.running = this.fetch(clusterId, state).finally(() => (state.running = undefined));
    return state.running;
  }

  private async fetch(clusterId: string, state: ClusterState): Promise<void> {
    const cluster = this.clusters.get(clusterId);
    if (!cluster) return;
    const hadError = state.error !== undefined;
    const first = !state.inventory && !hadError;
    let changed: boolean;
    try {
      const client = await this.connections.client(cluster);
      const resources = await client.resources();
      const key = JSON.stringify(resources);
      changed = key !== state.key;
      state.key = key;
      if (changed || !state.inventory) state.inventory = buildInventory(resources);
      state.error = undefined;
    } catch (err) {
      state.error = err;
      state.key = undefined;
      changed = true;
      this.log.warn(`${cluster.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (this.states.get(clusterId) !== state) return; // the cluster was edited or removed meanwhile
    const structural = first || hadError || state.error !== undefined;
    if (changed || structural) this.inventoryChanged.fire({ clusterId, structural });
    this.refreshed.fire(clusterId);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.connections.dispose();
    this.clusters.dispose();
    this.clustersChanged.dispose();
    this.inventoryChanged.dispose();
    this.refreshed.dispose();
    this.refreshRequested.dispose();
  }
}
