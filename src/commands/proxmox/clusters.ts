import * as vscode from 'vscode';
import type { ClusterTrust, ProxmoxAuth, ServerCertificate } from '../../providers/proxmox';
import type { ClusterConfig, ClusterStore } from '../../services/proxmox/clusters';
import type { Connections } from '../../services/proxmox/connections';
import type { ProxmoxSession } from '../../services/proxmox/session';
import type { ProxmoxElement } from '../../views/proxmox/tree';
import type { Prompts } from '../prompts';
import type { CommandRegistry } from '../registry';
import { isCancellation } from '../../providers/cancellation';
import { RetryableError, runWizard, type SummaryLine, type WizardStep, type WizardTrail } from '../wizard';
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

/** How Homelab signs in, as a wizard answers it (the secret lives only in memory until stored). */
interface Credentials {
  kind?: 'token' | 'ticket';
  tokenId?: string;
  username?: string;
  secret?: string;
}

function authOf(c: Credentials): { auth: ClusterConfig['auth']; secret: string } {
  return c.kind === 'token'
    ? { auth: { kind: 'token', tokenId: c.tokenId! }, secret: c.secret! }
    : { auth: { kind: 'ticket', username: c.username! }, secret: c.secret! };
}

const proxmoxAuth = (c: Credentials): ProxmoxAuth => {
  const { auth, secret } = authOf(c);
  return auth.kind === 'token' ? { ...auth, secret } : { ...auth, password: secret };
};

/** Three wizard steps: token or password, the token ID or user, the secret or password. */
async function credentialSteps<S extends Credentials>(deps: ClusterCommandDeps, title: (s: string) => string): Promise<WizardStep<S>[]> {
  const { validateTokenId, validateTokenSecret } = await provider();
  return [
    async (s, at) => {
      const [kind] = await deps.prompts.pickStep([
        { label: vscode.l10n.t('API token'), id: 'token', detail: vscode.l10n.t('Recommended: user@realm!tokenname and its secret') },
        { label: vscode.l10n.t('User and password'), id: 'ticket', detail: vscode.l10n.t('Signs in for a ticket, renewed every hour') },
      ], { title: title(vscode.l10n.t('How does Homelab sign in?')) }, at);
      if (s.kind !== kind.id) s.secret = undefined; // a token secret is no password
      s.kind = kind.id as Credentials['kind'];
    },
    async (s, at) => {
      if (s.kind === 'token') {
        s.tokenId = (await deps.prompts.inputStep({
          title: title(vscode.l10n.t('API token ID')),
          prompt: vscode.l10n.t('As shown under Datacenter → Permissions → API Tokens, e.g. root@pam!homelab'),
          value: s.tokenId ?? '',
          validateInput: validator(validateTokenId),
        }, at)).trim();
        return;
      }
      s.username = (await deps.prompts.inputStep({
        title: title(vscode.l10n.t('User')),
        prompt: vscode.l10n.t('user@realm, e.g. root@pam'),
        value: s.username ?? '',
        validateInput: (v) => (/^[^\s@]+@[^\s@!]+$/.test(v.trim()) ? undefined : vscode.l10n.t('Enter the user as user@realm (for example root@pam).')),
      }, at)).trim();
    },
    async (s, at) => {
      const v = s.kind === 'token'
        ? (await deps.prompts.inputStep({
          title: title(vscode.l10n.t('API token secret')),
          prompt: vscode.l10n.t('The UUID Proxmox showed once when the token was created. Kept in VS Code\'s secret storage only.'),
          password: true,
          value: s.secret ?? '',
          validateInput: validator(validateTokenSecret),
        }, at)).trim()
        : await deps.prompts.inputStep({
          title: title(vscode.l10n.t('Password')),
          password: true,
          value: s.secret ?? '',
          validateInput: (x) => (x ? undefined : vscode.l10n.t('Enter the password.')),
        }, at);
      s.secret = v;
    },
  ];
}

/** Summary lines of the credential steps, which sit at `first`, `first + 1` and `first + 2`. */
function credentialLines(c: Credentials, first: number): SummaryLine[] {
  return [
    { label: vscode.l10n.t('Sign in with'), value: c.kind === 'token' ? vscode.l10n.t('API token') : vscode.l10n.t('User and password'), step: first },
    c.kind === 'token'
      ? { label: vscode.l10n.t('API token ID'), value: c.tokenId ?? '', step: first + 1 }
      : { label: vscode.l10n.t('User'), value: c.username ?? '', step: first + 1 },
    { label: c.kind === 'token' ? vscode.l10n.t('API token secret') : vscode.l10n.t('Password'), value: '••••••••', step: first + 2 },
  ];
}

/** Answers of Add Proxmox Cluster, kept for "Try again" (in memory only: it holds the secret). */
interface AddAnswers {
  state: Credentials & { url?: string; name?: string };
  trail: WizardTrail;
}

/** A failure before anything was stored offers "Try again" with the answers; a cancellation stays one. */
function keepAnswers(e: unknown, retry: () => Promise<unknown>): unknown {
  if (isCancellation(e) || e instanceof RetryableError) return e;
  return new RetryableError(e instanceof Error ? e.message : String(e), retry);
}

