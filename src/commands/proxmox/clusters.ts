import * as vscode from 'vscode';
import type { ClusterTrust, ProxmoxAuth, ServerCertificate } from '../../providers/proxmox';
import type { ClusterConfig, ClusterStore } from '../../services/proxmox/clusters';
import type { Connections } from '../../services/proxmox/connections';
import type { ProxmoxSession } from '../../services/proxmox/session';
import type { ProxmoxElement } from '../../views/proxmox/tree';
import type { Prompts } from '../prompts';
import type { CommandRegistry } from '../registry';
import { DEMO_LAB_ID } from './demo-lab';

export interface ClusterCommandDeps {
  clusters: ClusterStore;
  connections: Connections;
  session: ProxmoxSession;
  prompts: Prompts;
  log: vscode.LogOutputChannel;
  /** Starts the built-in simulator and returns how to reach it (loaded lazily: not in the main bundle). */
  startDemoLab(): Promise<DemoLab>;
}

export interface DemoLab {
  url: string;
  fingerprint: string;
  tokenId: string;
  tokenSecret: string;
}

const provider = () => import('../../providers/proxmox');

/** The cluster a command was invoked on: a tree element, an id, or the user's pick. */
export async function resolveCluster(deps: Pick<ClusterCommandDeps, 'clusters' | 'prompts'>, arg: unknown): Promise<ClusterConfig> {
  const id = typeof arg === 'string' ? arg : (arg as ProxmoxElement | undefined)?.kind === 'cluster' ? (arg as { cluster: ClusterConfig }).cluster.id : (arg as { clusterId?: string } | undefined)?.clusterId;
  const all = deps.clusters.list();
  if (id) {
    const found = deps.clusters.get(id);
    if (!found) throw new Error(vscode.l10n.t('No cluster with id "{0}".', id));
    return found;
  }
  if (!all.length) throw new Error(vscode.l10n.t('No Proxmox cluster is configured: run "Homelab: Add Proxmox Cluster" first.'));
  if (all.length === 1) return all[0];
  const picked = await deps.prompts.pick(all.map((c) => ({ label: c.name, description: c.url, id: c.id })), { title: vscode.l10n.t('Choose a cluster') });
  return deps.clusters.get(picked.id)!;
}

function validator(check: (v: string) => string | undefined): (v: string) => string | undefined {
  return (v) => check(v.trim());
}

/** Reads the server certificate (TLS handshake only, nothing sent) and asks the user to trust it. */
async function trustCertificate(deps: ClusterCommandDeps, url: string, pinned?: string): Promise<string> {
  const { fetchServerCertificate } = await provider();
  const cert = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Reading the certificate of {0}…', url) },
    () => fetchServerCertificate(url),
  );
  if (pinned && cert.fingerprint256 === pinned) {
    void vscode.window.showInformationMessage(vscode.l10n.t('The certificate still matches the pinned fingerprint {0}.', pinned));
    return pinned;
  }
  const trust = vscode.l10n.t('Trust');
  const message = pinned
    ? vscode.l10n.t('The certificate of {0} has changed. Trust the new one?', url)
    : vscode.l10n.t('Trust the certificate of {0}?', url);
  await deps.prompts.confirm(message, certificateDetail(cert, pinned), trust);
  deps.log.info(`trusted certificate ${cert.fingerprint256} for ${url}`);
  return cert.fingerprint256;
}

function certificateDetail(cert: ServerCertificate, pinned?: string): string {
  return [
    pinned ? vscode.l10n.t('Pinned until now: {0}', pinned) : '',
    vscode.l10n.t('SHA-256 fingerprint: {0}', cert.fingerprint256),
    vscode.l10n.t('Subject: {0}', cert.subject),
    vscode.l10n.t('Issuer: {0}', cert.issuer),
    vscode.l10n.t('Valid until: {0}', cert.validTo),
    '',
    pinned
      ? vscode.l10n.t('Trust it only if you renewed or replaced the certificate yourself. Otherwise someone may be intercepting the connection.')
      : vscode.l10n.t('Compare it with the fingerprint Proxmox shows under Node → System → Certificates before you trust it.'),
  ].filter((l, i) => l || i > 0).join('\n');
}

/** Connects with the pinned certificate (or the cluster's CA) and the credentials; returns a one-line summary. */
async function probe(url: string, trust: string | ClusterTrust, auth: ProxmoxAuth): Promise<string> {
  const { ProxmoxClient } = await provider();
  const client = new ProxmoxClient({ url, ...(typeof trust === 'string' ? { fingerprint: trust } : trust), auth });
  try {
    const version = await client.version();
    const nodes = await client.nodes();
    const online = nodes.filter((n) => n.status === 'online').length;
    return vscode.l10n.t('Proxmox VE {0}, {1} of {2} nodes online', version.version, online, nodes.length);
  } finally {
    await client.close();
  }
}

