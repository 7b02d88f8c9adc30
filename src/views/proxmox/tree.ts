import * as vscode from 'vscode';
import { clusterGroups, roleOf } from '../../providers/cluster/groups';
import type { Inventory } from '../../providers/proxmox/inventory';
import type { ClusterResource, StorageContentItem } from '../../providers/proxmox/types';
import type { ClusterConfig } from '../../services/proxmox/clusters';
import type { GuestData } from '../../services/proxmox/guest-data';
import type { InventoryChange, ProxmoxSession } from '../../services/proxmox/session';
import { describeError } from './errors';
import { GuestDataItems, isGuestDataElement, isReloadedGroup, type GuestDataElement } from './guest-items';
import { guestModel, guestTooltip, gib, nodeModel, type ItemModel } from './model';
import type { GuestDetails } from '../../services/proxmox/guest-details';
import { guestResourceUri } from './tag-decorations';
import { notesTooltip } from './guest-notes';

/** Tree elements. Instances are kept per id so a refresh can fire events for exactly what changed. */
export type ProxmoxElement =
  | { kind: 'cluster'; id: string; cluster: ClusterConfig }
  | { kind: 'node'; id: string; clusterId: string; node: string }
  | { kind: 'folder'; id: string; clusterId: string; node: string; folder: 'vms' | 'templates' | 'isos' }
  | { kind: 'guest'; id: string; clusterId: string; resource: ClusterResource; /** Set when listed under a deployed cluster's group. */ group?: string }
  | { kind: 'vmClusters'; id: string; clusterId: string }
  | { kind: 'vmCluster'; id: string; clusterId: string; name: string }
  | { kind: 'iso'; id: string; clusterId: string; node: string; item: StorageContentItem }
  | { kind: 'message'; id: string; clusterId: string; text: string; detail: string; severity: 'error' | 'info'; command?: vscode.Command }
  | GuestDataElement;

/**
 * Proxmox clusters → nodes → VMs / Templates / ISO images, as the session reports them. The tree
 * loads nothing on its own schedule: the session's refresh coordinator decides when to reload,
 * and the tree fires change events only for the items whose text or children differ.
 */
