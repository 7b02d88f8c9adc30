import * as assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { DeployResult } from '../../src/commands/cluster/deploy';
import type { CommandFailure } from '../../src/commands/registry';
import { planSummary } from '../../src/commands/cluster/deploy';
import type { HomelabApi } from '../../src/extension';
import { decodeSshKeys } from '../../src/providers/proxmox/cloud-init';
import { sha256Fingerprint } from '../../src/providers/ssh/fingerprint';
import type { ProxmoxElement } from '../../src/views/proxmox/tree';
import type { DeployTerminal } from '../../src/views/terminals/deploy-terminal';
import { startSshd, type SshdHandle } from '../harness/sshd';
import { startSimulator, type Guest, type Simulator } from '../proxmox-sim';
import { addCluster, closeTerminals, run, waitFor } from './ops-util';
import { activateHomelab } from './util';

const C = 'deploylab';

interface Wizard {
  name: string;
  template?: string;
  cp?: '1' | '3';
  workers?: string;
  cpSize?: string;
  workerSize?: string;
  pins?: string;
  network?: 'dhcp' | { first: string; gateway?: string; dns?: string };
  key?: { existing: string } | { generate: string } | { paste: string };
  user?: string;
}

/** The wizard's answers in order; `upTo` cuts them where a bad answer is expected to stop it. */
function answers(w: Wizard): unknown[] {
  const a: unknown[] = [w.name];
  if (w.template !== undefined) a.push(w.template);
  a.push(w.cp ?? '1', w.workers ?? '2', w.cpSize ?? '1, 1024, 10');
  if ((w.workers ?? '2') !== '0') a.push(w.workerSize ?? '1, 1024, 10');
  if (w.pins) a.push('pin', w.pins);
  else a.push('spread');
  const net = w.network ?? 'dhcp';
  if (net === 'dhcp') a.push('dhcp');
  else a.push('static', net.first, ...(net.gateway !== undefined ? [net.gateway] : []), ...(net.dns !== undefined ? [net.dns] : []));
  const key = w.key;
  if (key && 'existing' in key) a.push(key.existing);
  else if (key && 'generate' in key) a.push('generate', key.generate);
  else if (key && 'paste' in key) a.push('paste', key.paste);
  a.push(w.user ?? 'ops');
  return a;
}