async function askCredentials(deps: ClusterCommandDeps, step: (n: number) => string, existing?: ClusterConfig): Promise<{ auth: ClusterConfig['auth']; secret: string }> {
  const { validateTokenId, validateTokenSecret } = await provider();
  const kind = await deps.prompts.pick(
    [
      { label: vscode.l10n.t('API token'), id: 'token', detail: vscode.l10n.t('Recommended: user@realm!tokenname and its secret') },
      { label: vscode.l10n.t('User and password'), id: 'ticket', detail: vscode.l10n.t('Signs in for a ticket, renewed every hour') },
    ],
    { title: step(2) + vscode.l10n.t('How does Homelab sign in?') },
  );
  if (kind.id === 'token') {
    const tokenId = (await deps.prompts.input({
      title: step(3) + vscode.l10n.t('API token ID'),
      prompt: vscode.l10n.t('As shown under Datacenter → Permissions → API Tokens, e.g. root@pam!homelab'),
      value: existing?.auth.kind === 'token' ? existing.auth.tokenId : '',
      validateInput: validator(validateTokenId),
    })).trim();
    const secret = (await deps.prompts.input({
      title: step(4) + vscode.l10n.t('API token secret'),
      prompt: vscode.l10n.t('The UUID Proxmox showed once when the token was created. Kept in VS Code\'s secret storage only.'),
      password: true,
      validateInput: validator(validateTokenSecret),
    })).trim();
    return { auth: { kind: 'token', tokenId }, secret };
  }
  const username = (await deps.prompts.input({
    title: step(3) + vscode.l10n.t('User'),
    prompt: vscode.l10n.t('user@realm, e.g. root@pam'),
    value: existing?.auth.kind === 'ticket' ? existing.auth.username : '',
    validateInput: (v) => (/^[^\s@]+@[^\s@!]+$/.test(v.trim()) ? undefined : vscode.l10n.t('Enter the user as user@realm (for example root@pam).')),
  })).trim();
  const secret = await deps.prompts.input({
    title: step(4) + vscode.l10n.t('Password'),
    password: true,
    validateInput: (v) => (v ? undefined : vscode.l10n.t('Enter the password.')),
  });
  return { auth: { kind: 'ticket', username }, secret };
}

async function addCluster(deps: ClusterCommandDeps): Promise<ClusterConfig> {
  const { parseClusterUrl } = await provider();
  const step = (n: number) => `${vscode.l10n.t('Add Proxmox Cluster')} (${n}/5): `;
  const urlInput = await deps.prompts.input({
    title: step(1) + vscode.l10n.t('URL'),
    prompt: vscode.l10n.t('The address of any node, with port 8006'),
    placeHolder: 'https://pve1.lan:8006',
    validateInput: validator((v) => {
      try {
        parseClusterUrl(v);
        return undefined;
      } catch (e) {
        return (e as Error).message;
      }
    }),
  });
  const url = parseClusterUrl(urlInput.trim()).origin;
  const { auth, secret } = await askCredentials(deps, step);
  const name = (await deps.prompts.input({
    title: step(5) + vscode.l10n.t('Name'),
    value: new URL(url).hostname,
    validateInput: (v) => (v.trim() ? undefined : vscode.l10n.t('Enter a name for the cluster.')),
  })).trim();
  const fingerprint = await trustCertificate(deps, url);
  const summary = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Connecting to {0}…', name) },
    () => probe(url, fingerprint, auth.kind === 'token' ? { ...auth, secret } : { ...auth, password: secret }),
  );
  // Only now, with everything verified, is anything stored.
  const cluster: ClusterConfig = { id: deps.clusters.newId(name), name, url, fingerprint, auth };
  await deps.clusters.save(cluster, secret);
  deps.log.info(`added cluster ${name} (${url}): ${summary}`);
  void vscode.window.showInformationMessage(vscode.l10n.t('Connected to {0}: {1}.', name, summary));
  return cluster;
}

