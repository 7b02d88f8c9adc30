// K3s bootstrap from the editor, against stand-in NixOS nodes: a REAL OpenSSH sshd per node on
// its own loopback address (test/integration/k3s/standin.ts), the stand-in nixos-rebuild (module
// checked with nix-instantiate) registering nodes in the Kubernetes API test server. The real
// wizard (scripted answers), the real terminal, SecretStorage, the Kubernetes tree and session.
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import type { BootstrapResult } from '../../src/commands/k3s/bootstrap';
import type { UninstallResult } from '../../src/commands/k3s/uninstall';
import type { HomelabApi } from '../../src/extension';
import type { DrainReport } from '../../src/providers/kubernetes/nodes';
import type { KubeElement } from '../../src/views/kubernetes/tree';
import type { DeployTerminal } from '../../src/views/terminals/deploy-terminal';
import { startK3sLab, type K3sLab } from '../integration/k3s/standin';
import { closeTerminals, run, waitFor } from './ops-util';
import { activateHomelab } from './util';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml: { load(s: string): any } = require('js-yaml');

interface Answers { channel?: string; keep?: string[]; api?: 'first-control-plane' | { vip: string }; storage?: 'extension' | 'kubeconfig' }
const wizard = (a: Answers = {}): unknown[] => [
  a.channel ?? '1.31', a.keep ?? ['local-storage'], '10.42.0.0/16', '10.43.0.0/16',
  ...(a.api && typeof a.api === 'object' ? ['vip', a.api.vip] : ['first-control-plane']),
  a.storage ?? 'extension', 'confirm',
];

