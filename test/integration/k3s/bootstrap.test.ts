// K3s bootstrap against stand-in nodes: a real sshd per node (its own loopback address), the
// stand-in sudo / nixos-rebuild (nix-instantiate checks the module) and the Kubernetes API test
// server the stand-in "K3s" registers nodes in.
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../harness/sshd';
import { isCancellation } from '../../../src/providers/cancellation';
import {
  K3sBootstrap, K3sUninstall, KubeconfigConflictError, clientFromKubeconfig, fetchClusterKubeconfig, isK3sError, mergeKubeconfig,
  newClusterToken, planK3s, readK3sModuleFiles, removeKubeconfigEntries, statusTable, waitForNodesReady,
  type BootstrapOptions, type K3sPlan, type NodeProgress,
} from '../../../src/providers/k3s';
import { GENERATED_CONFIGURATION, RES_NIX, startK3sLab, type K3sLab } from './standin';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml: { load(s: string): any } = require('js-yaml');

const TOKEN_FILE = '/var/lib/homelab/k3s/token';
const mode = (p: string) => statSync(p).mode & 0o777;

describe('k3s: bootstrap on stand-in NixOS nodes (real sshd, nix-instantiate, Kubernetes API test server)', function () {
  this.timeout(120_000);
  let lab: K3sLab;
  let work: string;
  let apiPort: number;
  const moduleFiles = readK3sModuleFiles(RES_NIX);

  before(async () => {
    lab = await startK3sLab(9);
    apiPort = Number(new URL(lab.k8s.url).port);
    work = mkdtempSync(join(tmpdir(), 'k3s-it-'));
  });
  after(async () => {
    await lab?.close();
    rmSync(work, { recursive: true, force: true });
  });
  beforeEach(() => lab.reset());

  function plan(cps: number, workers: number, o: { vip?: boolean; firstSlot?: number; nodes?: ReturnType<K3sLab['nodes']> } = {}): K3sPlan {
    return planK3s({
      cluster: 'lab', channel: '1.31', keep: ['local-storage'], apiPort,
      api: o.vip ? { kind: 'vip', address: '127.0.0.1' } : { kind: 'first-control-plane' },
      nodes: o.nodes ?? lab.nodes(cps, workers, o.firstSlot ?? 0),
      clusterCidr: '10.42.0.0/16', serviceCidr: '10.43.0.0/16',
    });
  }

  interface Run { engine: K3sBootstrap; events: Array<{ node: string; step: string; state: string; t: number }>; logs: string[]; token: string }
  function engine(p: K3sPlan, extra: Partial<BootstrapOptions> = {}): Run {
    const events: Run['events'] = [];
    const logs: string[] = [];
    const token = newClusterToken();
    const e = new K3sBootstrap(p, {
      connect: lab.connect, root: lab.root, sudo: true, token, moduleFiles, parallelism: 3, startTimeoutS: 10,
      onProgress: (x) => { events.push({ node: x.node.name, step: x.step, state: x.state, t: Date.now() }); logs.push(`${x.node.name} ${x.step} ${x.state} ${x.message ?? ''}`); },
      onLog: (node, line) => logs.push(`${node}: ${line}`),
      ...extra,
    });
    return { engine: e, events, logs, token };
  }

  async function kubeconfigAndReady(p: K3sPlan) {
    const kc = await fetchClusterKubeconfig(p, { connect: lab.connect, root: lab.root, sudo: true, signal: new AbortController().signal });
    const ready = await waitForNodesReady({ client: clientFromKubeconfig(kc), nodes: p.nodes.map((n) => n.name), signal: new AbortController().signal, timeoutMs: 20_000 });
    return { kc, ready };
  }

  /** When each node's step started running (first event of that step in state running). */
  const startOf = (r: Run, node: string, step: string) => r.events.find((e) => e.node === node && e.step === step && e.state === 'running')?.t ?? NaN;
  const endOf = (r: Run, node: string) => r.events.filter((e) => e.node === node && e.state === 'done').at(-1)?.t ?? NaN;

  it('1+0: the module is written and imported, the rebuild runs, the kubeconfig is rewritten and the node is Ready (watched)', async () => {
    const p = plan(1, 0);
    const r = engine(p);
    const out = await r.engine.run(new AbortController().signal);
    assert.ok(out.ok, statusTable(out.progress).join('\n'));
    const root = lab.slots[0].root;
    const template = readFileSync(join(root, 'etc/nixos/homelab/template.nix'), 'utf8');
    assert.match(template, /imports = \[ \.\/k3s-node\.nix \/\* homelab-k3s \*\//);
    for (const f of ['k3s.nix', 'k3s-flags.nix', 'k3s-node.nix']) assert.equal(mode(join(root, 'etc/nixos/homelab', f)), 0o644, f);
    assert.equal(mode(join(root, TOKEN_FILE)), 0o600);
    assert.equal(mode(join(root, '/var/lib/homelab/k3s')), 0o700);
    assert.equal(readFileSync(join(root, TOKEN_FILE), 'utf8').trim(), r.token);
    assert.deepEqual(lab.rebuilds().map((x) => x.args), [['switch', '--flake', `${root}/etc/nixos/homelab#template`]]);
    assert.ok(lab.sudoCalls().some((l) => /\t-n sh -c .*nixos-rebuild/.test(l)), 'the rebuild ran through sudo -n');
    assert.ok(lab.sudoCalls().every((l) => l.split('\t')[1].startsWith('-n ')), 'every sudo call is non-interactive');
    assert.ok(!readdirSync(join(root, '..')).some((f) => f.startsWith('.homelab-k3s-')), 'no staging directory left');
    const flags = JSON.parse(readFileSync(join(lab.state, 'flags', 'lab-cp-1.json'), 'utf8'));
    assert.deepEqual(flags.flags.slice(0, 6), ['--node-name', 'lab-cp-1', '--node-ip', '127.0.0.1', '--write-kubeconfig-mode', '0600']);
    assert.ok(flags.flags.join(' ').includes('--tls-san 127.0.0.1 --disable traefik --disable servicelb'), flags.flags.join(' '));
    assert.equal(flags.settings.clusterInit, false, 'one server: sqlite, no etcd');

    const { kc, ready } = await kubeconfigAndReady(p);
    const doc = yaml.load(kc);
    assert.equal(doc.clusters[0].cluster.server, `https://127.0.0.1:${apiPort}`);
    assert.deepEqual([doc.clusters[0].name, doc.users[0].name, doc.contexts[0].name, doc['current-context']], Array(4).fill('homelab-lab'));
    assert.deepEqual(ready.get('lab-cp-1'), { ready: true, version: 'v1.31.4+k3s1', roles: ['control-plane', 'master'], waitingFor: undefined });
  });

  it('1+2 on classic /etc/nixos/configuration.nix: workers join after the control plane; merged into a kubeconfig; a second merge is a typed clash', async () => {
    lab.reset({ 0: 'configuration', 1: 'configuration', 2: 'configuration' });
    const p = plan(1, 2);
    const r = engine(p);
    const out = await r.engine.run(new AbortController().signal);
    assert.ok(out.ok, statusTable(out.progress).join('\n'));
    for (const s of lab.slots.slice(0, 3)) {
      const conf = readFileSync(join(s.root, 'etc/nixos/configuration.nix'), 'utf8');
      assert.equal(conf.replace(' ./homelab-k3s/k3s-node.nix /* homelab-k3s */', ''), GENERATED_CONFIGURATION, 'only the marked import was added');
      assert.ok(existsSync(join(s.root, 'etc/nixos/homelab-k3s/k3s-node.nix')));
    }
    assert.deepEqual(lab.rebuilds().map((x) => x.args[1]), ['-I', '-I', '-I']);
    const cpDone = endOf(r, 'lab-cp-1');
    for (const w of ['lab-worker-1', 'lab-worker-2']) assert.ok(startOf(r, w, 'rebuild') >= cpDone, `${w} rebuilt after the control plane was up`);
    assert.ok(startOf(r, 'lab-worker-1', 'module') < cpDone, 'workers prepared while the control plane rebuilt');

    const { kc, ready } = await kubeconfigAndReady(p);
    assert.deepEqual([...ready.keys()], ['lab-cp-1', 'lab-worker-1', 'lab-worker-2']);
    assert.deepEqual(ready.get('lab-worker-1')?.roles, []);
    const file = join(work, 'kube', 'config');
    await mergeKubeconfig(file, kc, { setCurrent: true });
    assert.equal(mode(file), 0o600);
    await assert.rejects(mergeKubeconfig(file, kc), (e: unknown) => e instanceof KubeconfigConflictError && e.entryName === 'homelab-lab');
    const table = statusTable(out.progress);
    assert.match(table[0], /^NODE\s+ROLE\s+ADDRESS\s+STEP\s+STATE/);
    assert.equal(table.length, 4);
    assert.ok(table.slice(1).every((l) => /\bk3s\s+done\b/.test(l)), table.join('\n'));
  });

  it('3+5 with a VIP: control planes one at a time, clusterInit on the first, workers in parallel (at most 3), all 8 Ready', async () => {
    const p = plan(3, 5, { vip: true, firstSlot: 1 });
    const r = engine(p);
    const out = await r.engine.run(new AbortController().signal);
    assert.ok(out.ok, statusTable(out.progress).join('\n'));
    assert.ok(startOf(r, 'lab-cp-2', 'rebuild') >= endOf(r, 'lab-cp-1'));
    assert.ok(startOf(r, 'lab-cp-3', 'rebuild') >= endOf(r, 'lab-cp-2'));
    // concurrency of workers in rebuild: never more than parallelism
    const spans = p.nodes.filter((n) => n.role === 'worker').map((n) => [startOf(r, n.name, 'rebuild'), endOf(r, n.name)]);
    for (const [s] of spans) assert.ok(spans.filter(([a, b]) => a <= s && s < b).length <= 3);
    const flags = (n: string) => JSON.parse(readFileSync(join(lab.state, 'flags', `${n}.json`), 'utf8'));
    assert.deepEqual(['lab-cp-1', 'lab-cp-2', 'lab-cp-3'].map((n) => flags(n).settings.clusterInit), [true, false, false]);
    for (const n of ['lab-cp-2', 'lab-cp-3', 'lab-worker-4']) assert.equal(flags(n).settings.serverAddr, `https://127.0.0.2:${apiPort}`);
    const sans = flags('lab-cp-3').flags.join(' ');
    for (const a of ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.1']) assert.ok(sans.includes(`--tls-san ${a}`), a);
    assert.ok(!flags('lab-worker-1').flags.includes('--tls-san'), 'agents get no SANs');
    const { kc, ready } = await kubeconfigAndReady(p);
    assert.equal(yaml.load(kc).clusters[0].cluster.server, `https://127.0.0.1:${apiPort}`, 'the VIP');
    assert.equal(ready.size, 8);
    assert.deepEqual(ready.get('lab-cp-2')?.roles, ['control-plane', 'etcd', 'master']);
    assert.ok([...ready.values()].every((x) => x.ready && x.version === 'v1.31.4+k3s1'), JSON.stringify([...ready]));
  });

  it('a rebuild failing on one worker: reported with nixos-rebuild\'s error, its token removed; retried from the failed step', async () => {
    const p = plan(1, 2);
    writeFileSync(join(lab.slots[2].root, '.rebuild-fails'), "error: builder for '/nix/store/abc-k3s-1.31.4.drv' failed with exit code 2");
    const r = engine(p);
    const out = await r.engine.run(new AbortController().signal);
    assert.equal(out.ok, false);
    assert.deepEqual(out.failed.map((x) => [x.node.name, x.step, x.state]), [['lab-worker-2', 'rebuild', 'failed']]);
    assert.match(out.failed[0].message!, /nixos-rebuild switch failed on lab-worker-2 \(127\.0\.0\.3\).*\n.*k3s-1\.31\.4\.drv' failed/s);
    assert.ok(!existsSync(join(lab.slots[2].root, TOKEN_FILE)), 'no token left on the failed node');
    assert.ok(existsSync(join(lab.slots[1].root, TOKEN_FILE)), 'the healthy worker keeps its token');

    rmSync(join(lab.slots[2].root, '.rebuild-fails'));
    const mark = r.events.length;
    const again = await r.engine.retry('lab-worker-2', new AbortController().signal);
    assert.ok(again.ok, statusTable(again.progress).join('\n'));
    const steps = [...new Set(r.events.slice(mark).filter((e) => e.node === 'lab-worker-2' && e.state === 'running').map((e) => e.step))];
    assert.deepEqual(steps, ['connect', 'detect', 'token', 'rebuild', 'k3s'], 'resumed at the rebuild (token written again first), not from scratch');
    assert.equal(mode(join(lab.slots[2].root, TOKEN_FILE)), 0o600);
    await assert.rejects(r.engine.retry('lab-worker-1', new AbortController().signal), /has not failed/);
    const { ready } = await kubeconfigAndReady(p);
    assert.equal(ready.size, 3);
  });

  it('a control plane unreachable: it fails naming its address, the next control plane is blocked (token removed), workers still join', async () => {
    const nodes = lab.nodes(3, 2);
    const closed = await freePort('127.0.0.2');
    nodes[1] = { ...nodes[1], sshPort: closed };
    const p = plan(3, 2, { nodes });
    const r = engine(p);
    const out = await r.engine.run(new AbortController().signal);
    const by = (n: string) => out.progress.find((x) => x.node.name === n)!;
    assert.equal(out.ok, false);
    assert.deepEqual([by('lab-cp-2').step, by('lab-cp-2').state], ['connect', 'failed']);
    assert.match(by('lab-cp-2').message!, new RegExp(`refused by 127\\.0\\.0\\.2:${closed}`));
    assert.deepEqual([by('lab-cp-3').step, by('lab-cp-3').state], ['rebuild', 'blocked']);
    assert.match(by('lab-cp-3').message!, /waits for lab-cp-2/);
    assert.ok(!existsSync(join(lab.slots[2].root, TOKEN_FILE)), 'blocked node: token removed');
    assert.deepEqual(['lab-cp-1', 'lab-worker-1', 'lab-worker-2'].map((n) => by(n).state), ['done', 'done', 'done']);
    assert.ok(!lab.rebuilds().some((x) => x.node === 'slot-2'), 'the blocked control plane never rebuilt');
  });

  it('refuses clearly: a node that is not NixOS, sudo asking for a password, K3s already there (adopted only when asked, never wiped)', async () => {
    lab.reset({ 1: 'debian' });
    writeFileSync(join(lab.slots[2].root, '.sudo-asks-password'), '');
    const kcPath = join(lab.slots[3].root, 'etc/rancher/k3s');
    mkdirSync(kcPath, { recursive: true });
    writeFileSync(join(kcPath, 'k3s.yaml'), 'foreign: true\n');
    const p = plan(1, 3);
    const r = engine(p);
    const out = await r.engine.run(new AbortController().signal);
    const by = (n: string) => out.progress.find((x) => x.node.name === n)!;
    assert.match(by('lab-worker-1').message!, /runs Debian GNU\/Linux 12 \(bookworm\), not NixOS/);
    assert.match(by('lab-worker-2').message!, /sudo on lab-worker-2 \(127\.0\.0\.3\) asks for a password.*passwordless sudo/);
    assert.match(by('lab-worker-3').message!, /K3s already runs on lab-worker-3.*never wipes it/);
    assert.deepEqual(['lab-worker-1', 'lab-worker-2', 'lab-worker-3'].map((n) => [by(n).step, by(n).state]), Array(3).fill(['detect', 'failed']));
    assert.equal(readFileSync(join(kcPath, 'k3s.yaml'), 'utf8'), 'foreign: true\n');
    for (const i of [1, 2, 3]) assert.ok(!existsSync(join(lab.slots[i].root, TOKEN_FILE)), `no token on slot ${i}`);

    const adopt = engine(p, { adoptExisting: true });
    const out2 = await adopt.engine.run(new AbortController().signal, { only: ['lab-cp-1', 'lab-worker-3'] });
    assert.equal(out2.progress.find((x) => x.node.name === 'lab-worker-3')!.state, 'adopted');
    assert.ok(!existsSync(join(lab.slots[3].root, TOKEN_FILE)) && !existsSync(join(lab.slots[3].root, 'etc/nixos/homelab/k3s-node.nix')), 'adopting changes nothing');
  });

  it('cancellation stops the bootstrap; nodes end cancelled and keep no token', async () => {
    lab.setRebuildDelay(3000);
    const p = plan(1, 2);
    const r = engine(p);
    const ac = new AbortController();
    const t = setInterval(() => { if (r.events.some((e) => e.step === 'rebuild' && e.state === 'running')) ac.abort(); }, 20);
    const out = await r.engine.run(ac.signal).finally(() => clearInterval(t));
    assert.equal(out.cancelled, true);
    assert.ok(out.progress.every((x) => x.state === 'cancelled'), statusTable(out.progress).join('\n'));
    for (const s of lab.slots.slice(0, 3)) assert.ok(!existsSync(join(s.root, TOKEN_FILE)));
    await assert.rejects(fetchClusterKubeconfig(p, { connect: lab.connect, root: lab.root, sudo: true, signal: AbortSignal.abort() }), (e: unknown) => isCancellation(e));
    await lab.settle(); // the switch the client gave up on still runs on the node: let it end before the next test
  });

  it('uninstall: workers first, then the control plane; import, module and token removed, nodes gone from the API, data kept', async () => {
    const p = plan(1, 2);
    const before = lab.slots.slice(0, 3).map((s) => readFileSync(join(s.root, 'etc/nixos/homelab/template.nix'), 'utf8'));
    const b = engine(p);
    const bo = await b.engine.run(new AbortController().signal);
    assert.ok(bo.ok, statusTable(bo.progress).join('\n'));
    const kc = await fetchClusterKubeconfig(p, { connect: lab.connect, root: lab.root, sudo: true, signal: new AbortController().signal });
    const file = join(work, 'uninstall-config');
    await mergeKubeconfig(file, kc);
    writeFileSync(join(lab.slots[0].root, 'var/lib/homelab/data-marker'), 'cluster data');
    assert.equal(lab.k8s.store.list('nodes').length, 3);

    const events: Array<{ node: string; step: string; state: string; t: number }> = [];
    const u = new K3sUninstall(p, { connect: lab.connect, root: lab.root, sudo: true, onProgress: (x: NodeProgress) => events.push({ node: x.node.name, step: x.step, state: x.state, t: Date.now() }) });
    const out = await u.run(new AbortController().signal);
    assert.ok(out.ok, statusTable(out.progress).join('\n'));
    lab.slots.slice(0, 3).forEach((s, i) => {
      assert.equal(readFileSync(join(s.root, 'etc/nixos/homelab/template.nix'), 'utf8'), before[i], 'the configuration is byte for byte as before');
      assert.ok(!existsSync(join(s.root, 'etc/nixos/homelab/k3s-node.nix')));
      assert.ok(existsSync(join(s.root, 'etc/nixos/homelab/k3s.nix')), 'the template\'s own module stays');
      assert.ok(!existsSync(join(s.root, TOKEN_FILE)));
    });
    assert.equal(lab.k8s.store.list('nodes').length, 0);
    assert.ok(!existsSync(join(lab.slots[0].root, 'etc/rancher/k3s/k3s.yaml')));
    assert.equal(readFileSync(join(lab.slots[0].root, 'var/lib/homelab/data-marker'), 'utf8'), 'cluster data');
    const cpRebuild = events.find((e) => e.node === 'lab-cp-1' && e.step === 'rebuild' && e.state === 'running')!.t;
    for (const w of ['lab-worker-1', 'lab-worker-2']) assert.ok(events.filter((e) => e.node === w && e.state === 'done').at(-1)!.t <= cpRebuild, `${w} left before the control plane`);
    assert.equal(await removeKubeconfigEntries(file, 'homelab-lab'), true);
    assert.equal(yaml.load(readFileSync(file, 'utf8')).contexts.length, 0);
  });

  it('the API address not reachable from here: said so, with the address tried', async () => {
    const port = await freePort();
    const kc = (await (async () => {
      const p = plan(1, 0);
      { const o = await engine(p).engine.run(new AbortController().signal); assert.ok(o.ok, statusTable(o.progress).join('\n')); }
      return fetchClusterKubeconfig({ ...p, apiUrl: `https://127.0.0.1:${port}` }, { connect: lab.connect, root: lab.root, sudo: true, signal: new AbortController().signal });
    })());
    await assert.rejects(waitForNodesReady({ client: clientFromKubeconfig(kc), nodes: ['lab-cp-1'], signal: new AbortController().signal, unreachableMs: 500, timeoutMs: 20_000 }),
      (e: unknown) => isK3sError(e, 'api-unreachable') && (e as Error).message.includes(`https://127.0.0.1:${port}`));
  });

  it('a node that stays NotReady: the wait reports the condition that is not true', async () => {
    writeFileSync(join(lab.slots[0].root, '.never-ready'), '');
    const p = plan(1, 0);
    { const o = await engine(p).engine.run(new AbortController().signal); assert.ok(o.ok, statusTable(o.progress).join('\n')); }
    const kc = await fetchClusterKubeconfig(p, { connect: lab.connect, root: lab.root, sudo: true, signal: new AbortController().signal });
    const seen: string[] = [];
    await assert.rejects(waitForNodesReady({ client: clientFromKubeconfig(kc), nodes: ['lab-cp-1'], signal: new AbortController().signal, timeoutMs: 1500, onUpdate: (m) => seen.push(m.get('lab-cp-1')!.waitingFor ?? '') }),
      (e: unknown) => isK3sError(e, 'not-ready') && /lab-cp-1: Ready=False \(KubeletNotReady: container runtime network not ready/.test((e as Error).message));
    assert.ok(seen.length >= 1, 'updates were reported');
    assert.equal(lab.k8s.requestCounts.watch > 0, true, 'watched, not polled');
  });

  it('the token is never on a command line, in a log, a module, a kubeconfig or any node file but the 0600 token file (scan)', async () => {
    const p = plan(1, 2);
    writeFileSync(join(lab.slots[2].root, '.rebuild-fails'), 'error: simulated failure');
    const r = engine(p);
    await r.engine.run(new AbortController().signal);
    rmSync(join(lab.slots[2].root, '.rebuild-fails'));
    { const o = await r.engine.retry('lab-worker-2', new AbortController().signal); assert.ok(o.ok, statusTable(o.progress).join('\n')); }
    const { kc } = await kubeconfigAndReady(p);
    const kcFile = join(work, 'scan-config');
    await mergeKubeconfig(kcFile, kc);
    const table = statusTable(r.engine.progress).join('\n');

    const haystacks: Array<[string, string]> = [
      ['commands sent over SSH', lab.commands().join('\n')],
      ['sudo command lines', lab.sudoCalls().join('\n')],
      ['nixos-rebuild calls', JSON.stringify(lab.rebuilds())],
      ['progress events and remote output', r.logs.join('\n')],
      ['status table', table],
      ['kubeconfig', kc + readFileSync(kcFile, 'utf8')],
      ...lab.slots.map((s): [string, string] => [`sshd log ${s.address}`, s.sshd.logs()]),
    ];
    assert.ok(lab.commands().length > 20 && lab.sudoCalls().length > 10, 'the recorders saw the traffic');
    // every file of every node and of the stand-in state (token files only where expected)
    const tokenFiles: string[] = [];
    const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
    for (const dir of [...lab.slots.map((s) => join(s.root, '..')), lab.state, work]) {
      for (const f of walk(dir)) {
        const text = readFileSync(f, 'latin1');
        if (!text.includes(r.token)) continue;
        tokenFiles.push(f);
      }
    }
    for (const [what, text] of haystacks) assert.ok(!text.includes(r.token), `the token appears in ${what}`);
    assert.deepEqual(tokenFiles.sort(), lab.slots.slice(0, 3).map((s) => join(s.root, TOKEN_FILE)).sort(), 'only the token files hold it');
    for (const f of tokenFiles) assert.equal(mode(f), 0o600, f);
  });
});