export class ProxmoxTreeProvider implements vscode.TreeDataProvider<ProxmoxElement>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ProxmoxElement | ProxmoxElement[] | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly elements = new Map<string, ProxmoxElement>();
  private readonly signatures = new Map<string, string>();
  private readonly disposables: vscode.Disposable[] = [];
  /** Fires with the cluster id after each completed inventory load (tests, benchmarks). */
  readonly onDidRefresh: vscode.Event<string>;

  /** Snapshots, backups and backup jobs (guest-items.ts); absent: guests have no children. */
  private readonly guestItems?: GuestDataItems<ProxmoxElement>;

  constructor(private readonly session: ProxmoxSession, private readonly guestData?: GuestData, private readonly details?: GuestDetails) {
    this.onDidRefresh = session.onDidRefresh;
    this.disposables.push(
      session.onDidChangeClusters(() => this.changed.fire(undefined)),
      session.onDidChangeInventory((e) => this.fireChanges(e)),
    );
    if (guestData) {
      this.guestItems = new GuestDataItems<ProxmoxElement>(session, guestData, {
        element: (e) => this.element(e),
        message: (id, clusterId, text, detail, severity) => this.element({ kind: 'message', id, clusterId, text, detail, severity }),
      });
      this.disposables.push(guestData.onDidChange((e) => this.fireGuestData(e.clusterId)));
    }
  }

  /** Snapshots or backups of a cluster may have changed: the groups shown ask the service again. */
  private fireGuestData(clusterId: string): void {
    const groups = [...this.elements.values()].filter((e) => isReloadedGroup(e) && e.clusterId === clusterId);
    if (groups.length) this.changed.fire(groups);
  }

  /** The session polls only while the view is visible. */
  attach(view: vscode.TreeView<ProxmoxElement>): void {
    this.disposables.push(view.onDidChangeVisibility((e) => this.session.setViewVisible(e.visible)));
    this.session.setViewVisible(view.visible);
  }

  /** Asks the session to reload (tests; commands ask the session directly). */
  refresh(clusterId?: string): Promise<void> {
    return this.session.refresh(clusterId);
  }

  private element<T extends ProxmoxElement>(e: T): T {
    const existing = this.elements.get(e.id) as T | undefined;
    if (existing) return Object.assign(existing, e);
    this.elements.set(e.id, e);
    return e;
  }

  /** Compares the new signatures with the last ones and fires for the outermost changed elements. */
  private fireChanges({ clusterId, structural }: InventoryChange): void {
    const clusterEl = this.elements.get(`c/${clusterId}`);
    if (!clusterEl) return;
    if (structural) return this.changed.fire(clusterEl);
    const changed: ProxmoxElement[] = [];
    const inv = this.session.inventory(clusterId);
    if (!inv) return;
    if (this.swapSignature(`c/${clusterId}`, clusterSignature(inv))) return this.changed.fire(clusterEl);
    for (const n of inv.nodes) {
      const nodeId = `c/${clusterId}/n/${n.name}`;
      const nodeEl = this.elements.get(nodeId);
      if (!nodeEl) continue; // never shown: nothing to update
      if (this.swapSignature(nodeId, nodeModel(n).signature)) changed.push(nodeEl);
      for (const [folder, list] of [['vms', n.guests], ['templates', n.templates]] as const) {
        const folderId = `${nodeId}/${folder}`;
        const folderEl = this.elements.get(folderId);
        if (!folderEl) continue;
        if (this.swapSignature(folderId, list.map((g) => g.vmid).join(','))) {
          changed.push(folderEl);
          continue;
        }
        for (const g of list) {
          const id = `c/${clusterId}/g/${g.vmid}`;
          const el = this.elements.get(id);
          if (el?.kind !== 'guest') continue;
          el.resource = g;
          if (this.swapSignature(id, guestModel(g).signature)) changed.push(el);
        }
      }
    }
    if (changed.length) this.changed.fire(changed);
  }

  /** Records a signature; true when it differs from the one recorded before (or none was). */
  private swapSignature(id: string, signature: string): boolean {
    const before = this.signatures.get(id);
    this.signatures.set(id, signature);
    return before !== undefined && before !== signature;
  }

  getTreeItem(e: ProxmoxElement): vscode.TreeItem {
    switch (e.kind) {
      case 'cluster': {
        const error = this.session.error(e.cluster.id);
        const item = new vscode.TreeItem(e.cluster.name, vscode.TreeItemCollapsibleState.Expanded);
        item.id = e.id;
        item.iconPath = new vscode.ThemeIcon(error ? 'error' : 'server-environment', error ? new vscode.ThemeColor('errorForeground') : undefined);
        const inv = this.session.inventory(e.cluster.id);
        item.description = error ? vscode.l10n.t('unreachable') : inv ? vscode.l10n.t('{0} nodes · {1} guests', inv.nodes.length, inv.guests) : e.cluster.url;
        item.tooltip = new vscode.MarkdownString(`**${e.cluster.name}**\n\n${e.cluster.url}\n\n${e.cluster.auth.kind === 'token' ? `Token \`${e.cluster.auth.tokenId}\`` : `User \`${e.cluster.auth.username}\``}${e.cluster.fingerprint ? `\n\nPinned SHA-256: \`${e.cluster.fingerprint}\`` : ''}`);
        item.contextValue = e.cluster.ephemeral ? 'cluster-demo' : 'cluster';
        return item;
      }
      case 'node': {
        const n = this.session.inventory(e.clusterId)?.nodes.find((x) => x.name === e.node);
        const m = n ? nodeModel(n) : undefined;
        const item = new vscode.TreeItem(e.node, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = e.id;
        if (m) decorate(item, m);
        return item;
      }
      case 'folder': {
        const n = this.session.inventory(e.clusterId)?.nodes.find((x) => x.name === e.node);
        const labels = { vms: vscode.l10n.t('VMs'), templates: vscode.l10n.t('Templates'), isos: vscode.l10n.t('ISO images') };
        const item = new vscode.TreeItem(labels[e.folder], vscode.TreeItemCollapsibleState.Collapsed);
        item.id = e.id;
        item.iconPath = new vscode.ThemeIcon(e.folder === 'isos' ? 'package' : e.folder === 'templates' ? 'files' : 'vm');
        if (n && e.folder !== 'isos') item.description = String((e.folder === 'vms' ? n.guests : n.templates).length);
        if (n && e.folder === 'isos') item.description = n.isoStorages.join(', ');
        item.contextValue = `folder-${e.folder}`;
        return item;
      }
      case 'guest': {
        const m = guestModel(e.resource);
        const item = new vscode.TreeItem(m.label, this.guestItems ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
        item.id = e.id;
        decorate(item, m);
        // Identifies the row for the tag colours (tag-decorations.ts); nothing is read through it.
        if (e.resource.vmid !== undefined) item.resourceUri = guestResourceUri(e.clusterId, e.resource.vmid);
        if (e.group) item.description = `${roleOf(e.resource) ?? ''} · ${e.resource.node} · ${item.description}`;
        return item;
      }
      case 'vmClusters': {
        const groups = this.groups(e.clusterId);
        const item = new vscode.TreeItem(vscode.l10n.t('Clusters'), vscode.TreeItemCollapsibleState.Collapsed);
        item.id = e.id;
        item.iconPath = new vscode.ThemeIcon('layers');
        item.description = String(groups.size);
        item.contextValue = 'vm-clusters';
        return item;
      }
      case 'vmCluster': {
        const vms = this.groups(e.clusterId).get(e.name) ?? [];
        const running = vms.filter((g) => g.status === 'running').length;
        const item = new vscode.TreeItem(e.name, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = e.id;
        item.iconPath = new vscode.ThemeIcon('layers-active', running === vms.length && vms.length ? new vscode.ThemeColor('testing.iconPassed') : undefined);
        item.description = vscode.l10n.t('{0} VMs · {1} running', vms.length, running);
        item.tooltip = vscode.l10n.t('VMs tagged homelab-cluster-{0}', e.name);
        item.contextValue = running === vms.length ? 'vm-cluster-running' : running === 0 ? 'vm-cluster-stopped' : 'vm-cluster-mixed';
        return item;
      }
      case 'iso': {
        const name = e.item.volid.replace(/^[^:]*:iso\//, '');
        const item = new vscode.TreeItem(name, vscode.TreeItemCollapsibleState.None);
        item.id = e.id;
        item.iconPath = new vscode.ThemeIcon('package');
        item.description = `${gib(e.item.size)} · ${e.item.volid.split(':')[0]}`;
        item.tooltip = `${e.item.volid}\n${e.item.ctime ? new Date(e.item.ctime * 1000).toLocaleString() : ''}`;
        item.contextValue = 'iso';
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(e.text, vscode.TreeItemCollapsibleState.None);
        item.id = e.id;
        item.iconPath = new vscode.ThemeIcon(e.severity === 'error' ? 'error' : 'info', e.severity === 'error' ? new vscode.ThemeColor('errorForeground') : undefined);
        item.tooltip = e.command ? `${e.detail}\n\n${e.command.title}` : e.detail;
        item.description = e.detail;
        item.command = e.command;
        item.contextValue = e.severity === 'error' ? 'message-error' : 'message';
        return item;
      }
      default:
        return this.guestItems!.treeItem(e);
    }
  }

  /** Tooltips with live figures are built when hovered, not for every item on every refresh. */
  async resolveTreeItem(item: vscode.TreeItem, e: ProxmoxElement): Promise<vscode.TreeItem> {
    if (e.kind === 'guest') item.tooltip = await notesTooltip(guestTooltip(e.resource), this.details, e.clusterId, e.resource.vmid);
    return item;
  }

  getParent(e: ProxmoxElement): ProxmoxElement | undefined {
    switch (e.kind) {
      case 'cluster':
        return undefined;
      case 'node':
      case 'message':
      case 'vmClusters':
        return this.elements.get(`c/${e.clusterId}`);
      case 'vmCluster':
        return this.elements.get(`c/${e.clusterId}/clusters`);
      case 'folder':
        return this.elements.get(`c/${e.clusterId}/n/${e.node}`);
      case 'guest': {
        if (e.group) return this.elements.get(`c/${e.clusterId}/clusters/${e.group}`);
        const folder = e.resource.template === 1 ? 'templates' : 'vms';
        return this.elements.get(`c/${e.clusterId}/n/${e.resource.node}/${folder}`);
      }
      case 'iso':
        return this.elements.get(`c/${e.clusterId}/n/${e.node}/isos`);
      default:
        return this.elements.get(this.guestItems!.parentId(e));
    }
  }

  async getChildren(e?: ProxmoxElement): Promise<ProxmoxElement[]> {
    if (!e) return this.session.clusters.list().map((cluster) => this.element({ kind: 'cluster', id: `c/${cluster.id}`, cluster }));
    switch (e.kind) {
      case 'cluster': {
        await this.session.ensureLoaded(e.cluster.id);
        const error = this.session.error(e.cluster.id);
        if (error !== undefined) return [this.errorElement(e.cluster, error)];
        const inv = this.session.inventory(e.cluster.id);
        if (!inv) return [];
        this.signatures.set(e.id, clusterSignature(inv));
        const nodes: ProxmoxElement[] = inv.nodes.map((n) => {
          const el = this.element({ kind: 'node', id: `${e.id}/n/${n.name}`, clusterId: e.cluster.id, node: n.name });
          this.signatures.set(el.id, nodeModel(n).signature);
          return el;
        });
        if (clusterGroups(inv).size) nodes.push(this.element({ kind: 'vmClusters', id: `${e.id}/clusters`, clusterId: e.cluster.id }));
        const jobs = await this.guestItems?.clusterFolder(e.cluster.id, e.id);
        if (jobs) nodes.push(jobs);
        return nodes;
      }
      case 'vmClusters':
        return [...this.groups(e.clusterId).keys()].map((name) => this.element({ kind: 'vmCluster', id: `${e.id}/${name}`, clusterId: e.clusterId, name }));
      case 'vmCluster':
        return (this.groups(e.clusterId).get(e.name) ?? []).map((resource) =>
          this.element({ kind: 'guest', id: `${e.id}/g/${resource.vmid}`, clusterId: e.clusterId, resource, group: e.name }));
      case 'node': {
        const folders: ProxmoxElement[] = (['vms', 'templates', 'isos'] as const).map((folder) =>
          this.element({ kind: 'folder', id: `${e.id}/${folder}`, clusterId: e.clusterId, node: e.node, folder }),
        );
        if (this.guestItems) folders.push(this.guestItems.nodeFolder(e.clusterId, e.id, e.node));
        return folders;
      }
      case 'folder':
        return this.folderChildren(e);
      case 'guest':
        return this.guestItems?.guestGroups(e.clusterId, e.id, e.resource) ?? [];
      default:
        return isGuestDataElement(e) && this.guestItems ? this.guestItems.children(e) : [];
    }
  }

  private async folderChildren(e: Extract<ProxmoxElement, { kind: 'folder' }>): Promise<ProxmoxElement[]> {
    const n = this.session.inventory(e.clusterId)?.nodes.find((x) => x.name === e.node);
    if (!n) return [];
    if (e.folder !== 'isos') {
      const list = e.folder === 'vms' ? n.guests : n.templates;
      this.signatures.set(e.id, list.map((g) => g.vmid).join(','));
      return list.map((resource) => {
        const el = this.element({ kind: 'guest', id: `c/${e.clusterId}/g/${resource.vmid}`, clusterId: e.clusterId, resource });
        this.signatures.set(el.id, guestModel(resource).signature);
        return el;
      });
    }
    const cluster = this.session.clusters.get(e.clusterId);
    if (!cluster || !n.online) return [];
    try {
      const items = await this.session.isoImages(e.clusterId, e.node);
      if (!items.length) {
        return [this.element({ kind: 'message', id: `${e.id}/empty`, clusterId: e.clusterId, severity: 'info', text: vscode.l10n.t('No ISO images'), detail: n.isoStorages.join(', ') })];
      }
      return items.map((item) => this.element({ kind: 'iso', id: `c/${e.clusterId}/iso/${e.node}/${item.volid}`, clusterId: e.clusterId, node: e.node, item }));
    } catch (err) {
      return [this.errorElement(cluster, err, `${e.id}/error`)];
    }
  }

  private errorElement(cluster: ClusterConfig, err: unknown, id = `c/${cluster.id}/error`): ProxmoxElement {
    const d = describeError(err);
    const command: vscode.Command = d.certificateChanged
      ? { title: vscode.l10n.t('Review certificate'), command: 'homelab.proxmox.reviewCertificate', arguments: [cluster.id] }
      : { title: vscode.l10n.t('Retry'), command: 'homelab.proxmox.refresh', arguments: [cluster.id] };
    return this.element({ kind: 'message', id, clusterId: cluster.id, severity: 'error', text: d.text, detail: d.detail, command });
  }

  private groups(clusterId: string): Map<string, ClusterResource[]> {
    return this.session.groups(clusterId);
  }

  findGuest(clusterId: string, vmid: number): ProxmoxElement | undefined {
    return this.elements.get(`c/${clusterId}/g/${vmid}`);
  }

  dispose(): void {
    this.changed.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

/** Node names and the guest count: what the cluster item and its children list show. */
const clusterSignature = (inv: Inventory) => {
  // Deployed clusters' membership and power state: a change redraws the cluster's subtree.
  const groups = [...clusterGroups(inv)].map(([name, vms]) => `${name}:${vms.map((g) => `${g.vmid}${g.status === 'running' ? '+' : ''}`).join(',')}`).join(';');
  return `${inv.nodes.map((n) => n.name).join(',')}|${inv.guests}|${groups}`;
};

function decorate(item: vscode.TreeItem, m: ItemModel): void {
  item.description = m.description;
  item.iconPath = new vscode.ThemeIcon(m.icon, m.color ? new vscode.ThemeColor(m.color) : undefined);
  item.contextValue = m.contextValue;
}