describe('Cluster deploy: wizard, plan, execution, retry, rollback, destroy', function () {
  this.timeout(120_000);
  let api: HomelabApi;
  let sim: Simulator;
  let sshd: SshdHandle;
  let dir: string;
  let keyLine: string;
  let template: Guest;
  const activity: Array<{ what: string; result: string; target?: string }> = [];
  let recording: vscode.Disposable | undefined;
  const ws = () => vscode.workspace.workspaceFolders![0].uri;
  const guests = () => [...sim.state.guests.values()];
  const tagged = (name: string) => guests().filter((g) => String(g.conf.tags ?? '').split(/[;, ]+/).includes(`homelab-cluster-${name}`));
  const deployTerminal = (name: string) =>
    api.operations.terminals.open.filter((t) => t.name.startsWith(`Deploy ${name} `)).map((t) => t.pty as DeployTerminal).pop();
  /** The SHA256 fingerprint of an OpenSSH public key line. */
  const fingerprintOf = (line: string) => sha256Fingerprint(Buffer.from(line.split(' ')[1], 'base64'));
  const TRUST = 'Trust and Pin';
  const hostKeyQuestion = (name: string, n: number) => `Trust the SSH host keys of ${n} new VMs of "${name}"?`;
  const readWs = async (...p: string[]) => new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(ws(), ...p)));

  async function deploy(w: Wizard, after: unknown[] = ['confirm']): Promise<{ failure?: string; result?: DeployResult }> {
    const r = await run(api, 'homelab.cluster.deploy', [...answers({ template: String(template.vmid), key: { existing: keyLine }, ...w }), ...after]);
    return { failure: r.failure, result: r.result as DeployResult | undefined };
  }

  async function expectRefused(w: Wizard, answersUsed: number, expected: RegExp, ...args: unknown[]): Promise<void> {
    const before = sim.state.guests.size;
    const terminals = api.operations.terminals.open.length;
    const all = answers({ template: String(template.vmid), key: { existing: keyLine }, ...w });
    const r = await run(api, 'homelab.cluster.deploy', all.slice(0, answersUsed), ...args);
    assert.match(r.failure ?? '(no failure)', expected);
    assert.equal(sim.state.guests.size, before, 'nothing was created');
    assert.equal(api.operations.terminals.open.length, terminals, 'no deployment started');
  }

  before(async () => {
    api = await activateHomelab();
    for (const c of api.clusters.list()) await api.clusters.remove(c.id);
    sim = await startSimulator({ nodes: 3, guests: 30, seed: 5, taskDurationMs: 150, authFailDelayMs: 50, agentBootDelayMs: 300 });
    await addCluster(api, sim, C);
    sshd = await startSshd();
    dir = mkdtempSync(join(tmpdir(), 'cluster-deploy-'));
    copyFileSync(`${sshd.privateKeyPath}.pub`, join(dir, 'id_ed25519.pub'));
    keyLine = readFileSync(`${sshd.privateKeyPath}.pub`, 'utf8').trim();
    template = guests().find((g) => g.conf.template && String(g.conf.scsi0 ?? '').startsWith('nfs:'))!;
    assert.ok(template, 'a template on shared storage');
    Object.assign(api.deployTuning, {
      // Every VM's sshd is the real OpenSSH server on loopback standing in for the guest.
      sshAddress: () => ({ host: sshd.host, port: sshd.port }),
      pollMs: 40, agentTimeoutMs: 5000, sshTimeoutMs: 10_000, sshIntervalMs: 100, cloneRetryDelayMs: 50, sshDir: dir,
    });
    recording = api.activity.onDidRecord((e) => void activity.push(e));
    // Every VM here is the one loopback sshd: its key starts unknown, so the first deployment asks.
    rmSync(api.knownHostsPath, { force: true });
  });

  after(async () => {
    recording?.dispose();
    for (const k of Object.keys(api.deployTuning)) delete (api.deployTuning as Record<string, unknown>)[k];
    await closeTerminals(api);
    await vscode.workspace.fs.delete(vscode.Uri.joinPath(ws(), 'homelab'), { recursive: true }).then(undefined, () => {});
    for (const c of api.clusters.list()) await api.clusters.remove(c.id);
    await sshd?.stop();
    await sim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('Cluster deploy 1+2 over DHCP with a new ed25519 key: plan confirmed, VMs configured and reached over SSH, files and tree group', async () => {
    const before = sim.state.guests.size;
    const keyPath = join(dir, 'new', 'k1_ed25519');
    const { failure, result } = await deploy({ name: 'k1', key: { generate: keyPath } }, ['confirm', TRUST]);
    assert.equal(failure, undefined);
    assert.equal(result?.status, 'deployed');
    const plan = result!.plan;
    // One host-key question for the whole deployment, listing every new VM with its fingerprint.
    const keyQuestions = api.prompts.details.filter((d) => d.question.startsWith('Trust the SSH host keys'));
    assert.deepEqual(keyQuestions.map((d) => d.question), [hostKeyQuestion('k1', 3)]);
    for (const v of plan.vms) {
      assert.ok(keyQuestions[0].detail.includes(`${v.name} (${v.vmid})  [127.0.0.1]:${sshd.port}  ssh-ed25519  ${fingerprintOf(sshd.hostPublicKey)}`), keyQuestions[0].detail);
    }
    assert.ok(api.prompts.asked.some((q) => q === `Deploy cluster "k1": 3 VMs on ${C}?`), 'the plan was shown for confirmation');
    const summary = planSummary(plan);
    for (const v of plan.vms) assert.ok(summary.includes(`${v.vmid}  ${v.name}  ${v.role}  ${v.node}  DHCP`), `plan lists ${v.name}`);

    // The key pair: private 0600, public next to it, and the public key in every VM's cloud-init.
    assert.equal(statSync(keyPath).mode & 0o777, 0o600);
    const pub = readFileSync(`${keyPath}.pub`, 'utf8').trim();
    assert.equal(sim.state.guests.size, before + 3);
    const vms = tagged('k1');
    assert.deepEqual(vms.map((g) => g.conf.name).sort(), ['k1-cp-1', 'k1-worker-1', 'k1-worker-2']);
    for (const g of vms) {
      assert.equal(g.status, 'running');
      assert.equal(g.conf.ciuser, 'ops');
      assert.deepEqual(decodeSshKeys(String(g.conf.sshkeys)), [pub]);
      assert.equal(g.conf.ipconfig0, 'ip=dhcp');
      assert.match(String(g.conf.agent), /^1/);
      assert.equal(Number(g.conf.cores), 1);
      assert.equal(Number(g.conf.memory), 1024);
      assert.match(String(g.conf.tags), new RegExp(`homelab-cluster-k1;${String(g.conf.name).includes('-cp-') ? 'control-plane' : 'worker'}`));
    }

    // One terminal with the status table: every VM done with its agent address.
    const pty = deployTerminal('k1')!;
    assert.ok(pty, 'the deploy terminal');
    pty.flush();
    const rows = pty.lastTable.slice(1);
    assert.equal(rows.length, 3);
    for (const p of result!.progress) {
      assert.equal(p.state, 'done');
      assert.match(p.ip ?? '', /^10\.10\.\d+\.\d+$/);
      assert.ok(rows.some((r) => r.includes(String(p.vm.vmid)) && r.includes('done') && r.includes(p.ip!)), `table row of ${p.vm.name}`);
    }
    assert.ok(pty.lines.some((l) => /^k1-cp-1: +ssh answers: ssh-ed25519 SHA256:/.test(l)));

    // Host keys pinned, once accepted, in the extension's known_hosts.
    const known = readFileSync(api.knownHostsPath, 'utf8');
    assert.ok(known.includes(`[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey.split(' ').slice(0, 2).join(' ')}`), known);

    // The workspace files.
    const yaml = await readWs('homelab', 'clusters', 'k1.yaml');
    for (const p of result!.progress) {
      assert.ok(yaml.includes(`  - name: ${p.vm.name}\n    vmid: ${p.vm.vmid}\n    proxmoxNode: ${p.vm.node}\n    role: ${p.vm.role}\n    ip: ${p.ip}\n`), yaml);
    }
    assert.match(yaml, new RegExp(`template:\\n  vmid: ${template.vmid}\\n  name: ${template.conf.name}`));
    const ini = await readWs('homelab', 'clusters', 'k1', 'inventory.ini');
    const cp = result!.progress.find((p) => p.vm.role === 'control-plane')!;
    assert.match(ini, new RegExp(`\\[control_plane\\]\\nk1-cp-1 ansible_host=${cp.ip!.replace(/\./g, '\\.')} proxmox_vmid=${cp.vm.vmid}`));
    assert.match(ini, /\[workers\]\nk1-worker-1 ansible_host=\S+ .*\nk1-worker-2 ansible_host=/);
    assert.match(ini, /ansible_user=ops/);

    // The tree: Clusters > k1 with its three VMs.
    const tree = api.proxmoxTree;
    const clusterEl = (await tree.getChildren()).find((e) => e.kind === 'cluster' && e.cluster.id === C)!;
    const folder = (await tree.getChildren(clusterEl)).find((e) => e.kind === 'vmClusters');
    assert.ok(folder, 'a Clusters folder under the Proxmox cluster');
    const group = (await tree.getChildren(folder)).find((e) => e.kind === 'vmCluster' && e.name === 'k1') as ProxmoxElement;
    assert.ok(group, 'the k1 group');
    assert.equal(tree.getTreeItem(group).contextValue, 'vm-cluster-running');
    const members = await tree.getChildren(group);
    assert.deepEqual(members.map((m) => (m.kind === 'guest' ? m.resource.vmid : -1)).sort(), plan.vms.map((v) => v.vmid).sort());
    assert.ok(activity.some((a) => a.what === 'Deploy cluster k1' && /deployed/.test(a.result)));
  });


  it('Cluster deploy host keys: declining the one question fails SSH for those VMs, pins nothing; Retry asks again and pins', async () => {
    const pinned = readFileSync(api.knownHostsPath, 'utf8');
    rmSync(api.knownHostsPath, { force: true });
    const asked = api.prompts.details.length;
    try {
      const { result } = await deploy({ name: 'hk1', workers: '1' }, ['confirm', undefined, 'Retry Failed VMs', TRUST]);
      assert.equal(result?.status, 'deployed');
      const questions = api.prompts.details.slice(asked);
      const keyQuestions = questions.filter((d) => d.question.startsWith('Trust the SSH host keys'));
      assert.equal(keyQuestions.length, 2, 'asked once for the run and once for the retry');
      for (const q of keyQuestions) {
        assert.equal(q.question, hostKeyQuestion('hk1', 2));
        for (const v of result!.plan.vms) assert.ok(q.detail.includes(`${v.name} (${v.vmid})`) && q.detail.includes(fingerprintOf(sshd.hostPublicKey)), q.detail);
      }
      // Between the two: every VM failed at its SSH step with a clear message, and nothing was pinned then.
      const failed = questions.find((d) => d.question === 'Deployment of hk1: 2 of 2 VMs failed.');
      assert.ok(failed, questions.map((d) => d.question).join('\n'));
      for (const v of result!.plan.vms) {
        assert.match(failed.detail, new RegExp(`${v.name} \\(${v.vmid}\\) failed at ssh: .*host key ${fingerprintOf(sshd.hostPublicKey).replace(/[+/]/g, '\\$&')} was not trusted`));
      }
      const pty = deployTerminal('hk1')!;
      assert.ok(pty.lines.some((l) => l.startsWith('Host keys not trusted: hk1-cp-1, hk1-worker-1')), pty.lines.join('\n'));
      assert.ok(readFileSync(api.knownHostsPath, 'utf8').includes(`[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey.split(' ').slice(0, 2).join(' ')}`));
    } finally {
      writeFileSync(api.knownHostsPath, pinned, { mode: 0o600 });
    }
    assert.equal((await run(api, 'homelab.cluster.destroy', ['Destroy 2 VMs'], { clusterId: C, name: 'hk1' })).failure, undefined);
  });

  it('Cluster deploy host keys: a different key at a known address is refused naming both fingerprints; the known key is kept', async () => {
    const pinned = readFileSync(api.knownHostsPath, 'utf8');
    // Another (valid ed25519) key is on record for the address the new VM answers on.
    const old = `[127.0.0.1]:${sshd.port} ${keyLine.split(' ').slice(0, 2).join(' ')}\n`;
    writeFileSync(api.knownHostsPath, old, { mode: 0o600 });
    const asked = api.prompts.details.length;
    try {
      const { result } = await deploy({ name: 'hk2', workers: '0' }, ['confirm', 'Roll Back']);
      assert.equal(result?.status, 'rolled-back');
      const questions = api.prompts.details.slice(asked);
      assert.ok(!questions.some((d) => d.question.startsWith('Trust the SSH host keys')), 'a changed key is not offered for trust');
      const failed = questions.find((d) => d.question === 'Deployment of hk2: 1 of 1 VMs failed.');
      assert.ok(failed);
      assert.match(failed.detail, new RegExp(`failed at ssh: The host key of 127\\.0\\.0\\.1:${sshd.port} has CHANGED`));
      assert.ok(failed.detail.includes(fingerprintOf(sshd.hostPublicKey)), 'the presented fingerprint');
      assert.ok(failed.detail.includes(fingerprintOf(keyLine)), 'the known fingerprint');
      assert.equal(readFileSync(api.knownHostsPath, 'utf8'), old, 'the known key is neither replaced nor forgotten');
      assert.equal(tagged('hk2').length, 0);
    } finally {
      writeFileSync(api.knownHostsPath, pinned, { mode: 0o600 });
    }
  });
  it('Cluster deploy 3+5 with a static range, DNS and a pin: distinct addresses in ipconfig0, spread over the nodes', async () => {
    const { failure, result } = await deploy({ name: 'k2', cp: '3', workers: '5', pins: 'k2-cp-1=pve2', network: { first: '10.20.0.10/24', gateway: '10.20.0.1', dns: '10.20.0.2' } });
    assert.equal(failure, undefined);
    assert.equal(result?.status, 'deployed');
    const vms = tagged('k2');
    assert.equal(vms.length, 8);
    const expected = ['10.20.0.10', '10.20.0.11', '10.20.0.12', '10.20.0.13', '10.20.0.14', '10.20.0.15', '10.20.0.16', '10.20.0.17'];
    assert.deepEqual(result!.plan.vms.map((v) => v.address), expected);
    for (const p of result!.progress) {
      const g = sim.state.guests.get(p.vm.vmid)!;
      assert.equal(g.conf.ipconfig0, `ip=${p.vm.address}/24,gw=10.20.0.1`);
      assert.equal(g.conf.nameserver, '10.20.0.2');
      assert.equal(p.ip, p.vm.address, 'the agent reports the planned address');
      assert.equal(g.node, p.vm.node);
    }
    assert.equal(sim.state.guests.get(result!.plan.vms[0].vmid)!.node, 'pve2', 'the pin is honoured');
    assert.deepEqual(new Set(vms.map((g) => g.node)), new Set(['pve1', 'pve2', 'pve3']));
    assert.equal(vms.filter((g) => String(g.conf.tags).endsWith(';control-plane')).length, 3);
    const ini = await readWs('homelab', 'clusters', 'k2', 'inventory.ini');
    assert.equal(ini.split('[workers]')[1].split('\n\n')[0].trim().split('\n').length, 5);
  });

  it('Cluster deploy refuses bad input before anything is created', async () => {
    await expectRefused({ name: 'K3s_lab' }, 1, /"_" is not allowed in a host name/);
    await expectRefused({ name: 'k1' }, 1, /A cluster named "k1" exists already/);
    await expectRefused({ name: 'big', workers: '20', workerSize: '2, 60000, 10' }, 99, /No online node has 60000 MiB of memory left/);
    await expectRefused({ name: 'badip', network: { first: '10.0.0.300/24' } }, 9, /"10\.0\.0\.300\/24" is not an IPv4 address/);
    await expectRefused({ name: 'badgw', network: { first: '10.30.0.10/24', gateway: '10.31.0.1' } }, 10, /outside the subnet/);
    await expectRefused({ name: 'edge', network: { first: '10.30.0.253/24', gateway: '10.30.0.1', dns: '' } }, 99, /Only 2 addresses fit from 10\.30\.0\.253\/24/);
    await expectRefused({ name: 'clash', network: { first: '10.20.0.16/24', gateway: '10.20.0.1', dns: '' } }, 99, /10\.20\.0\.16 is already used in the lab/);
    const other = sim.state.addGuest(7100, 'pve1', { name: 'nas', memory: '512', ipconfig0: 'ip=10.40.0.11/24,gw=10.40.0.1' });
    sim.state.touch();
    try {
      await expectRefused({ name: 'clash2', network: { first: '10.40.0.10/24', gateway: '10.40.0.1', dns: '' } }, 99, /10\.40\.0\.11 is already used in the lab/);
    } finally {
      sim.state.removeGuest(other.vmid);
    }
    const existing = join(dir, 'taken_ed25519');
    writeFileSync(existing, 'not a key\n');
    await expectRefused({ name: 'keyx', key: { generate: existing } }, 10, /taken_ed25519 exists already: not overwriting/);
    const vm = guests().find((g) => !g.conf.template && !String(g.conf.tags ?? '').includes('homelab-cluster'))!;
    const before = sim.state.guests.size;
    const r = await run(api, 'homelab.cluster.deploy', [], { clusterId: C, templateVmid: vm.vmid });
    assert.match(r.failure ?? '', new RegExp(`VM ${vm.vmid} \\(.*\\) is not a template`));
    assert.equal(sim.state.guests.size, before);
    sim.setNodeOnline('pve3', false);
    try {
      await expectRefused({ name: 'pinx', pins: 'pinx-cp-1=pve3' }, 99, /pinx-cp-1 is pinned to pve3, which is not online/);
    } finally {
      sim.setNodeOnline('pve3', true);
    }
    // Dismissing the plan confirmation creates nothing either.
    const count = sim.state.guests.size;
    const d = await run(api, 'homelab.cluster.deploy', [...answers({ name: 'nope', template: String(template.vmid), key: { existing: keyLine } }), undefined]);
    assert.equal(d.failure, undefined);
    assert.equal(d.result, undefined);
    assert.ok(api.prompts.asked.includes(`Deploy cluster "nope": 3 VMs on ${C}?`));
    assert.equal(sim.state.guests.size, count);
  });

  it('Cluster deploy summary: an answer picked there is asked again and changed; a refused plan keeps the answers for Try Again', async () => {
    const count = sim.state.guests.size;
    const all = answers({ name: 'jump', template: String(template.vmid), key: { existing: keyLine } });
    // At the summary "Worker nodes" is picked: asked again (now 0), the steps after it asked again (the
    // worker size now skipped) and answered as before, and the summary, now of one VM, dismissed.
    const r = await run(api, 'homelab.cluster.deploy', [...all, 'Worker nodes', '0', '1, 1024, 10', 'spread', 'dhcp', keyLine, 'ops', undefined]);
    assert.equal(r.failure, undefined);
    const summaries = api.prompts.asked.filter((q) => q.startsWith('Deploy cluster "jump"'));
    assert.deepEqual(summaries, [`Deploy cluster "jump": 3 VMs on ${C}?`, `Deploy cluster "jump": 1 VMs on ${C}?`]);
    assert.equal(sim.state.guests.size, count, 'nothing created');

    // The plan is refused (pinned to a node that is offline): Try Again opens the summary with every answer.
    let failed: CommandFailure | undefined;
    const sub = api.registry.onDidFail((f) => f.command === 'homelab.cluster.deploy' && (failed = f));
    sim.setNodeOnline('pve3', false);
    try {
      const refused = await run(api, 'homelab.cluster.deploy', answers({ name: 'again', template: String(template.vmid), key: { existing: keyLine }, pins: 'again-cp-1=pve3' }));
      assert.match(refused.failure ?? '(no failure)', /again-cp-1 is pinned to pve3, which is not online/);
    } finally {
      sim.setNodeOnline('pve3', true);
      sub.dispose();
    }
    const retry = (failed as CommandFailure | undefined)?.retry;
    assert.ok(retry, 'the refused plan offers Try Again');
    const from = api.prompts.asked.length;
    api.prompts.script(undefined); // the summary, dismissed: nothing else is asked
    await retry();
    const left = api.prompts.pendingAnswers;
    api.prompts.clearScript();
    assert.equal(left, 0);
    assert.deepEqual(api.prompts.asked.slice(from), [`Deploy cluster "again": 3 VMs on ${C}?`], 'Try Again reopens the summary with the kept answers (pve3 is back, so the plan is made)');
    assert.equal(sim.state.guests.size, count, 'nothing created');
  });

  it('Cluster deploy: an injected clone failure is reported with its step; retry fails again; rollback deletes only what it created', async () => {
    const before = new Set(sim.state.guests.keys());
    // Another user takes the VM ID planned for the second worker right as the deployment starts.
    const firstFree = [...Array(100).keys()].map((i) => sim.state.nextId() + i).filter((id) => !sim.state.guests.has(id));
    const stolen = firstFree[2];
    const sub = api.operations.terminals.onDidOpen((t) => {
      if (t.name.startsWith('Deploy k3 ')) sim.state.addGuest(stolen, 'pve1', { name: 'someone-else', memory: '512' });
    });
    let result: DeployResult | undefined;
    try {
      ({ result } = await deploy({ name: 'k3' }, ['confirm', 'Retry Failed VMs', 'Roll Back']));
    } finally {
      sub.dispose();
    }
    assert.equal(result?.status, 'rolled-back');
    const failedQuestion = api.prompts.asked.filter((q) => q.startsWith('Deployment of k3: 1 of 3 VMs failed'));
    assert.equal(failedQuestion.length, 2, 'asked after the run and after the retry');
    const pty = deployTerminal('k3')!;
    assert.ok(pty.lines.some((l) => l.includes(`VM ID ${stolen} is already taken`)), pty.lines.join('\n'));
    assert.ok(result!.progress.filter((p) => p.vm.vmid !== stolen).every((p) => p.state === 'rolled-back'));
    assert.equal(result!.progress.find((p) => p.vm.vmid === stolen)!.step, 'clone');
    assert.equal(tagged('k3').length, 0, 'every VM of k3 is gone');
    assert.equal(sim.state.guests.get(stolen)?.conf.name, 'someone-else', 'the VM the deploy did not create is untouched');
    assert.deepEqual(new Set([...sim.state.guests.keys()].filter((k) => k !== stolen)), before);
    sim.state.removeGuest(stolen);
  });

  it('Cluster deploy: once the cause is gone, retrying the failed VM completes the cluster', async () => {
    const firstFree = [...Array(100).keys()].map((i) => sim.state.nextId() + i).filter((id) => !sim.state.guests.has(id));
    const stolen = firstFree[0];
    const sub = api.operations.terminals.onDidOpen((t) => {
      if (!t.name.startsWith('Deploy k4 ')) return;
      sim.state.addGuest(stolen, 'pve1', { name: 'intruder', memory: '512' });
      const pty = t.pty as DeployTerminal;
      // The intruder leaves as soon as the failure shows in the terminal (before the user answers).
      void waitFor('k4 clone failure', () => pty.lines.some((l) => l.includes('already taken')), 30_000).then(() => sim.state.removeGuest(stolen));
    });
    let result: DeployResult | undefined;
    try {
      // The plan skips the stolen ID only if it is taken at planning time: it is not.
      ({ result } = await deploy({ name: 'k4', workers: '1' }, ['confirm', 'Retry Failed VMs']));
    } finally {
      sub.dispose();
    }
    assert.equal(result?.status, 'deployed');
    assert.equal(tagged('k4').length, 2);
    assert.ok(result!.progress.every((p) => p.state === 'done'));
  });

  it('Cluster deploy: keeping a partly failed cluster writes files for the VMs that exist; Destroy Cluster removes them', async () => {
    const firstFree = [...Array(100).keys()].map((i) => sim.state.nextId() + i).filter((id) => !sim.state.guests.has(id));
    const stolen = firstFree[1];
    const sub = api.operations.terminals.onDidOpen((t) => {
      if (t.name.startsWith('Deploy k7 ')) sim.state.addGuest(stolen, 'pve1', { name: 'squatter', memory: '512' });
    });
    let result: DeployResult | undefined;
    try {
      ({ result } = await deploy({ name: 'k7', workers: '1' }, ['confirm', 'Keep']));
    } finally {
      sub.dispose();
    }
    assert.equal(result?.status, 'kept');
    assert.deepEqual(result!.files, ['homelab/clusters/k7.yaml', 'homelab/clusters/k7/inventory.ini']);
    const yaml = await readWs('homelab', 'clusters', 'k7.yaml');
    assert.ok(!yaml.includes(`vmid: ${stolen}`), 'the VM that was never created is not in the cluster file');
    for (const p of result!.progress.filter((x) => x.vm.vmid !== stolen)) assert.ok(yaml.includes(`vmid: ${p.vm.vmid}\n    proxmoxNode: ${p.vm.node}\n    role: ${p.vm.role}\n    ip: ${p.ip}\n`), yaml);
    assert.doesNotMatch(await readWs('homelab', 'clusters', 'k7', 'inventory.ini'), /k7-worker-1/);
    assert.equal(tagged('k7').length, 1);
    const r = await run(api, 'homelab.cluster.destroy', ['Destroy 1 VMs'], { clusterId: C, name: 'k7' });
    assert.equal(r.failure, undefined);
    assert.equal(tagged('k7').length, 0);
    assert.equal(sim.state.guests.get(stolen)?.conf.name, 'squatter');
    await assert.rejects(readWs('homelab', 'clusters', 'k7.yaml'), 'the cluster file went with the cluster');
    sim.state.removeGuest(stolen);
  });

  it('Cluster deploy: cancelling midway (Ctrl+C in the terminal) stops the work; rolling back leaves nothing', async () => {
    const before = new Set(sim.state.guests.keys());
    const sub = api.operations.terminals.onDidOpen((t) => {
      if (!t.name.startsWith('Deploy k5 ')) return;
      const pty = t.pty as DeployTerminal;
      void waitFor('two clones done', () => pty.lines.filter((l) => /: +ssh answers|: start$/.test(l)).length >= 1, 30_000).then(() => pty.handleInput('\x03'));
    });
    let result: DeployResult | undefined;
    try {
      ({ result } = await deploy({ name: 'k5', workers: '5' }, ['confirm', 'Roll Back']));
    } finally {
      sub.dispose();
    }
    assert.equal(result?.status, 'rolled-back');
    assert.ok(api.prompts.asked.some((q) => q.startsWith('Deployment of k5 was cancelled')));
    const states = result!.progress.map((p) => p.state);
    assert.ok(states.includes('rolled-back'), states.join());
    assert.ok(states.some((s) => s === 'cancelled' || s === 'pending'), `some VMs never finished: ${states.join()}`);
    assert.equal(tagged('k5').length, 0);
    assert.deepEqual(new Set(sim.state.guests.keys()), before, 'nothing left behind, nothing else deleted');
  });

  it('Cluster deploy: a node going offline mid-deploy fails its VMs; rollback leaves them tagged; Destroy Cluster finishes when it is back', async () => {
    const before = new Set(sim.state.guests.keys());
    const down = template.node === 'pve3' ? 'pve2' : 'pve3';
    const sub = api.operations.terminals.onDidOpen((t) => {
      if (!t.name.startsWith('Deploy k6 ')) return;
      const pty = t.pty as DeployTerminal;
      // Once every clone is done and tagged, the node drops out.
      void waitFor('all cloned', () => pty.lines.filter((l) => /: configure: /.test(l)).length >= 6, 30_000).then(() => sim.setNodeOnline(down, false));
    });
    let failure: string | undefined;
    let result: DeployResult | undefined;
    try {
      ({ failure, result } = await deploy({ name: 'k6', workers: '5', cpSize: '1, 1024, 10' }, ['confirm', 'Roll Back']));
    } finally {
      sub.dispose();
    }
    assert.equal(result, undefined, 'the command ends with the rollback problem');
    assert.match(failure ?? '', /Rollback of k6 left \d+ VMs: .*595|Rollback of k6 left \d+ VMs: .*Connection refused/);
    assert.match(failure ?? '', /carry the tag homelab-cluster-k6: run "Destroy Cluster"/);
    const question = api.prompts.asked.find((q) => q.startsWith('Deployment of k6: '));
    assert.ok(question, 'the failure was reported');
    const left = tagged('k6');
    assert.ok(left.length > 0 && left.every((g) => g.node === down), `only VMs on ${down} are left: ${left.map((g) => `${g.vmid}@${g.node}`).join()}`);

    sim.setNodeOnline(down, true);
    await api.proxmoxTree.refresh(C);
    const r = await run(api, 'homelab.cluster.destroy', [`Destroy ${left.length} VMs`], { clusterId: C, name: 'k6' });
    assert.equal(r.failure, undefined);
    assert.equal(tagged('k6').length, 0);
    assert.deepEqual(new Set(sim.state.guests.keys()), before);
  });

  it('Cluster deploy on a loopback address: Open SSH Shells logs into its VM over real SSH', async () => {
    const conf = vscode.workspace.getConfiguration('homelab');
    const g = vscode.ConfigurationTarget.Global;
    const { result } = await deploy({ name: 'lo', workers: '0', network: { first: '127.0.0.1/8', gateway: '127.0.0.254', dns: '' }, user: sshd.username });
    assert.equal(result?.status, 'deployed');
    assert.equal(result!.progress[0].ip, '127.0.0.1', 'the guest agent reports the planned address');
    await conf.update('ssh.port', sshd.port, g);
    await conf.update('ssh.privateKeyPath', sshd.privateKeyPath, g);
    await conf.update('ssh.user', sshd.username, g);
    try {
      const r = await run(api, 'homelab.cluster.openShells', [], { clusterId: C, name: 'lo' });
      assert.equal(r.failure, undefined);
      const names = r.result as string[];
      assert.equal(names.length, 1);
      assert.match(names[0], new RegExp(`^ssh ${sshd.username}@127\\.0\\.0\\.1 · lo-cp-1$`));
      const t = api.operations.terminals.open.find((x) => x.name === names[0]);
      assert.ok(t, 'the shell terminal is open');
      assert.match(sshd.logs(), new RegExp(`Accepted publickey for ${sshd.username}`));
    } finally {
      for (const k of ['ssh.port', 'ssh.privateKeyPath', 'ssh.user']) await conf.update(k, undefined, g);
    }
    assert.equal((await run(api, 'homelab.cluster.destroy', ['Destroy 1 VMs'], { clusterId: C, name: 'lo' })).failure, undefined);
  });

  it('Cluster deploy group actions: stop all asks first, start all, destroy deletes only VMs carrying the tag', async () => {
    const k2 = tagged('k2');
    assert.equal(k2.length, 8);
    // Look-alikes that must survive: an untagged VM named like a member, a VM of another cluster.
    const a = sim.state.addGuest(7001, 'pve1', { name: 'k2-worker-9', memory: '512' });
    const b = sim.state.addGuest(7002, 'pve2', { name: 'k2x-cp-1', memory: '512', tags: 'homelab-cluster-k2x;control-plane' });
    sim.state.touch();

    let r = await run(api, 'homelab.cluster.stopAll', [undefined], { clusterId: C, name: 'k2' });
    assert.equal(r.failure, undefined);
    assert.ok(k2.every((g) => g.status === 'running'), 'dismissed: nothing stopped');
    r = await run(api, 'homelab.cluster.stopAll', ['Stop All'], { clusterId: C, name: 'k2' });
    assert.equal(r.failure, undefined);
    assert.ok(k2.every((g) => g.status === 'stopped'));
    r = await run(api, 'homelab.cluster.openShells', [], { clusterId: C, name: 'k2' });
    assert.match(r.failure ?? '', /No VM of k2 is running: start them first/);
    r = await run(api, 'homelab.cluster.startAll', [], { clusterId: C, name: 'k2' });
    assert.equal(r.failure, undefined);
    assert.ok(k2.every((g) => g.status === 'running'));

    // Dismissed destroy deletes nothing.
    r = await run(api, 'homelab.cluster.destroy', [undefined], { clusterId: C, name: 'k2' });
    assert.equal(tagged('k2').length, 8);
    assert.match(api.prompts.asked[api.prompts.asked.length - 1], /Destroy cluster "k2": stop and delete its 8 VMs/);

    // A member loses its tag after the list was read (the cached listing still shows it): it is kept.
    await api.proxmoxTree.refresh(C);
    const keep = k2[3];
    keep.conf.tags = 'worker';
    r = await run(api, 'homelab.cluster.destroy', ['Destroy 8 VMs'], { clusterId: C, name: 'k2' });
    assert.match(r.failure ?? '', new RegExp(`Destroyed 7 VMs of k2; 1 remain: .*VM ${keep.vmid} .*does not carry the tag homelab-cluster-k2`));
    assert.equal(tagged('k2').length, 0);
    assert.ok(sim.state.guests.has(keep.vmid), 'the VM without the tag is untouched');
    assert.ok(sim.state.guests.has(a.vmid) && sim.state.guests.has(b.vmid), 'look-alikes are untouched');
    assert.ok(activity.some((x) => x.what === 'Destroy cluster k2' && x.result === '7 deleted, 1 failed'));
  });
});