async function editCluster(deps: ClusterCommandDeps, arg: unknown): Promise<void> {
  const cluster = await resolveCluster(deps, arg);
  const what = await deps.prompts.pick(
    [
      { label: vscode.l10n.t('Name'), id: 'name', description: cluster.name },
      { label: vscode.l10n.t('Credentials'), id: 'credentials', description: cluster.auth.kind === 'token' ? cluster.auth.tokenId : cluster.auth.username },
      { label: vscode.l10n.t('URL'), id: 'url', description: cluster.url },
      { label: vscode.l10n.t('Certificate'), id: 'certificate', description: cluster.fingerprint },
    ],
    { title: vscode.l10n.t('Edit {0}', cluster.name) },
  );
  const step = () => `${vscode.l10n.t('Edit {0}', cluster.name)}: `;
  if (what.id === 'name') {
    const name = (await deps.prompts.input({ title: step() + vscode.l10n.t('Name'), value: cluster.name, validateInput: (v) => (v.trim() ? undefined : vscode.l10n.t('Enter a name for the cluster.')) })).trim();
    return deps.clusters.save({ ...cluster, name });
  }
  if (what.id === 'credentials') {
    const { auth, secret } = await askCredentials(deps, step, cluster);
    // Checked the way the cluster is trusted: its pin, or its CA file (never the system CAs).
    await probe(cluster.url, await (await provider()).clusterTrust(cluster), auth.kind === 'token' ? { ...auth, secret } : { ...auth, password: secret });
    await deps.clusters.save({ ...cluster, auth }, secret);
    deps.connections.reset(cluster.id);
    return;
  }
  const { parseClusterUrl } = await provider();
  const url = what.id === 'url'
    ? parseClusterUrl((await deps.prompts.input({ title: step() + vscode.l10n.t('URL'), value: cluster.url, validateInput: validator((v) => { try { parseClusterUrl(v); return undefined; } catch (e) { return (e as Error).message; } }) })).trim()).origin
    : cluster.url;
  // A new address means a new certificate to trust; nothing is saved until it is trusted and works.
  const fingerprint = await trustCertificate(deps, url, url === cluster.url ? cluster.fingerprint : undefined);
  await probe(url, fingerprint, await deps.clusters.auth(cluster));
  await deps.clusters.save({ ...cluster, url, fingerprint });
  deps.connections.reset(cluster.id);
}

async function removeCluster(deps: ClusterCommandDeps, arg: unknown): Promise<void> {
  const cluster = await resolveCluster(deps, arg);
  const remove = vscode.l10n.t('Remove');
  await deps.prompts.confirm(
    vscode.l10n.t('Remove the cluster "{0}" from Homelab?', cluster.name),
    vscode.l10n.t('Its settings and stored secret are deleted from VS Code. Nothing changes on the cluster itself.'),
    remove,
  );
  deps.connections.reset(cluster.id);
  await deps.clusters.remove(cluster.id);
  deps.log.info(`removed cluster ${cluster.name}`);
}

async function testConnection(deps: ClusterCommandDeps, arg: unknown): Promise<string> {
  const cluster = await resolveCluster(deps, arg);
  const client = await deps.connections.client(cluster);
  const summary = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Testing {0}…', cluster.name) },
    async () => {
      const version = await client.version();
      const nodes = await client.nodes();
      return vscode.l10n.t('Proxmox VE {0}, {1} of {2} nodes online', version.version, nodes.filter((n) => n.status === 'online').length, nodes.length);
    },
  );
  void vscode.window.showInformationMessage(vscode.l10n.t('{0}: connection works ({1}).', cluster.name, summary));
  return summary;
}

async function reviewCertificate(deps: ClusterCommandDeps, arg: unknown): Promise<void> {
  const cluster = await resolveCluster(deps, arg);
  const fingerprint = await trustCertificate(deps, cluster.url, cluster.fingerprint);
  if (fingerprint === cluster.fingerprint) return;
  await probe(cluster.url, fingerprint, await deps.clusters.auth(cluster));
  await deps.clusters.save({ ...cluster, fingerprint });
  deps.connections.reset(cluster.id);
}

/** Adds the demo lab (the built-in simulator) as a session-only cluster. */
export async function connectDemoLab(deps: Pick<ClusterCommandDeps, 'clusters'>, lab: DemoLab): Promise<ClusterConfig> {
  const cluster: ClusterConfig = {
    id: DEMO_LAB_ID,
    name: vscode.l10n.t('Demo lab'),
    url: lab.url,
    fingerprint: lab.fingerprint,
    auth: { kind: 'token', tokenId: lab.tokenId },
    ephemeral: true,
  };
  await deps.clusters.save(cluster, lab.tokenSecret);
  return cluster;
}

export function registerClusterCommands(registry: CommandRegistry, deps: ClusterCommandDeps): void {
  registry.register('homelab.proxmox.addCluster', () => addCluster(deps));
  registry.register('homelab.proxmox.editCluster', (arg) => editCluster(deps, arg));
  registry.register('homelab.proxmox.removeCluster', (arg) => removeCluster(deps, arg));
  registry.register('homelab.proxmox.testConnection', (arg) => testConnection(deps, arg));
  registry.register('homelab.proxmox.reviewCertificate', (arg) => reviewCertificate(deps, arg));
  registry.register('homelab.proxmox.refresh', (arg) => {
    const id = typeof arg === 'string' ? arg : (arg as { clusterId?: string; cluster?: ClusterConfig } | undefined)?.clusterId ?? (arg as { cluster?: ClusterConfig } | undefined)?.cluster?.id;
    return deps.session.refresh(id);
  });
  registry.register('homelab.proxmox.openDemoLab', async () => {
    const lab = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Starting the demo lab (a simulated Proxmox VE cluster)…') },
      () => deps.startDemoLab(),
    );
    return connectDemoLab(deps, lab);
  });
}