async function addCluster(deps: ClusterCommandDeps, kept?: AddAnswers): Promise<ClusterConfig> {
  const { parseClusterUrl } = await provider();
  const title = (s: string) => `${vscode.l10n.t('Add Proxmox Cluster')}: ${s}`;
  const answers: AddAnswers = kept ?? { state: {}, trail: { answered: [], skipped: [] } };
  const cred = await credentialSteps<AddAnswers['state']>(deps, title);
  await runWizard(answers.state, [
    async (s, at) => {
      const v = await deps.prompts.inputStep({
        title: title(vscode.l10n.t('URL')),
        prompt: vscode.l10n.t('The address of any node, with port 8006'),
        placeHolder: 'https://pve1.lan:8006',
        value: s.url ?? '',
        validateInput: validator((x) => {
          try {
            parseClusterUrl(x);
            return undefined;
          } catch (e) {
            return (e as Error).message;
          }
        }),
      }, at);
      s.url = parseClusterUrl(v.trim()).origin;
    },
    ...cred,
    async (s, at) => {
      s.name = (await deps.prompts.inputStep({
        title: title(vscode.l10n.t('Name')),
        value: s.name ?? new URL(s.url!).hostname,
        validateInput: (v) => (v.trim() ? undefined : vscode.l10n.t('Enter a name for the cluster.')),
      }, at)).trim();
    },
    async (s, at) => {
      await deps.prompts.summaryStep(title(vscode.l10n.t('Summary')), [
        { label: vscode.l10n.t('URL'), value: s.url!, step: 0 },
        ...credentialLines(s, 1),
        { label: vscode.l10n.t('Name'), value: s.name!, step: 4 },
      ], vscode.l10n.t('Connect to {0}', s.url!), at);
    },
  ], answers.trail);
  const { url, name } = answers.state as Required<AddAnswers['state']>;
  let fingerprint: string;
  let summary: string;
  try {
    fingerprint = await trustCertificate(deps, url);
    summary = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Connecting to {0}…', name) },
      () => probe(url, fingerprint, proxmoxAuth(answers.state)),
    );
  } catch (e) {
    // Nothing is stored yet: "Try again" reopens the summary with every answer as it was.
    throw keepAnswers(e, () => addCluster(deps, answers));
  }
  // Only now, with everything verified, is anything stored.
  const { auth, secret } = authOf(answers.state);
  const cluster: ClusterConfig = { id: deps.clusters.newId(name), name, url, fingerprint, auth };
  await deps.clusters.save(cluster, secret);
  deps.log.info(`added cluster ${name} (${url}): ${summary}`);
  void vscode.window.showInformationMessage(vscode.l10n.t('Connected to {0}: {1}.', name, summary));
  return cluster;
}

/** New credentials for a cluster: asked, checked the way the cluster is trusted, then stored. */
async function editCredentials(deps: ClusterCommandDeps, cluster: ClusterConfig, kept?: { state: Credentials; trail: WizardTrail }): Promise<void> {
  const title = (s: string) => `${vscode.l10n.t('Edit {0}', cluster.name)}: ${s}`;
  const answers = kept ?? {
    state: cluster.auth.kind === 'token' ? { kind: 'token' as const, tokenId: cluster.auth.tokenId } : { kind: 'ticket' as const, username: cluster.auth.username },
    trail: { answered: [], skipped: [] },
  };
  const cred = await credentialSteps<Credentials>(deps, title);
  await runWizard(answers.state, [
    ...cred,
    async (s, at) => deps.prompts.summaryStep(title(vscode.l10n.t('Summary')), credentialLines(s, 0), vscode.l10n.t('Test and save'), at),
  ], answers.trail);
  try {
    // Checked the way the cluster is trusted: its pin, or its CA file (never the system CAs).
    await probe(cluster.url, await (await provider()).clusterTrust(cluster), proxmoxAuth(answers.state));
  } catch (e) {
    throw keepAnswers(e, () => editCredentials(deps, cluster, answers));
  }
  const { auth, secret } = authOf(answers.state);
  await deps.clusters.save({ ...cluster, auth }, secret);
  deps.connections.reset(cluster.id);
}

/** A new address (and so a certificate to trust), or the same one re-trusted; saved once it works. */
async function editAddress(deps: ClusterCommandDeps, cluster: ClusterConfig, askUrl: boolean, keptUrl?: string): Promise<void> {
  const { parseClusterUrl } = await provider();
  const step = () => `${vscode.l10n.t('Edit {0}', cluster.name)}: `;
  const url = askUrl
    ? parseClusterUrl((await deps.prompts.input({ title: step() + vscode.l10n.t('URL'), value: keptUrl ?? cluster.url, validateInput: validator((v) => { try { parseClusterUrl(v); return undefined; } catch (e) { return (e as Error).message; } }) })).trim()).origin
    : cluster.url;
  try {
    // A new address means a new certificate to trust; nothing is saved until it is trusted and works.
    const fingerprint = await trustCertificate(deps, url, url === cluster.url ? cluster.fingerprint : undefined);
    await probe(url, fingerprint, await deps.clusters.auth(cluster));
    await deps.clusters.save({ ...cluster, url, fingerprint });
  } catch (e) {
    throw keepAnswers(e, () => editAddress(deps, cluster, askUrl, url));
  }
  deps.connections.reset(cluster.id);
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
  if (what.id === 'credentials') return editCredentials(deps, cluster);
  return editAddress(deps, cluster, what.id === 'url');
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
