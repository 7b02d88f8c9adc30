import * as vscode from 'vscode';
import type { ProxmoxAuth } from '../../providers/proxmox';
import { settings } from '../settings';

/** A Proxmox cluster as kept in settings. Never holds a secret: those live in SecretStorage. */
export interface ClusterConfig {
  id: string;
  name: string;
  url: string;
  /** Pinned SHA-256 of the cluster's certificate (uppercase, colon-separated). */
  fingerprint?: string;
  /** Path of a CA PEM to trust instead of a fingerprint (e.g. a copy of pve-root-ca.pem). */
  caFile?: string;
  auth: { kind: 'token'; tokenId: string } | { kind: 'ticket'; username: string };
  /** Set for clusters that exist only for this session (the demo lab); not written to settings. */
  ephemeral?: boolean;
}

const secretKey = (id: string) => `homelab.proxmox.secret.${id}`;

/** Clusters from settings (plus session-only ones), with their secrets in SecretStorage. */
export class ClusterStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly ephemeral = new Map<string, ClusterConfig>();
  private readonly subscription: vscode.Disposable;

  constructor(private readonly secrets: vscode.SecretStorage) {
    this.subscription = settings.onDidChange((e) => {
      if (e.affects('proxmox.clusters')) this.changed.fire();
    });
  }

  list(): ClusterConfig[] {
    const saved = settings.get('proxmox.clusters');
    return [...saved.filter(isClusterConfig), ...this.ephemeral.values()];
  }

  get(id: string): ClusterConfig | undefined {
    return this.list().find((c) => c.id === id);
  }

  /** Adds or replaces a cluster. The secret is written first so a saved cluster always has one. */
  async save(cluster: ClusterConfig, secret?: string): Promise<void> {
    if (secret !== undefined) await this.secrets.store(secretKey(cluster.id), secret);
    if (cluster.ephemeral) {
      this.ephemeral.set(cluster.id, cluster);
      this.changed.fire();
      return;
    }
    const { ephemeral: _e, ...persisted } = cluster;
    const others = this.saved().filter((c) => c.id !== cluster.id);
    const before = this.saved().findIndex((c) => c.id === cluster.id);
    const next = [...others];
    next.splice(before >= 0 ? before : next.length, 0, persisted);
    await settings.update('proxmox.clusters', next);
  }

  async remove(id: string): Promise<void> {
    await this.secrets.delete(secretKey(id));
    if (this.ephemeral.delete(id)) return this.changed.fire();
    const next = this.saved().filter((c) => c.id !== id);
    await settings.update('proxmox.clusters', next);
  }

  async auth(cluster: ClusterConfig): Promise<ProxmoxAuth> {
    const secret = await this.secrets.get(secretKey(cluster.id));
    if (!secret) {
      throw new Error(vscode.l10n.t('No secret is stored for cluster "{0}": edit the cluster to enter it again.', cluster.name));
    }
    return cluster.auth.kind === 'token'
      ? { kind: 'token', tokenId: cluster.auth.tokenId, secret }
      : { kind: 'ticket', username: cluster.auth.username, password: secret };
  }

  /** A name-derived id that is unique among the clusters. */
  newId(name: string): string {
    const base = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'cluster';
    const taken = new Set(this.list().map((c) => c.id));
    let id = base;
    for (let i = 2; taken.has(id); i++) id = `${base}-${i}`;
    return id;
  }

  private saved(): ClusterConfig[] {
    return this.list().filter((c) => !c.ephemeral);
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

function isClusterConfig(v: unknown): v is ClusterConfig {
  const c = v as ClusterConfig;
  return !!c && typeof c.id === 'string' && typeof c.name === 'string' && typeof c.url === 'string' && !!c.auth;
}
