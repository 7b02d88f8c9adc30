import * as assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import * as vscode from 'vscode';
import type { CommandFailure } from '../../src/commands/registry';
import type { HomelabApi } from '../../src/extension';
import type { ProxmoxElement } from '../../src/views/proxmox/tree';
import { makeCert } from '../proxmox-sim/cert';
import { startSimulator, type Simulator } from '../proxmox-sim';
import { activateHomelab, runScripted as run } from './util';

const SETTING = 'proxmox.clusters';

async function clearClusters(api: HomelabApi): Promise<void> {
  for (const c of api.clusters.list()) await api.clusters.remove(c.id);
  await vscode.workspace.getConfiguration('homelab').update(SETTING, undefined, vscode.ConfigurationTarget.Global);
}

/** Runs a command with scripted answers; resolves with the failure message, if it failed. */
async function runScripted(api: HomelabApi, command: string, answers: unknown[], ...args: unknown[]): Promise<string | undefined> {
  return (await run(api, command, answers, ...args)).failure;
}

async function children(api: HomelabApi, e?: ProxmoxElement): Promise<ProxmoxElement[]> {
  return api.proxmoxTree.getChildren(e);
}

async function find(api: HomelabApi, parent: ProxmoxElement | undefined, label: string): Promise<ProxmoxElement> {
  const list = await children(api, parent);
  const found = list.find((e) => api.proxmoxTree.getTreeItem(e).label === label);
  assert.ok(found, `no "${label}" among ${list.map((e) => api.proxmoxTree.getTreeItem(e).label).join(', ')}`);
  return found;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

const resourceRequests = (sim: Simulator) => sim.requestLog.filter((r) => r.path.startsWith('/api2/json/cluster/resources')).length;

describe('Proxmox explorer against the simulator', function () {
  this.timeout(60_000);
  let api: HomelabApi;
  let sim: Simulator;

  before(async () => {
    api = await activateHomelab();
    await clearClusters(api);
    sim = await startSimulator({ nodes: 3, guests: 30, seed: 7, authFailDelayMs: 50, taskDurationMs: 300 });
  });
  after(async () => {
    await clearClusters(api);
    await sim?.close();
  });

  it('adds a cluster through the wizard: fingerprint in settings, secret only in SecretStorage', async () => {
    const failure = await runScripted(api, 'homelab.proxmox.addCluster', [sim.url, 'API token', sim.tokenId, sim.tokenSecret, 'lab', 'confirm', 'Trust']);
    assert.equal(failure, undefined);
    const saved = vscode.workspace.getConfiguration('homelab').get<Record<string, unknown>[]>(SETTING)!;
    assert.equal(saved.length, 1);
    assert.equal(saved[0].url, sim.url);
    assert.equal(saved[0].fingerprint, sim.fingerprint);
    assert.doesNotMatch(JSON.stringify(saved), new RegExp(sim.tokenSecret), 'the secret must not be in settings');
    const auth = await api.clusters.auth(api.clusters.list()[0]);
    assert.deepEqual(auth, { kind: 'token', tokenId: sim.tokenId, secret: sim.tokenSecret });
  });

  it('shows nodes with CPU and memory, and VMs per node from ONE /cluster/resources request', async () => {
    const before = resourceRequests(sim);
    const cluster = await find(api, undefined, 'lab');
    const nodes = await children(api, cluster);
    assert.deepEqual(nodes.map((n) => api.proxmoxTree.getTreeItem(n).label), ['pve1', 'pve2', 'pve3']);
    assert.match(String(api.proxmoxTree.getTreeItem(nodes[0]).description), /^CPU \d+% · [\d.]+ GiB \/ [\d.]+ GiB$/);
    let guests = 0;
    for (const node of nodes) {
      const [vms, templates] = await children(api, node);
      guests += (await children(api, vms)).length + (await children(api, templates)).length;
    }
    assert.equal(guests, sim.state.guests.size);
    assert.equal(resourceRequests(sim) - before, 1, 'the whole inventory is one request');
    const requestsBefore = resourceRequests(sim);
    await api.proxmoxTree.refresh();
    assert.equal(resourceRequests(sim) - requestsBefore, 1, 'a refresh is one request');
  });

  it('VM items carry state icon, description, contextValue and a markdown tooltip', async () => {
    const guest = [...sim.state.guests.values()].find((g) => g.status === 'running' && !g.conf.template)!;
    const el = api.proxmoxTree.findGuest('lab', guest.vmid)!;
    assert.ok(el, 'the running guest is in the tree');
    const item = api.proxmoxTree.getTreeItem(el);
    assert.equal(item.contextValue, 'vm-running');
    assert.equal((item.iconPath as vscode.ThemeIcon).id, 'vm-running');
    assert.match(String(item.description), new RegExp(`^${guest.vmid} · [\\d.]+ GiB · \\d+ vCPU`));
    const resolved = await api.proxmoxTree.resolveTreeItem(item, el);
    assert.match((resolved.tooltip as vscode.MarkdownString).value, /- Node: pve\d/);
    // The real TreeView can reveal it by its stable id.
    await api.proxmoxView.reveal(el, { expand: false, select: true, focus: false });
  });

  it('a refresh without changes fires no change event; a changed VM fires for that VM only', async () => {
    const events: unknown[] = [];
    const sub = api.proxmoxTree.onDidChangeTreeData((e) => events.push(e));
    try {
      await api.proxmoxTree.refresh('lab');
      assert.deepEqual(events.filter((e) => e !== undefined && !(Array.isArray(e) && e.every((x) => (x as ProxmoxElement).kind === 'node'))), []);
      const guest = [...sim.state.guests.values()].find((g) => g.status === 'stopped' && !g.conf.template)!;
      guest.status = 'running';
      guest.startedAt = Date.now();
      sim.state.touch();
      events.length = 0;
      await api.proxmoxTree.refresh('lab');
      const fired = events.flat().filter(Boolean) as ProxmoxElement[];
      const guestEvents = fired.filter((e) => e.kind === 'guest');
      assert.deepEqual(guestEvents.map((e) => (e as { id: string }).id), [`c/lab/g/${guest.vmid}`]);
      assert.equal(api.proxmoxTree.getTreeItem(guestEvents[0]).contextValue, 'vm-running');
    } finally {
      sub.dispose();
    }
  });

  it('a node going offline shows as offline', async () => {
    sim.setNodeOnline('pve3', false);
    try {
      await api.proxmoxTree.refresh('lab');
      const cluster = await find(api, undefined, 'lab');
      const node = await find(api, cluster, 'pve3');
      const item = api.proxmoxTree.getTreeItem(node);
      assert.equal(item.description, 'offline');
      assert.equal(item.contextValue, 'node-offline');
    } finally {
      sim.setNodeOnline('pve3', true);
    }
  });

  it('an unreachable cluster shows an error item with a retry action, and recovers', async () => {
    sim.setFaults({ dropRate: 1 });
    try {
      await api.proxmoxTree.refresh('lab');
      const cluster = await find(api, undefined, 'lab');
      const [error] = await children(api, cluster);
      const item = api.proxmoxTree.getTreeItem(error);
      assert.equal(item.contextValue, 'message-error');
      assert.equal(item.command?.command, 'homelab.proxmox.refresh');
      assert.deepEqual(item.command?.arguments, ['lab']);
    } finally {
      sim.setFaults({});
    }
    await vscode.commands.executeCommand('homelab.proxmox.refresh', 'lab');
    const cluster = await find(api, undefined, 'lab');
    assert.equal((await children(api, cluster)).length, 3);
  });

  it('auto-refreshes only while the view is visible', async () => {
    const config = vscode.workspace.getConfiguration('homelab');
    await config.update('proxmox.refreshInterval', 1, vscode.ConfigurationTarget.Global);
    try {
      await vscode.commands.executeCommand('workbench.view.extension.homelab');
      await waitUntil(() => api.proxmoxView.visible, 'the Proxmox view became visible');
      const shown = resourceRequests(sim);
      await sleep(2600);
      assert.ok(resourceRequests(sim) - shown >= 2, `polled ${resourceRequests(sim) - shown} times in 2.6 s while visible`);
      await vscode.commands.executeCommand('workbench.view.explorer');
      await waitUntil(() => !api.proxmoxView.visible, 'the Proxmox view was hidden');
      await sleep(300); // a refresh already under way may finish
      const hidden = resourceRequests(sim);
      await sleep(2600);
      assert.equal(resourceRequests(sim) - hidden, 0, 'no request while hidden');
    } finally {
      await config.update('proxmox.refreshInterval', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('test connection reports the version and the nodes online', async () => {
    const summary = await vscode.commands.executeCommand<string>('homelab.proxmox.testConnection', 'lab');
    assert.match(summary, /Proxmox VE 9\.\d+\.\d+, 3 of 3 nodes online/);
  });

  it('a changed certificate is refused, explained, and can be reviewed and re-trusted', async () => {
    const cluster = api.clusters.get('lab')!;
    const wrong = sim.fingerprint.replace(/^../, sim.fingerprint.startsWith('00') ? '11' : '00');
    await api.clusters.save({ ...cluster, fingerprint: wrong });
    const node = await find(api, undefined, 'lab');
    const [error] = await children(api, node);
    const item = api.proxmoxTree.getTreeItem(error);
    assert.match(String(item.label), /Certificate changed/);
    assert.match(String(item.tooltip), /intercept/);
    assert.equal(item.command?.command, 'homelab.proxmox.reviewCertificate');
    // Declining keeps the old pin.
    const declined = await runScripted(api, 'homelab.proxmox.reviewCertificate', [undefined], 'lab');
    assert.equal(declined, undefined);
    assert.equal(api.clusters.get('lab')!.fingerprint, wrong);
    await runScripted(api, 'homelab.proxmox.reviewCertificate', ['Trust'], 'lab');
    assert.equal(api.clusters.get('lab')!.fingerprint, sim.fingerprint);
    const again = await find(api, undefined, 'lab');
    assert.equal((await children(api, again)).length, 3);
  });

  it('the audit-only token reads the inventory but its writes get 403', async () => {
    const failure = await runScripted(api, 'homelab.proxmox.addCluster', [sim.url, 'API token', sim.auditTokenId, sim.auditTokenSecret, 'audit', 'confirm', 'Trust']);
    assert.equal(failure, undefined);
    const cluster = await find(api, undefined, 'audit');
    assert.equal((await children(api, cluster)).length, 3);
    const { ProxmoxClient } = await import('../../src/providers/proxmox');
    const client = new ProxmoxClient({ url: sim.url, fingerprint: sim.fingerprint, auth: { kind: 'token', tokenId: sim.auditTokenId, secret: sim.auditTokenSecret } });
    const guest = [...sim.state.guests.values()].find((g) => g.status === 'stopped' && !g.conf.template)!;
    await assert.rejects(client.post(`/nodes/${guest.node}/qemu/${guest.vmid}/status/start`), (e: { kind?: string; message: string }) => {
      assert.equal(e.kind, 'permission');
      assert.match(e.message, /Permission check failed/);
      return true;
    });
    await client.close();
    await runScripted(api, 'homelab.proxmox.removeCluster', ['Remove'], 'audit');
    assert.equal(api.clusters.get('audit'), undefined);
  });

  it('edits the name and removes only after confirmation', async () => {
    await runScripted(api, 'homelab.proxmox.editCluster', ['Name', 'homelab'], 'lab');
    assert.equal(api.clusters.get('lab')!.name, 'homelab');
    await runScripted(api, 'homelab.proxmox.removeCluster', [undefined], 'lab');
    assert.ok(api.clusters.get('lab'), 'dismissing the confirmation keeps the cluster');
  });

  it('edits the credentials through a summary: a failed connection test changes nothing, Try Again keeps the answers', async () => {
    const before = await api.clusters.auth(api.clusters.get('lab')!);
    let failed: CommandFailure | undefined;
    const sub = api.registry.onDidFail((f) => f.command === 'homelab.proxmox.editCluster' && (failed = f));
    let failure: string | undefined;
    try {
      failure = await runScripted(api, 'homelab.proxmox.editCluster', ['Credentials', 'API token', sim.auditTokenId, '00000000-0000-4000-8000-000000000000', 'confirm'], 'lab');
    } finally {
      sub.dispose();
    }
    assert.match(failure ?? '(no failure)', /auth|token|401/i);
    assert.deepEqual(await api.clusters.auth(api.clusters.get('lab')!), before, 'the stored credentials are unchanged');
    const retry = (failed as CommandFailure | undefined)?.retry;
    assert.ok(retry, 'the failure offers Try Again');
    const from = api.prompts.asked.length;
    api.prompts.script('API token secret', sim.auditTokenSecret, 'confirm');
    await retry();
    const left = api.prompts.pendingAnswers;
    api.prompts.clearScript();
    assert.equal(left, 0);
    const asked = api.prompts.asked.slice(from);
    assert.match(asked[0], /: Summary$/, 'Try Again reopens the summary');
    assert.ok(!asked.some((q) => /: API token ID$/.test(q)), 'the token ID is kept');
    assert.deepEqual(await api.clusters.auth(api.clusters.get('lab')!), { kind: 'token', tokenId: sim.auditTokenId, secret: sim.auditTokenSecret });
  });
});

describe('Adding a cluster: bad input stores nothing', function () {
  this.timeout(60_000);
  let api: HomelabApi;
  let sim: Simulator;
  let html: Server;
  let htmlUrl: string;

  before(async () => {
    api = await activateHomelab();
    await clearClusters(api);
    sim = await startSimulator({ nodes: 2, guests: 4, seed: 3, authFailDelayMs: 50 });
    const cert = await makeCert();
    html = createServer({ key: cert.keyPem, cert: cert.certPem }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>Router login</title>');
    });
    await new Promise<void>((r) => html.listen(0, '127.0.0.1', r));
    htmlUrl = `https://127.0.0.1:${(html.address() as AddressInfo).port}`;
  });
  after(async () => {
    await clearClusters(api);
    await sim?.close();
    html?.close();
  });

  const cases: Array<[string, () => unknown[], RegExp]> = [
    ['a URL without scheme', () => ['pve1.lan:8006'], /https:\/\//],
    ['a URL without port', () => ['https://pve1.lan'], /8006/],
    ['a token ID without "!"', () => [sim.url, 'API token', 'root@pam'], /!/],
    ['a secret that is not a UUID', () => [sim.url, 'API token', sim.tokenId, 'hunter2'], /UUID/i],
    ['an unknown host', () => ['https://no-such-host.invalid:8006', 'API token', sim.tokenId, sim.tokenSecret, 'x', 'confirm'], /no-such-host\.invalid/],
    ['a server that is not Proxmox', () => [htmlUrl, 'API token', sim.tokenId, sim.tokenSecret, 'x', 'confirm', 'Trust'], /not .*Proxmox|HTML/i],
    ['a wrong secret', () => [sim.url, 'API token', sim.tokenId, '00000000-0000-4000-8000-000000000000', 'x', 'confirm', 'Trust'], /auth|token|401/i],
  ];
  for (const [what, answers, expected] of cases) {
    it(`refuses ${what} with a message naming it`, async () => {
      const failure = await runScripted(api, 'homelab.proxmox.addCluster', answers());
      assert.ok(failure, 'the command must fail');
      assert.match(failure, expected);
      assert.doesNotMatch(failure, new RegExp(sim.tokenSecret));
      assert.deepEqual(api.clusters.list(), [], 'nothing is stored half-done');
    });
  }

  it('declining the certificate stores nothing', async () => {
    const failure = await runScripted(api, 'homelab.proxmox.addCluster', [sim.url, 'API token', sim.tokenId, sim.tokenSecret, 'x', 'confirm', undefined]);
    assert.equal(failure, undefined, 'a declined prompt is a cancellation, not an error');
    assert.deepEqual(api.clusters.list(), []);
  });

  it('signs in with user and password (ticket) as an alternative', async () => {
    const failure = await runScripted(api, 'homelab.proxmox.addCluster', [sim.url, 'User and password', sim.user, sim.password, 'ticket', 'confirm', 'Trust']);
    assert.equal(failure, undefined);
    const cluster = await find(api, undefined, 'ticket');
    assert.equal((await children(api, cluster)).length, 2);
  });

  it('a failing connection test keeps the answers: Try Again opens the summary, one answer is changed there, and only then is anything stored', async () => {
    for (const c of api.clusters.list()) await api.clusters.remove(c.id);
    let failed: CommandFailure | undefined;
    const sub = api.registry.onDidFail((f) => f.command === 'homelab.proxmox.addCluster' && (failed = f));
    let failure: string | undefined;
    try {
      failure = await runScripted(api, 'homelab.proxmox.addCluster', [sim.url, 'API token', sim.tokenId, '00000000-0000-4000-8000-000000000000', 'again', 'confirm', 'Trust']);
    } finally {
      sub.dispose();
    }
    assert.match(failure ?? '(no failure)', /auth|token|401/i);
    assert.deepEqual(api.clusters.list(), [], 'a failed connection test stores nothing');
    const retry = (failed as CommandFailure | undefined)?.retry;
    assert.ok(retry, 'the failure offers Try Again');
    const from = api.prompts.asked.length;
    // Try Again: the summary first; the secret is picked there, typed anew, the name kept, confirmed.
    api.prompts.script('API token secret', sim.tokenSecret, 'again', 'confirm', 'Trust');
    await retry();
    const left = api.prompts.pendingAnswers;
    api.prompts.clearScript();
    assert.equal(left, 0, 'every scripted answer was asked for');
    const asked = api.prompts.asked.slice(from);
    assert.match(asked[0], /^Add Proxmox Cluster: Summary$/, 'Try Again reopens the summary');
    assert.ok(!asked.some((q) => /: (URL|How does Homelab sign in\?|API token ID)$/.test(q)), `URL, sign-in and token ID are kept, not asked again: ${asked.join(' | ')}`);
    const saved = api.clusters.list();
    assert.equal(saved.length, 1);
    assert.equal(saved[0].name, 'again');
    assert.deepEqual(await api.clusters.auth(saved[0]), { kind: 'token', tokenId: sim.tokenId, secret: sim.tokenSecret });
    await api.clusters.remove(saved[0].id);
  });
});
