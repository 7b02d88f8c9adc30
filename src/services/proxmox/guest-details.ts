// What the tree shows of a guest beyond `/cluster/resources`: its notes (the config's `description`,
// read when a tooltip is hovered) and the cluster's tag style (`/cluster/options`, read once per
// cluster load). Cached here so the tree only displays; dropped when the session reloads a cluster.
import * as vscode from 'vscode';
import type { TagStyle } from '../../providers/proxmox/tags';
import type { ProxmoxSession } from './session';

export class GuestDetails implements vscode.Disposable {
  private readonly notesCache = new Map<string, Promise<string | undefined>>();
  private readonly styles = new Map<string, TagStyle | 'loading'>();
  private readonly styleChanged = new vscode.EventEmitter<string>();
  /** Fires with the cluster id when its tag style was (re)loaded. */
  readonly onDidChangeTagStyle = this.styleChanged.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly session: ProxmoxSession, private readonly log: vscode.LogOutputChannel) {
    // Notes are re-read after every inventory load: a change made elsewhere shows at the next hover.
    this.subscription = session.onDidRefresh((clusterId) => {
      for (const k of [...this.notesCache.keys()]) if (k.startsWith(`${clusterId}/`)) this.notesCache.delete(k);
    });
  }

  /** The notes of a guest ('' when it has none); undefined when they could not be read. */
  notes(clusterId: string, vmid: number): Promise<string | undefined> {
    const key = `${clusterId}/${vmid}`;
    let p = this.notesCache.get(key);
    if (!p) {
      p = this.readNotes(clusterId, vmid);
      this.notesCache.set(key, p);
      p.then((v) => v === undefined && this.notesCache.delete(key), () => this.notesCache.delete(key));
    }
    return p;
  }

  /** Notes just saved by Homelab: the tooltip shows them without a read. */
  setNotes(clusterId: string, vmid: number, notes: string): void {
    this.notesCache.set(`${clusterId}/${vmid}`, Promise.resolve(notes));
  }

  private async readNotes(clusterId: string, vmid: number): Promise<string | undefined> {
    const cluster = this.session.clusters.get(clusterId);
    const r = this.session.guest(clusterId, vmid);
    if (!cluster || !r?.node || (r.type !== 'qemu' && r.type !== 'lxc')) return undefined;
    try {
      const { readNotes } = await import('../../providers/proxmox/notes');
      return (await readNotes(await this.session.connections.client(cluster), { node: r.node, type: r.type, vmid })).notes;
    } catch (e) {
      this.log.warn(`notes of ${r.type} ${vmid}: ${(e as Error).message}`);
      return undefined;
    }
  }

  /** The cluster's tag style if loaded; otherwise starts loading it and answers undefined (onDidChangeTagStyle follows). */
  tagStyle(clusterId: string): TagStyle | undefined {
    const s = this.styles.get(clusterId);
    if (s === 'loading') return undefined;
    if (s) return s;
    this.styles.set(clusterId, 'loading');
    void this.loadStyle(clusterId);
    return undefined;
  }

  /** Reads the tag style again (after the user changed tags, or on an explicit refresh). */
  async reloadTagStyle(clusterId: string): Promise<void> {
    await this.loadStyle(clusterId);
  }

  private async loadStyle(clusterId: string): Promise<void> {
    const cluster = this.session.clusters.get(clusterId);
    if (!cluster) return;
    try {
      const { clusterTagStyle } = await import('../../providers/proxmox/tags');
      this.styles.set(clusterId, await clusterTagStyle(await this.session.connections.client(cluster)));
    } catch (e) {
      // Without Sys.Audit on / the options are unreadable: no colours, the tree works as before.
      const { DEFAULT_TAG_STYLE } = await import('../../providers/proxmox/tags');
      this.styles.set(clusterId, DEFAULT_TAG_STYLE);
      this.log.warn(`tag style of ${cluster.name}: ${(e as Error).message}`);
    }
    this.styleChanged.fire(clusterId);
  }

  dispose(): void {
    this.subscription.dispose();
    this.styleChanged.dispose();
  }
}
