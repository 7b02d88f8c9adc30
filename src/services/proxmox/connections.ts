import * as vscode from 'vscode';
import type { ProxmoxClient } from '../../providers/proxmox';
import { settings } from '../settings';
import type { ClusterConfig, ClusterStore } from './clusters';

/**
 * One ProxmoxClient per cluster, made on first use (never at activation) and rebuilt when the
 * cluster's settings change. The client module (undici, proxmox-api) is loaded lazily.
 */
export class Connections implements vscode.Disposable {
  private readonly clients = new Map<string, { key: string; client: Promise<ProxmoxClient> }>();
  private readonly subscription: vscode.Disposable;

  constructor(private readonly clusters: ClusterStore) {
    this.subscription = clusters.onDidChange(() => this.prune());
  }

  async client(cluster: ClusterConfig): Promise<ProxmoxClient> {
    const key = JSON.stringify(cluster);
    const cached = this.clients.get(cluster.id);
    if (cached?.key === key) return cached.client;
    if (cached) void cached.client.then((c) => c.close()).catch(() => {});
    const client = this.create(cluster);
    this.clients.set(cluster.id, { key, client });
    client.catch(() => this.clients.get(cluster.id)?.client === client && this.clients.delete(cluster.id));
    return client;
  }

  /** Forget a client so the next call builds a new one (after a secret changed, say). */
  reset(clusterId: string): void {
    const cached = this.clients.get(clusterId);
    this.clients.delete(clusterId);
    void cached?.client.then((c) => c.close()).catch(() => {});
  }

  private async create(cluster: ClusterConfig): Promise<ProxmoxClient> {
    const { ProxmoxClient, clusterTrust } = await import('../../providers/proxmox');
    const timeoutMs = settings.get('proxmox.requestTimeout') * 1000;
    // The CA file is checked here (PEM, a certificate), so a bad file is named as such, not as an untrusted server.
    const { caPem } = await clusterTrust(cluster);
    if (!cluster.fingerprint && !caPem) {
      throw new Error(vscode.l10n.t('Cluster "{0}" has neither a pinned fingerprint nor a CA file: edit it to trust its certificate.', cluster.name));
    }
    return new ProxmoxClient({ url: cluster.url, fingerprint: cluster.fingerprint, caPem, auth: await this.clusters.auth(cluster), timeoutMs });
  }

  private prune(): void {
    const live = new Map(this.clusters.list().map((c) => [c.id, JSON.stringify(c)]));
    for (const [id, { key }] of this.clients) if (live.get(id) !== key) this.reset(id);
  }

  dispose(): void {
    this.subscription.dispose();
    for (const id of [...this.clients.keys()]) this.reset(id);
  }
}