describe('K3s bootstrap: wizard, per-node terminal, kubeconfig, Ready, Nodes tree, drain, uninstall', function () {
  this.timeout(180_000);
  let api: HomelabApi;
  let lab: K3sLab;
  let tmp: string;
  let apiPort: number;
  const ws = () => vscode.workspace.workspaceFolders![0].uri;
  const terminalTexts: string[] = [];
  const activity: Array<{ what: string; result: string; target?: string }> = [];
  let recording: vscode.Disposable | undefined;

  /** homelab/clusters/<name>.yaml as the cluster deploy writes it, with the nodes on stand-in slots, plus a user's own key. */
  function clusterFile(name: string, cps: number, workers: number, first = 0): void {
    const nodes = [
      ...Array.from({ length: cps }, (_, i) => ({ name: `${name}-cp-${i + 1}`, role: 'control-plane', slot: first + i })),
      ...Array.from({ length: workers }, (_, i) => ({ name: `${name}-worker-${i + 1}`, role: 'worker', slot: first + cps + i })),
    ];
    const text = [
      `# Written by Homelab: the cluster ${name} and the VMs it is made of.`, `name: ${name}`, `tag: homelab-cluster-${name}`, 'proxmoxCluster: lab',
      'template:', '  vmid: 9000', '  name: nixos-template', `sshUser: ${lab.slots[0].sshd.username}`, 'createdAt: "2026-12-01T10:00:00.000Z"', 'nodes:',
      ...nodes.flatMap((n, i) => [`  - name: ${n.name}`, `    vmid: ${300 + i}`, '    proxmoxNode: pve1', `    role: ${n.role}`, `    ip: ${lab.slots[n.slot].address}`]),
      'templateNode: pve1', '# my own notes stay', 'owner:', '  team: infra', '',
    ].join('\n');
    const dir = join(ws().fsPath, 'homelab', 'clusters');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}.yaml`), text);
  }
  const readCluster = (name: string) => readFileSync(join(ws().fsPath, 'homelab', 'clusters', `${name}.yaml`), 'utf8');
  const k3sTerminal = (name: string) => api.operations.terminals.open.filter((t) => t.name === `K3s ${name}`).map((t) => t.pty as DeployTerminal<any>).pop();
  function keepTerminalText(): void {
    for (const t of api.operations.terminals.open) terminalTexts.push(t.pty.output, ...(((t.pty as Partial<DeployTerminal>).lines) ?? []));
  }

  async function bootstrap(name: string, a: Answers = {}, after: unknown[] = []): Promise<{ result?: BootstrapResult; failure?: string }> {
    const r = await run<BootstrapResult>(api, 'homelab.k3s.bootstrap', [...wizard(a), ...after], { kind: 'vmCluster', clusterId: 'lab', name });
    keepTerminalText();
    return r;
  }

  async function contextChildren(context: string): Promise<KubeElement[]> {
    const roots = await api.kubernetesTree.getChildren();
    const ctx = roots.find((e) => e.kind === 'context' && e.context === context);
    assert.ok(ctx, `context ${context} in the tree: ${roots.map((r) => r.id).join(', ')}`);
    return api.kubernetesTree.getChildren(ctx);
  }
  async function treeNodes(context: string): Promise<Array<{ name: string; description: string; contextValue?: string }>> {
    const group = (await contextChildren(context)).find((e) => e.kind === 'nodes');
    assert.ok(group, 'the context has a Nodes group');
    const nodes = await api.kubernetesTree.getChildren(group);
    return nodes.filter((n) => n.kind === 'node').map((n) => {
      const item = api.kubernetesTree.getTreeItem(n);
      return { name: String(item.label), description: String(item.description ?? ''), contextValue: item.contextValue };
    });
  }

  before(async () => {
    api = await activateHomelab();
    lab = await startK3sLab(9);
    apiPort = Number(new URL(lab.k8s.url).port);
    tmp = mkdtempSync(join(tmpdir(), 'k3s-exthost-'));
    // The deploy pinned the nodes' host keys in Homelab's known_hosts.
    mkdirSync(dirname(api.knownHostsPath), { recursive: true });
    appendFileSync(api.knownHostsPath, readFileSync(lab.knownHostsPath, 'utf8'));
    Object.assign(api.k3sTuning, {
      sshPort: (n: { address: string }) => lab.slotOf(n.address).port, root: lab.root, sudo: true, apiPort,
      username: lab.slots[0].sshd.username, privateKeyPath: lab.userKeyPath, startTimeoutS: 15, readyTimeoutMs: 30_000, unreachableMs: 2000,
      userKubeconfig: join(tmp, 'kube', 'config'), drainTimeoutMs: 1500, drainRetryMs: 100,
    });
    mkdirSync(join(ws().fsPath, 'journal'), { recursive: true }); // the activity log goes where a journal exists
    recording = api.activity.onDidRecord((e) => void activity.push(e));
  });
  /** Every cluster token a test left on a node (each cluster has its own), for the scan at the end. */
  const tokens: string[] = [];
  const collectTokens = () => {
    for (const s of lab.slots) {
      const f = join(s.root, 'var/lib/homelab/k3s/token');
      if (existsSync(f)) { const t = readFileSync(f, 'utf8').trim(); if (t && !tokens.includes(t)) tokens.push(t); }
    }
  };
  beforeEach(() => lab.reset());
  afterEach(() => collectTokens());

  after(async () => {
    // The contexts these tests added leave the session, so later suites in this host see only theirs.
    const own = join(api.storageUri.fsPath, 'kubeconfigs');
    const added = [...(existsSync(own) ? readdirSync(own).map((f) => join(own, f)) : []), api.k3sTuning.userKubeconfig ?? ''].filter(Boolean);
    for (const f of added) {
      rmSync(f, { force: true });
      await api.kubernetesSession.removeKubeconfigFile(f);
    }
    recording?.dispose();
    for (const k of Object.keys(api.k3sTuning)) delete (api.k3sTuning as Record<string, unknown>)[k];
    await closeTerminals(api);
    await vscode.workspace.fs.delete(vscode.Uri.joinPath(ws(), 'homelab'), { recursive: true }).then(undefined, () => {});
    await lab?.settle();
    await lab?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('K3s 1+0 from the cluster group: wizard, table, own kubeconfig 0600, cluster file, journal, tree with the node at once', async () => {
    clusterFile('one', 1, 0);
    const { result, failure } = await bootstrap('one');
    assert.equal(failure, undefined);
    assert.equal(result?.status, 'ready');
    assert.ok(api.prompts.asked.includes('Bootstrap K3s on "one": 1 nodes, context homelab-one?'), 'the summary was confirmed');
    // The terminal's per-node table: Ready, version, roles.
    const table = k3sTerminal('one')!.lastTable.join('\n');
    assert.match(table, /^NODE\s+ROLE\s+ADDRESS\s+STEP\s+STATE\s+K8S\s+VERSION\s+ROLES/m);
    assert.match(table, /one-cp-1\s+control-plane\s+127\.0\.0\.1\s+k3s\s+done\s+Ready\s+v1\.31\S*\s+control-plane/);
    // The kubeconfig: Homelab's own 0600 file, server = API address, names homelab-one.
    const kc = result!.kubeconfig!;
    assert.ok(kc.startsWith(api.storageUri.fsPath), kc);
    assert.equal(statSync(kc).mode & 0o777, 0o600);
    const doc = yaml.load(readFileSync(kc, 'utf8'));
    assert.equal(doc['current-context'], 'homelab-one');
    assert.equal(doc.clusters[0].cluster.server, `https://127.0.0.1:${apiPort}`);
    // The cluster file: the k3s section (version, API, where the kubeconfig is), the user's own lines kept.
    const file = readCluster('one');
    const parsed = yaml.load(file);
    assert.equal(parsed.k3s.apiUrl, `https://127.0.0.1:${apiPort}`);
    assert.equal(parsed.k3s.kubeconfig, kc);
    assert.match(parsed.k3s.version, /^v1\.31/);
    assert.deepEqual(parsed.owner, { team: 'infra' });
    assert.ok(file.includes('# my own notes stay'));
    assert.ok(!/certificate|client-key|token/i.test(file.replace(/tokenFile/g, '')), 'no kubeconfig contents in the cluster file');
    // The journal: one activity entry with cluster, version, node count and duration.
    const entry = activity.find((e) => e.what === 'Bootstrap K3s on one');
    assert.ok(entry, JSON.stringify(activity));
    assert.match(entry!.result, /^K3s v1\.31\S* on one: 1 nodes Ready in \d+ s$/);
    const log = readFileSync(join(ws().fsPath, 'journal', 'activity.md'), 'utf8');
    assert.ok(log.includes('Bootstrap K3s on one'), log);
    // The tree: the new context and its node, no refresh asked for; the Proxmox VM from the cluster file.
    const nodes = await treeNodes('homelab-one');
    assert.deepEqual(nodes.map((n) => n.name), ['one-cp-1']);
    assert.match(nodes[0].description, /^Ready · control-plane\S* · v1\.31/);
    await waitFor('the Proxmox VM of the node', async () => (await treeNodes('homelab-one'))[0].description.includes('VM 300 on pve1'), 10_000).catch(async () => {
      assert.fail(`no VM in ${JSON.stringify(await treeNodes('homelab-one'))}`);
    });
    // The token: in SecretStorage, 64 hex digits, on the node only as the 0600 token file.
    const tokenFile = join(lab.slots[0].root, 'var/lib/homelab/k3s/token');
    assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
    assert.match(readFileSync(tokenFile, 'utf8').trim(), /^[0-9a-f]{64}$/);
  });

  it('K3s 1+2: a rebuild failing on one worker, retried from its failed step; merged into the user kubeconfig; cordon and drain', async () => {
    clusterFile('two', 1, 2);
    writeFileSync(join(lab.slots[2].root, '.rebuild-fails-once'), "error: builder for '/nix/store/abc-k3s-1.31.4.drv' failed with exit code 2");
    const { result, failure } = await bootstrap('two', { storage: 'kubeconfig' }, ['Retry Failed Nodes']);
    assert.equal(failure, undefined);
    assert.equal(result?.status, 'ready');
    const q = api.prompts.details.find((d) => d.question === 'K3s on two: 1 of 3 nodes failed.');
    assert.ok(q, 'the failure was asked about');
    assert.match(q!.detail, /two-worker-2 \(127\.0\.0\.3\) — rebuild: nixos-rebuild switch failed/);
    const rebuilds = lab.rebuilds().filter((r) => r.node === 'slot-2');
    assert.equal(rebuilds.length, 2, 'the failed worker rebuilt again; the others did not');
    assert.equal(lab.rebuilds().filter((r) => r.node === 'slot-1').length, 1);
    const lines = k3sTerminal('two')!.lines.join('\n');
    assert.match(lines, /two-worker-2: FAILED at rebuild/);
    assert.match(lines, /retrying 1 nodes from their failed step/);
    // Merged into the user's kubeconfig (there was none: made 0600).
    const kc = api.k3sTuning.userKubeconfig!;
    assert.equal(result!.kubeconfig, kc);
    assert.equal(statSync(kc).mode & 0o777, 0o600);
    assert.deepEqual(yaml.load(readFileSync(kc, 'utf8')).contexts.map((c: { name: string }) => c.name), ['homelab-two']);
    const nodes = await treeNodes('homelab-two');
    assert.deepEqual(nodes.map((n) => n.name), ['two-cp-1', 'two-worker-1', 'two-worker-2']);
    assert.ok(nodes.every((n) => n.description.startsWith('Ready')), JSON.stringify(nodes));

    // Cordon shows in the tree through the watch; drain evicts what a PodDisruptionBudget allows.
    const k8s = lab.k8s;
    k8s.store.create('namespaces', { metadata: { name: 'drain' } });
    const pod = (name: string, labels: Record<string, string>) => k8s.store.create('pods', {
      metadata: { name, namespace: 'drain', labels },
      spec: { nodeName: 'two-worker-1', containers: [{ name: 'c', image: 'nginx:1.27' }] },
    });
    pod('web-a', { app: 'web' });
    pod('web-b', { app: 'web' });
    pod('free', { app: 'free' });
    k8s.store.create('poddisruptionbudgets', { metadata: { name: 'web', namespace: 'drain' }, spec: { minAvailable: 2, selector: { matchLabels: { app: 'web' } } } });
    await waitFor('pods running and ready', () => k8s.store.list('pods', 'drain').every((p: any) => p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')), 10_000);
    const el = { kind: 'node', id: 'k8s/homelab-two/nodes/two-worker-1', context: 'homelab-two', name: 'two-worker-1' };
    await run(api, 'homelab.kubernetes.cordonNode', [], el);
    await waitFor('cordoned in the tree', async () => (await treeNodes('homelab-two')).find((n) => n.name === 'two-worker-1')?.contextValue === 'k8s-node-cordoned', 10_000);
    await run(api, 'homelab.kubernetes.uncordonNode', [], el);
    assert.equal((k8s.store.get('nodes', undefined, 'two-worker-1') as any)?.spec?.unschedulable, undefined);
    const d = await run<DrainReport>(api, 'homelab.kubernetes.drainNode', ['Drain'], el);
    assert.equal(d.failure, undefined);
    assert.ok(api.prompts.asked.includes('Drain node "two-worker-1" of homelab-two: cordon it and evict its 3 pods?'));
    assert.deepEqual(d.result!.evicted, ['drain/free']);
    assert.deepEqual(d.result!.notEvicted.map((p) => p.pod).sort(), ['drain/web-a', 'drain/web-b']);
    assert.match(d.result!.notEvicted[0].why, /disruption budget/);
    assert.deepEqual(d.result!.skipped, []);
    assert.equal((k8s.store.get('nodes', undefined, 'two-worker-1') as any)?.spec?.unschedulable, true);
    assert.deepEqual(k8s.store.list('pods', 'drain').map((p: any) => p.metadata.name).sort(), ['web-a', 'web-b']);
    // A dismissed drain changes nothing.
    await run(api, 'homelab.kubernetes.drainNode', [undefined], { ...el, name: 'two-worker-2', id: 'k8s/homelab-two/nodes/two-worker-2' });
    assert.equal((k8s.store.get('nodes', undefined, 'two-worker-2') as any)?.spec?.unschedulable, undefined);
  });

  it('K3s context name clash in the user kubeconfig: asked; kept when declined (clear message), replaced with a backup when accepted', async () => {
    clusterFile('clash', 1, 0);
    const kc = api.k3sTuning.userKubeconfig!;
    mkdirSync(dirname(kc), { recursive: true });
    const mine = 'apiVersion: v1\nkind: Config\ncurrent-context: homelab-clash\nclusters:\n- name: homelab-clash\n  cluster: {server: "https://10.9.9.9:6443"}\nusers:\n- name: homelab-clash\n  user: {token: mine}\ncontexts:\n- name: homelab-clash\n  context: {cluster: homelab-clash, user: homelab-clash}\n';
    writeFileSync(kc, mine, { mode: 0o600 });
    const declined = await bootstrap('clash', { storage: 'kubeconfig' }, [undefined]);
    assert.match(declined.failure ?? '', /a context named "homelab-clash" exists already in .* and was kept/);
    assert.equal(readFileSync(kc, 'utf8'), mine, 'the existing context was not touched');
    const replaced = await bootstrap('clash', { storage: 'kubeconfig' }, ['Replace']);
    assert.equal(replaced.failure, undefined);
    assert.equal(readFileSync(`${kc}.homelab-backup`, 'utf8'), mine);
    assert.equal(yaml.load(readFileSync(kc, 'utf8')).clusters.find((c: any) => c.name === 'homelab-clash').cluster.server, `https://127.0.0.1:${apiPort}`);
  });

  it('K3s 3+5: control planes one at a time, workers in parallel, all 8 Ready and in the tree', async () => {
    clusterFile('big', 3, 5);
    const { result, failure } = await bootstrap('big');
    assert.equal(failure, undefined);
    assert.equal(result?.status, 'ready');
    assert.ok(result!.progress.every((p) => p.readiness?.ready), 'every node Ready');
    const rebuilds = lab.rebuilds().map((r) => r.node);
    assert.equal(rebuilds[0], 'slot-0', 'the first control plane starts the cluster before anyone joins');
    assert.deepEqual(rebuilds.filter((n) => ['slot-0', 'slot-1', 'slot-2'].includes(n)), ['slot-0', 'slot-1', 'slot-2'], 'control planes one after another');
    assert.equal(rebuilds.length, 8);
    const nodes = await treeNodes('homelab-big');
    assert.equal(nodes.length, 8);
    assert.equal(nodes.filter((n) => n.description.includes('control-plane')).length, 3);
  });

  it('K3s refusals: a control plane unreachable, the API address not reachable, a non-NixOS node, sudo asking a password, a kubeconfig not writable — clear, no token left', async () => {
    // A control plane whose sshd is down: it fails naming its address; nothing joins a cluster that did not start.
    clusterFile('down', 1, 1, 4);
    await lab.slots[4].sshd.stop();
    const down = await bootstrap('down', {}, ['Stop']);
    assert.match(down.failure ?? '', /down-cp-1: Connection refused by 127\.0\.0\.5/);
    assert.ok(!existsSync(join(lab.slots[5].root, 'var/lib/homelab/k3s/token')), 'the blocked worker keeps no token');
    // The API address not reachable from here (a VIP nothing serves): said so, with the address tried.
    clusterFile('vip', 1, 0);
    const vip = await bootstrap('vip', { api: { vip: '127.0.0.200' } });
    assert.match(vip.failure ?? '', /The Kubernetes API at https:\/\/127\.0\.0\.200:\d+ does not answer from this machine/);
    // A node that is not NixOS, and sudo asking for a password.
    lab.reset({ 0: 'debian' });
    clusterFile('deb', 1, 0);
    const deb = await bootstrap('deb', {}, ['Stop']);
    assert.match(deb.failure ?? '', /runs Debian GNU\/Linux 12 \(bookworm\), not NixOS/);
    lab.reset();
    writeFileSync(join(lab.slots[0].root, '.sudo-asks-password'), '');
    const sudo = await bootstrap('deb', {}, ['Stop']);
    assert.match(sudo.failure ?? '', /sudo on deb-cp-1 .* asks for a password/);
    assert.ok(!existsSync(join(lab.slots[0].root, 'var/lib/homelab/k3s/token')), 'no token left behind');
    // A kubeconfig that cannot be written (its folder is a file): said so, naming the file.
    lab.reset();
    clusterFile('nowrite', 1, 0);
    const before = api.k3sTuning.userKubeconfig;
    writeFileSync(join(tmp, 'not-a-dir'), '');
    (api.k3sTuning as { userKubeconfig?: string }).userKubeconfig = join(tmp, 'not-a-dir', 'config');
    try {
      const nowrite = await bootstrap('nowrite', { storage: 'kubeconfig' });
      assert.match(nowrite.failure ?? '', /Cannot (read|write) .*not-a-dir\/config: ENOTDIR/);
    } finally {
      (api.k3sTuning as { userKubeconfig?: string }).userKubeconfig = before;
    }
  });

  it('K3s already running (not by Homelab): detected, adopted on request (kubeconfig fetched), nothing changed on the node', async () => {
    clusterFile('adopt', 1, 0);
    // A hand-made K3s: its kubeconfig is there, no Homelab import.
    const first = await bootstrap('adopt');
    assert.equal(first.result?.status, 'ready');
    const template = join(lab.slots[0].root, 'etc/nixos/homelab/template.nix');
    writeFileSync(template, readFileSync(template, 'utf8').replace(/ \.\/k3s-node\.nix \/\* homelab-k3s \*\//, ''));
    const before = readFileSync(template, 'utf8');
    const rebuildsBefore = lab.rebuilds().length;
    const adopted = await bootstrap('adopt', {}, ['Adopt Existing K3s']);
    assert.equal(adopted.failure, undefined);
    assert.equal(adopted.result?.status, 'ready');
    assert.ok(adopted.result!.progress.every((p) => p.state === 'adopted'));
    assert.equal(readFileSync(template, 'utf8'), before, 'the node was not changed');
    assert.equal(lab.rebuilds().length, rebuildsBefore, 'no rebuild');
  });

  it('K3s uninstall: asks first, removes the module and rebuilds, removes the kubeconfig entry, the k3s section and the token', async () => {
    clusterFile('gone', 1, 1);
    const { result } = await bootstrap('gone');
    assert.equal(result?.status, 'ready');
    const kc = result!.kubeconfig!;
    // Dismissed: nothing happens.
    const no = await run(api, 'homelab.k3s.uninstall', [undefined], { name: 'gone' });
    assert.equal(no.failure, undefined);
    assert.ok(existsSync(kc));
    const r = await run<UninstallResult>(api, 'homelab.k3s.uninstall', ['Uninstall K3s'], { name: 'gone' });
    keepTerminalText();
    assert.equal(r.failure, undefined);
    assert.equal(r.result?.status, 'uninstalled');
    assert.ok(api.prompts.asked.some((x) => x.startsWith('Uninstall K3s on cluster gone: remove Homelab\'s K3s module from its 2 nodes')));
    assert.ok(!existsSync(kc), 'Homelab\'s kubeconfig file is gone');
    assert.ok(!('k3s' in yaml.load(readCluster('gone'))), 'the k3s section is gone');
    assert.deepEqual(yaml.load(readCluster('gone')).owner, { team: 'infra' });
    assert.ok(!readFileSync(join(lab.slots[0].root, 'etc/nixos/homelab/template.nix'), 'utf8').includes('homelab-k3s'));
    assert.ok(!existsSync(join(lab.slots[0].root, 'var/lib/homelab/k3s/token')));
    await waitFor('the context left the tree', async () => !(await api.kubernetesTree.getChildren()).some((e) => e.kind === 'context' && e.context === 'homelab-gone'), 10_000);
  });

  it('K3s token scan: no token in any log, terminal, workspace file, journal, extension storage, command line or node file but the token file', async () => {
    collectTokens();
    // Bootstrap one more cluster so a token certainly exists now, and keep it.
    clusterFile('scan', 1, 1);
    const { result } = await bootstrap('scan');
    assert.equal(result?.status, 'ready');
    collectTokens();
    assert.ok(tokens.length >= 5, `tokens of every cluster: ${tokens.length}`);
    assert.ok(tokens.every((t) => /^[0-9a-f]{64}$/.test(t)));
    const hits: string[] = [];
    const scanFile = (f: string, skip?: (f: string) => boolean) => {
      if (skip?.(f)) return;
      let text: string;
      try { text = readFileSync(f, 'latin1'); } catch { return; }
      for (const t of tokens) if (text.includes(t)) hits.push(f);
    };
    const walk = (dir: string, skip?: (f: string) => boolean) => {
      if (!existsSync(dir)) return;
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p, skip); else if (e.isFile()) scanFile(p, skip);
      }
    };
    walk(ws().fsPath);
    walk(dirname(api.logUri.fsPath)); // every log of this extension host, the Homelab log included
    walk(api.storageUri.fsPath);
    walk(lab.state); // commands sent over SSH, sudo arguments, nixos-rebuild calls
    for (const s of lab.slots) walk(s.root, (f) => f.endsWith('/var/lib/homelab/k3s/token'));
    keepTerminalText();
    for (const text of terminalTexts) for (const t of tokens) if (text.includes(t)) hits.push('a terminal');
    assert.ok(terminalTexts.length > 0 && lab.commands().length > 0, 'there was something to scan');
    assert.deepEqual(hits, []);
  });
});
