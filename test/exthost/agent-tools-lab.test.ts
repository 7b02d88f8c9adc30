// The lab-wide catalog entries as language-model tools (issue 15, item 2): pipeline_start and
// cluster_deploy_apply through vscode.lm.invokeTool against the simulator and the real loopback
// sshd (the build host; the stand-in for every new VM's sshd), with their refusals: an untrusted
// build host key (never trusted silently), bad input, a missing key file. And the palette's Suspend
// and Resume commands on a VM and a container, refused on a stopped guest.
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import type { HomelabApi } from '../../src/extension';
import type { DeployTerminal } from '../../src/views/terminals/deploy-terminal';
import { startSshd, type SshdHandle } from '../harness/sshd';
import { startSimulator, type Guest, type Simulator } from '../proxmox-sim';
import { addCluster, closeTerminals } from './ops-util';
import { activateHomelab, runScripted } from './util';

const C = 'agentlab';

describe('Agent tools: pipeline start, cluster deploy apply, suspend and resume', function () {
  this.timeout(120_000);
  let api: HomelabApi;
  let sim: Simulator;
  let sshd: SshdHandle;
  let noNix: string;
  const savedPath = process.env.PATH;
  const records: Array<{ what: string; result: string; target?: string }> = [];
  let recording: vscode.Disposable | undefined;
  const seen: string[] = [];
  // The shared prompts history is left as found: later suites read the questions they caused.
  let askedFrom = 0;
  let detailsFrom = 0;
  const setting = (key: string, value: unknown) => vscode.workspace.getConfiguration('homelab').update(key, value, vscode.ConfigurationTarget.Global);
  const guests = () => [...sim.state.guests.values()];
  const tagged = (name: string) => guests().filter((g) => String(g.conf.tags ?? '').split(/[;, ]+/).includes(`homelab-cluster-${name}`));
  const keyBlob = () => sshd.hostPublicKey.split(' ')[1];
  const known = () => existsSync(api.knownHostsPath) && readFileSync(api.knownHostsPath, 'utf8').includes(keyBlob());

  async function call(name: string, input: object, token = new vscode.CancellationTokenSource().token): Promise<string> {
    try {
      const r = await vscode.lm.invokeTool(name, { input, toolInvocationToken: undefined }, token);
      const text = r.content.map((p) => (p instanceof vscode.LanguageModelTextPart ? p.value : '')).join('');
      seen.push(text);
      return text;
    } catch (e) {
      seen.push(e instanceof Error ? e.message : String(e));
      throw e;
    }
  }
  async function confirmation(name: string, input: object): Promise<{ title: string; message: string }> {
    const p = await api.agentTools().prepareInvocation(name, { input }, new vscode.CancellationTokenSource().token);
    assert.ok(p.confirmationMessages, `${name} changes something: it always confirms`);
    const m = p.confirmationMessages.message;
    return { title: p.confirmationMessages.title, message: typeof m === 'string' ? m : m.value };
  }
  const lastRecord = (name: string) => records.filter((r) => r.what === `VS Code tool · ${name}`).pop();

  before(async () => {
    api = await activateHomelab();
    for (const c of api.clusters.list()) await api.clusters.remove(c.id);
    sim = await startSimulator({ nodes: 2, guests: 20, seed: 41, taskDurationMs: 120, authFailDelayMs: 50, agentBootDelayMs: 200 });
    await addCluster(api, sim, C);
    sshd = await startSshd();
    // A PATH without nix: the build goes to the build host (the loopback sshd).
    noNix = mkdtempSync(join(tmpdir(), 'agentlab-no-nix-'));
    for (const t of ['sh', 'bash', 'tar']) if (existsSync(`/usr/bin/${t}`)) symlinkSync(`/usr/bin/${t}`, join(noNix, t));
    await setting('nix.buildHost', `${sshd.username}@127.0.0.1:${sshd.port}`);
    await setting('ssh.privateKeyPath', sshd.privateKeyPath);
    Object.assign(api.deployTuning, {
      sshAddress: () => ({ host: sshd.host, port: sshd.port }),
      pollMs: 40, agentTimeoutMs: 5000, sshTimeoutMs: 10_000, sshIntervalMs: 100, cloneRetryDelayMs: 50,
    });
    rmSync(api.knownHostsPath, { force: true });
    askedFrom = api.prompts.asked.length;
    detailsFrom = api.prompts.details.length;
    recording = api.activity.onDidRecord((e) => void records.push(e));
  });

  after(async () => {
    process.env.PATH = savedPath;
    recording?.dispose();
    // No secret in play in a tool result, an error or an audit line.
    const all = [...seen, ...records.map((r) => JSON.stringify(r))].join('\n');
    const leaked = [sim?.tokenSecret, sshd && readFileSync(sshd.privateKeyPath, 'utf8').split('\n')[1]].filter((x): x is string => !!x && all.includes(x));
    for (const k of Object.keys(api.deployTuning)) delete (api.deployTuning as Record<string, unknown>)[k];
    await setting('nix.buildHost', undefined);
    await setting('ssh.privateKeyPath', undefined);
    await closeTerminals(api);
    await vscode.workspace.fs.delete(vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, 'homelab', 'clusters'), { recursive: true }).then(undefined, () => {});
    for (const c of api.clusters.list()) await api.clusters.remove(c.id);
    await sshd?.stop();
    await sim?.close();
    rmSync(noNix, { recursive: true, force: true });
    rmSync(api.knownHostsPath, { force: true });
    api.prompts.asked.splice(askedFrom);
    api.prompts.details.splice(detailsFrom);
    assert.equal(leaked.length, 0, 'a secret (API token or private key) leaked into a result or audit line');
  });

  it('pipeline_start refuses while the build host key is untrusted: names the host and its fingerprint, trusts nothing, starts nothing', async () => {
    process.env.PATH = noNix;
    try {
      const tasks = sim.state.tasks.length;
      const c = await confirmation('pipeline_start', { node: 'pve1' });
      assert.match(c.title, /cannot be checked now/);
      assert.ok(c.message.includes(sshd.hostKeyFingerprint), c.message);
      const where = `${sshd.username}@127.0.0.1:${sshd.port}`;
      await assert.rejects(call('pipeline_start', { node: 'pve1' }), (e: Error) => {
        assert.ok(e.message.includes(where), e.message);
        assert.ok(e.message.includes(sshd.hostKeyFingerprint), e.message);
        assert.match(e.message, /not trusted yet.*Build NixOS Template/);
        return true;
      });
      assert.equal(known(), false, 'the key was not trusted silently');
      assert.equal(sim.state.tasks.length, tasks, 'nothing was started');
      assert.match(lastRecord('pipeline_start')!.result, /^refused: .*not trusted yet/);
    } finally {
      process.env.PATH = savedPath;
    }
  });

  it('pipeline_start confirms with node and build host once the key is trusted; refuses a node that is not there and bad input', async () => {
    process.env.PATH = noNix;
    try {
      mkdirSync(dirname(api.knownHostsPath), { recursive: true });
      writeFileSync(api.knownHostsPath, `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey.split(' ').slice(0, 2).join(' ')}\n`);
      const c = await confirmation('pipeline_start', { node: 'pve1', resume: false });
      assert.match(c.message, new RegExp(`^Build a NixOS template on pve1 of ${C}: ISO built on 127\\.0\\.0\\.1 over SSH`));
      assert.ok(c.message.includes(sshd.hostKeyFingerprint));
      await assert.rejects(call('pipeline_start', { node: 'pve9' }), /pve9 is not an online node/);
      await assert.rejects(call('pipeline_start', { node: 'bad node;' }), /node/);
      await assert.rejects(call('pipeline_start', { resume: 'yes' }), /resume/);
      assert.match(lastRecord('pipeline_start')!.result, /^invalid input: /);
    } finally {
      process.env.PATH = savedPath;
      rmSync(api.knownHostsPath, { force: true });
    }
  });

  it('cluster_deploy_apply refuses bad input and a missing or private key file, creating nothing', async () => {
    const tpl = guests().find((g) => g.conf.template && g.type === 'qemu')!;
    const before = sim.state.guests.size;
    await assert.rejects(call('cluster_deploy_apply', { name: 'kx', template: tpl.vmid }), /sshPublicKeyPath/);
    await assert.rejects(call('cluster_deploy_apply', { name: 'Bad_Name', template: tpl.vmid, sshPublicKeyPath: `${sshd.privateKeyPath}.pub` }), /name/);
    await assert.rejects(call('cluster_deploy_apply', { name: 'kx', template: tpl.vmid, sshPublicKeyPath: '/nonexistent/id.pub' }), /No SSH public key at \/nonexistent\/id\.pub/);
    await assert.rejects(call('cluster_deploy_apply', { name: 'kx', template: tpl.vmid, sshPublicKeyPath: sshd.privateKeyPath }), /public key file \(\.pub\)/);
    const junk = join(noNix, 'junk.pub');
    writeFileSync(junk, '-----BEGIN OPENSSH PRIVATE KEY-----\n');
    await assert.rejects(call('cluster_deploy_apply', { name: 'kx', template: tpl.vmid, sshPublicKeyPath: junk }), /PRIVATE key/);
    assert.equal(sim.state.guests.size, before, 'nothing was created');
    assert.match(lastRecord('cluster_deploy_apply')!.result, /^refused: /);
  });

  it('cluster_deploy_apply confirms the plan\'s VMs, deploys them in the deploy terminal, asks the user once for the new host keys', async () => {
    const tpl = guests().find((g) => g.conf.template && String(g.conf.scsi0 ?? '').startsWith('nfs:'))!;
    assert.ok(tpl, 'a template on shared storage');
    const input = { name: 'ka', template: tpl.vmid, controlPlanes: 1, workers: 1, sshPublicKeyPath: `${sshd.privateKeyPath}.pub`, ciuser: 'ops' };
    const plan = await call('cluster_deploy_plan', { name: 'ka', template: tpl.vmid, controlPlanes: 1, workers: 1 });
    const c = await confirmation('cluster_deploy_apply', input);
    assert.match(c.message, new RegExp(`^Deploy cluster "ka" on ${C}: create 2 VMs from ${tpl.conf.name}\\?`));
    // The confirmation lists exactly the VMs of the dry run.
    for (const line of plan.split('\n').slice(1)) assert.ok(c.message.includes(line.trim()), `${line} in ${c.message}`);
    assert.equal(tagged('ka').length, 0, 'preparing created nothing');
    api.prompts.script('Trust and Pin');
    const text = await call('cluster_deploy_apply', input);
    assert.equal(api.prompts.pendingAnswers, 0, 'the host keys were asked once');
    api.prompts.clearScript();
    assert.match(text, /^Cluster ka deployed: 2 VMs answer SSH\.[\s\S]*ka-cp-1: done[\s\S]*ka-worker-1: done[\s\S]*homelab\/clusters\/ka\.yaml/);
    assert.match(api.prompts.asked[api.prompts.asked.length - 1], /^Trust the SSH host keys of 2 new VMs of "ka"\?/);
    assert.equal(tagged('ka').length, 2);
    for (const g of tagged('ka')) assert.equal(g.conf.ciuser, 'ops');
    assert.ok(known(), 'the keys the user trusted are pinned');
    const term = api.operations.terminals.open.filter((t) => t.name.startsWith('Deploy ka ')).map((t) => t.pty as DeployTerminal).pop();
    assert.ok(term, 'the deploy terminal with its status table, as from the palette');
    assert.equal(lastRecord('cluster_deploy_apply')!.result, 'ok');
    assert.ok(records.some((r) => r.what === 'Deploy cluster ka' && /deployed/.test(r.result)), 'the deploy engine\'s own activity line');
  });

  it('Suspend and Resume commands run the catalog entries on a VM and a container; a stopped guest is refused', async () => {
    const vm = guests().find((g) => g.type === 'qemu' && !g.conf.template && !g.conf.lock && g.status === 'running' && !g.paused) as Guest;
    assert.ok(vm, 'a running VM');
    const ct = sim.state.addGuest(260, 'pve1', { arch: 'amd64', cores: 1, hostname: 'ct-pause', memory: 512, ostype: 'debian', rootfs: 'local-lvm:vm-260-disk-0,size=4G', unprivileged: 1 }, 'lxc');
    ct.status = 'running';
    const before = records.length;
    for (const g of [vm, ct]) {
      assert.equal((await runScripted(api, 'homelab.proxmox.suspendVm', [], { clusterId: C, vmid: g.vmid })).failure, undefined);
      assert.equal(g.paused, true, `${g.vmid} paused`);
      assert.equal((await runScripted(api, 'homelab.proxmox.resumeVm', [], { clusterId: C, vmid: g.vmid })).failure, undefined);
      assert.equal(g.paused, false, `${g.vmid} resumed`);
    }
    assert.ok(sim.requestLog.some((r) => r.method === 'POST' && r.path.endsWith('/nodes/pve1/lxc/260/status/suspend')));
    assert.ok(sim.requestLog.some((r) => r.method === 'POST' && r.path.endsWith(`/qemu/${vm.vmid}/status/resume`)));
    // Resuming a VM that is not suspended, and suspending a stopped guest, are refused before any task
    // (a container's frozen state is not in PVE's answers: resuming a running one is allowed).
    const tasks = sim.state.tasks.length;
    assert.match((await runScripted(api, 'homelab.proxmox.resumeVm', [], { clusterId: C, vmid: vm.vmid })).failure ?? '', /only a suspended guest can be resumed/);
    const stopped = guests().find((g) => g.type === 'qemu' && !g.conf.template && !g.conf.lock && g.status === 'stopped')!;
    assert.match((await runScripted(api, 'homelab.proxmox.suspendVm', [], { clusterId: C, vmid: stopped.vmid })).failure ?? '', /only a running guest can be suspended/);
    assert.equal(sim.state.tasks.length, tasks, 'no task for a refusal');
    assert.deepEqual(records.slice(before).filter((r) => r.what.startsWith('command')).map((r) => `${r.what} ${r.result}`), [
      'command · proxmox_suspend_guest ok', 'command · proxmox_resume_guest ok', 'command · proxmox_suspend_guest ok', 'command · proxmox_resume_guest ok',
    ]);
  });
});
