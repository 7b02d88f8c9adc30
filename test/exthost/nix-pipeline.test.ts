import * as assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { HomelabApi } from '../../src/extension';
import type { PipelineState } from '../../src/providers/nix/pipeline';
import type { ProxmoxClient } from '../../src/providers/proxmox';
import { startSshd, type SshdHandle } from '../harness/sshd';
import { startSimulator, type Simulator } from '../proxmox-sim';
import { addCluster, closeTerminals, run, terminalsNamed, text, waitFor } from './ops-util';
import { activateHomelab } from './util';

const C = 'nixlab';
const STANDIN = join(__dirname, '..', '..', 'test', 'fixtures', 'nix-standin', 'nix');

describe('Nix pipeline: eject, build, upload, template pipeline (resumable), Pipeline view', function () {
  this.timeout(90_000);
  let api: HomelabApi;
  let sim: Simulator;
  let dir: string; // the stand-in's folder (its mode, calls.log, store)
  let tools: string; // a PATH with nix-instantiate and tar but no nix
  let ws: string;
  const activity: Array<{ what: string; result: string }> = [];
  let recording: vscode.Disposable | undefined;
  const cfg = () => vscode.workspace.getConfiguration('homelab');
  const set = (k: string, v: unknown) => cfg().update(k, v, vscode.ConfigurationTarget.Global);
  const mode = (m: string) => writeFileSync(join(dir, 'mode'), m);
  const builds = () => (existsSync(join(dir, 'calls.log')) ? readFileSync(join(dir, 'calls.log'), 'utf8').split('\n').filter((l) => l.includes('\tbuild\t')).length : 0);
  const statePath = () => join(ws, 'homelab', 'pipeline', 'nixos-template.json');
  const state = (): PipelineState => JSON.parse(readFileSync(statePath(), 'utf8')) as PipelineState;
  const savedPath = process.env.PATH;
  const SETTINGS = ['nix.uploadFromBuildHost', 'nix.nixPath', 'nix.buildHost', 'nix.buildHostNix', 'ssh.privateKeyPath', 'template.node', 'template.installTimeoutMinutes', 'proxmox.isoRetention', 'template.isoStorage', 'nix.diskDevice'];

  before(async () => {
    api = await activateHomelab();
    ws = vscode.workspace.workspaceFolders![0].uri.fsPath;
    for (const c of api.clusters.list()) await api.clusters.remove(c.id);
    sim = await startSimulator({ nodes: 1, guests: 2, seed: 5, taskDurationMs: 150, authFailDelayMs: 50, agentBootDelayMs: 0, installDurationMs: 2500 });
    await addCluster(api, sim, C);
    recording = api.activity.onDidRecord((e) => void activity.push(e));
    dir = mkdtempSync(join(tmpdir(), 'nix-standin-'));
    copyFileSync(STANDIN, join(dir, 'nix'));
    chmodSync(join(dir, 'nix'), 0o755);
    mode('ok');
    tools = mkdtempSync(join(tmpdir(), 'no-nix-bin-'));
    symlinkSync('/usr/bin/nix-instantiate', join(tools, 'nix-instantiate'));
    for (const t of ['tar', 'sh', 'bash']) if (existsSync(`/usr/bin/${t}`)) symlinkSync(`/usr/bin/${t}`, join(tools, t));
    await set('nix.nixPath', join(dir, 'nix'));
    await set('template.node', 'pve1');
    await set('template.installTimeoutMinutes', 1);
    await set('proxmox.isoRetention', 100);
    rmSync(join(ws, 'homelab'), { recursive: true, force: true });
  });
  after(async () => {
    process.env.PATH = savedPath;
    recording?.dispose();
    await closeTerminals(api);
    for (const k of SETTINGS) await set(k, undefined);
    for (const c of api.clusters.list()) await api.clusters.remove(c.id);
    await sim?.close();
    rmSync(join(ws, 'homelab'), { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
    rmSync(tools, { recursive: true, force: true });
  });
  afterEach(() => {
    process.env.PATH = savedPath;
    mode('ok');
  });

  /** Makes the first Proxmox call (not a tree refresh) during pipeline step `stepId` fail, once. */
  async function failAt(stepId: string): Promise<() => void> {
    const client = (await api.connections.client(api.clusters.get(C)!)) as ProxmoxClient & Record<string, unknown>;
    const methods = ['get', 'post', 'put', 'requestStream'] as const;
    const orig = Object.fromEntries(methods.map((m) => [m, client[m]]));
    let fired = false;
    const restore = () => methods.forEach((m) => (client[m] = orig[m] as never));
    for (const m of methods) {
      client[m] = (async (...a: unknown[]) => {
        const p = String(m === 'requestStream' ? a[1] : a[0]);
        const running = api.pipelineTree.current?.steps.find((s) => s.status === 'running')?.id;
        // Not the serial console (best effort by design) nor the tree's refresh.
        if (!fired && running === stepId && !p.startsWith('/cluster/resources') && !/termproxy|vncwebsocket/.test(p)) {
          fired = true;
          restore();
          throw new Error(`injected fault: 500 ${m.toUpperCase()} ${p}`);
        }
        return (orig[m] as (...x: unknown[]) => unknown).apply(client, a);
      }) as never;
    }
    return restore;
  }

  /** The terminal a command opens after this call (not one of the closed ones still listed). */
  const nextTerminal = (re: RegExp) => {
    const old = new Set(api.operations.terminals.open.map((t) => t.terminal));
    return () => waitFor(`a new terminal ${re}`, () => api.operations.terminals.open.find((t) => re.test(t.name) && !old.has(t.terminal)), 20_000);
  };
  const esc = (x: string) => x.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

  const resumeLabel = (s: PipelineState) => {
    const last = s.steps.filter((x) => x.status === 'done').pop();
    return last ? `Resume after "${last.title}"` : 'Resume';
  };

  // ---------- eject ----------

  it('Nix eject copies the files into homelab/nix; the workspace copy wins (its params go into the build)', async () => {
    await set('nix.diskDevice', '/dev/sda');
    const { failure } = await run(api, 'homelab.nix.eject', []);
    assert.equal(failure, undefined);
    const params = join(ws, 'homelab', 'nix', 'homelab-params.nix');
    for (const f of ['flake.nix', 'installer.nix', 'template.nix', 'auto-install.sh']) assert.ok(existsSync(join(ws, 'homelab', 'nix', f)), f);
    assert.match(readFileSync(params, 'utf8'), /diskDevice = "\/dev\/sda";/);
    // The user's edit, not the setting, is what the build sees.
    writeFileSync(params, readFileSync(params, 'utf8').replace('timezone = "UTC";', 'timezone = "Europe/Berlin";'));
    const r = await run(api, 'homelab.nix.buildIso', []);
    assert.equal(r.failure, undefined);
    assert.match(readFileSync(join(dir, 'calls.log'), 'utf8'), /\tbuild\tpath:/);
    const t = terminalsNamed(api, /^nix build/).pop()!;
    assert.match(text(t), /\(your copy\)/);
    assert.match(text(t), /building '\/nix\/store\/.*iso\.drv'/, 'the build output is in the terminal');
    // A second eject does not overwrite without asking; declining keeps the user's edit.
    const again = await run(api, 'homelab.nix.eject', [undefined]);
    assert.equal(again.failure, undefined);
    assert.match(readFileSync(params, 'utf8'), /Europe\/Berlin/, 'declined: the edit is kept');
    await closeTerminals(api);
  });

  it('Nix build refuses a broken edit in the ejected copy with nix-instantiate\'s file:line, as a diagnostic too', async () => {
    const tpl = join(ws, 'homelab', 'nix', 'template.nix');
    const good = readFileSync(tpl, 'utf8');
    const lines = good.split('\n');
    const at = lines.findIndex((l) => /=.*;\s*$/.test(l));
    lines[at] = lines[at].replace(/;\s*$/, ''); // drop a semicolon
    writeFileSync(tpl, lines.join('\n'));
    try {
      const before = builds();
      const { failure } = await run(api, 'homelab.nix.buildIso', []);
      assert.match(failure ?? '', new RegExp(`${tpl.replace(/[/.]/g, '\\$&')}:\\d+:\\d+: syntax error`));
      assert.equal(builds(), before, 'no build started');
      const diags = api.nixDiagnostics.get(vscode.Uri.file(tpl)) ?? [];
      assert.equal(diags.length, 1);
      assert.ok(Math.abs(diags[0].range.start.line - at) <= 2, `diagnostic near line ${at + 1}: ${diags[0].range.start.line + 1}`);
    } finally {
      writeFileSync(tpl, good);
    }
    // A missing file is named too.
    const kube = join(ws, 'homelab', 'nix', 'kubernetes.nix');
    const kubeText = readFileSync(kube);
    rmSync(kube);
    try {
      const { failure } = await run(api, 'homelab.nix.buildIso', []);
      assert.match(failure ?? '', /kubernetes\.nix is missing/);
    } finally {
      writeFileSync(kube, kubeText);
      rmSync(join(ws, 'homelab', 'nix'), { recursive: true, force: true });
      await closeTerminals(api);
    }
  });

  // ---------- build ----------

  it('Nix build runs locally with the stand-in: real output in the terminal, the ISO on disk', async () => {
    const before = builds();
    const r = await run(api, 'homelab.nix.buildIso', []);
    assert.equal(r.failure, undefined);
    assert.equal(builds(), before + 1);
    const iso = (r.result as { isoPath: string }).isoPath;
    const b = readFileSync(iso);
    assert.equal(b.subarray(0x8001, 0x8006).toString('latin1'), 'CD001');
    const t = terminalsNamed(api, /^nix build/).pop()!;
    const out = text(t);
    assert.match(out, /\$ nix --extra-experimental-features nix-command flakes build path:.*#iso/);
    assert.match(out, /evaluating derivation/);
    assert.match(out, /Creating squashfs filesystem/);
    assert.match(out, /ISO built on this machine/);
    await closeTerminals(api);
  });

  it('Nix build failure shows nix\'s last lines; cancel stops the whole build (process group)', async () => {
    mode('fail');
    const f = await run(api, 'homelab.nix.buildIso', []);
    assert.match(f.failure ?? '', /nix build failed \(exit code 1\)[\s\S]*attribute 'bogus' missing/);
    await closeTerminals(api);
    mode('hang');
    rmSync(join(dir, 'nix.pid'), { force: true });
    const next = nextTerminal(/^nix build/);
    const p = run(api, 'homelab.nix.buildIso', []);
    const t = await next();
    await waitFor('the hanging build', () => existsSync(join(dir, 'nix.pid')) && existsSync(join(dir, 'child.pid')) && /Creating 4\.0 filesystem/.test(text(t)), 15_000);
    const pids = ['nix.pid', 'child.pid'].map((f) => Number(readFileSync(join(dir, f), 'utf8')));
    t.pty.handleInput('\x03'); // same AbortController as the notification's Cancel
    const r = await p;
    assert.equal(r.failure, undefined, 'cancel is not an error');
    assert.match(text(t), /CANCELLED: the build was stopped/);
    await waitFor('the build processes gone', () => pids.every((pid) => { try { process.kill(pid, 0); return false; } catch { return true; } }), 10_000);
    await closeTerminals(api);
  });

  it('Nix build without nix and without a build host explains the two ways', async () => {
    await set('nix.nixPath', undefined);
    process.env.PATH = tools;
    try {
      const { failure } = await run(api, 'homelab.nix.buildIso', []);
      assert.match(failure ?? '', /needs Nix, and none was found/);
      assert.match(failure ?? '', /install Nix on this machine/);
      assert.match(failure ?? '', /homelab\.nix\.buildHost/);
    } finally {
      await set('nix.nixPath', join(dir, 'nix'));
      await closeTerminals(api);
    }
  });

  describe('Nix build on a build host (real sshd)', () => {
    let sshd: SshdHandle;
    before(async () => {
      sshd = await startSshd();
      await set('nix.nixPath', undefined);
      await set('nix.buildHost', `${sshd.username}@127.0.0.1:${sshd.port}`);
      await set('nix.buildHostNix', join(dir, 'nix'));
      await set('ssh.privateKeyPath', sshd.privateKeyPath);
    });
    after(async () => {
      await set('nix.buildHost', undefined);
      await set('nix.buildHostNix', undefined);
      await set('ssh.privateKeyPath', undefined);
      await set('nix.nixPath', join(dir, 'nix'));
      await sshd?.stop();
    });

    it('copies the flake, builds there, fetches the ISO back; the host key is asked once, then verified', async () => {
      process.env.PATH = tools; // no local nix
      const before = builds();
      const r = await run(api, 'homelab.nix.buildIso', ['Trust and Connect']);
      assert.equal(r.failure, undefined);
      assert.ok(api.prompts.asked.some((q) => /trust its host key/.test(q)));
      assert.equal(builds(), before + 1, 'nix ran on the build host');
      const iso = (r.result as { isoPath: string }).isoPath;
      assert.equal(readFileSync(iso).subarray(0x8001, 0x8006).toString('latin1'), 'CD001');
      const t = terminalsNamed(api, /^nix build/).pop()!;
      assert.match(text(t), new RegExp(`building on ${sshd.username}@127\\.0\\.0\\.1:${sshd.port}`));
      assert.match(text(t), new RegExp(sshd.hostKeyFingerprint.replace(/[+/]/g, '\\$&')));
      assert.match(text(t), /Creating squashfs filesystem/);
      assert.match(readFileSync(api.knownHostsPath, 'utf8'), new RegExp(sshd.hostPublicKey.split(' ')[1].replace(/[+/]/g, '\\$&')));
      // Second build: known key, no question.
      const asked = api.prompts.asked.length;
      const r2 = await run(api, 'homelab.nix.buildIso', []);
      assert.equal(r2.failure, undefined);
      assert.equal(api.prompts.asked.length, asked);
      await closeTerminals(api);
    });

    it('a lost SSH connection mid-build: a clear message naming the host, the terminal says so', async () => {
      process.env.PATH = tools;
      mode('hang');
      rmSync(join(dir, 'nix.pid'), { force: true });
      const known = existsSync(api.knownHostsPath) && readFileSync(api.knownHostsPath, 'utf8').includes(sshd.hostPublicKey.split(' ')[1]);
      const next = nextTerminal(/^nix build/);
      const p = run(api, 'homelab.nix.buildIso', known ? [] : ['Trust and Connect']);
      const t = await next();
      await waitFor('the remote build hanging', () => existsSync(join(dir, 'nix.pid')) && /Creating 4\.0 filesystem/.test(text(t)), 20_000);
      const nixPid = Number(readFileSync(join(dir, 'nix.pid'), 'utf8'));
      const childPid = Number(readFileSync(join(dir, 'child.pid'), 'utf8'));
      // The sshd process serving this session is the build's parent: killing it drops the connection.
      const sessionPid = Number(readFileSync(`/proc/${nixPid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1]);
      assert.match(readFileSync(`/proc/${sessionPid}/cmdline`, 'utf8'), /sshd/);
      try {
        process.kill(sessionPid, 'SIGKILL');
        const r = await p;
        assert.match(r.failure ?? '', /SSH connection to 127\.0\.0\.1:\d+ was lost during the build/);
        assert.match(r.failure ?? '', /run the build again/);
        assert.match(text(t), /FAILED: .*was lost during the build/);
      } finally {
        for (const pid of [nixPid, childPid]) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
        mode('ok');
        await closeTerminals(api);
      }
    });

    it('Pipeline with the build host uploading the ISO itself (curl there, the pinned certificate): no round trip through here', async () => {
      process.env.PATH = tools;
      rmSync(statePath(), { force: true });
      await set('nix.uploadFromBuildHost', true);
      try {
        const known = existsSync(api.knownHostsPath) && readFileSync(api.knownHostsPath, 'utf8').includes(sshd.hostPublicKey.split(' ')[1]);
        const r = await run(api, 'homelab.template.buildAndDeploy', known ? [] : ['Trust and Connect'], C);
        assert.equal(r.failure, undefined);
        const s = state();
        assert.equal(s.status, 'done');
        const up = s.steps.find((x) => x.id === 'upload')!.result!;
        assert.equal(up.fromBuildHost, true);
        assert.match(String(up.volid), /^local:iso\/homelab-nixos-\d{8}-\d{6}\.iso$/);
        assert.equal(s.steps.find((x) => x.id === 'build')!.result!.isoPath, undefined, 'nothing fetched back');
        const vols = (await (await api.connections.client(api.clusters.get(C)!)).storageContent('pve1', 'local', 'iso')).map((v) => v.volid);
        assert.ok(vols.includes(String(up.volid)));
        const t = terminalsNamed(api, /^NixOS template pipeline/).pop()!;
        assert.match(text(t), /Uploading homelab-nixos-\S+ from 127\.0\.0\.1 to pve1\/local/);
        assert.match(text(t), /checksum verified|TASK OK/);
        assert.doesNotMatch(text(t), /fetched \d+%/);
        assert.doesNotMatch(text(t), new RegExp(sim.tokenSecret), 'the secret never reaches the terminal');
      } finally {
        await set('nix.uploadFromBuildHost', undefined);
        await closeTerminals(api);
      }
    });

    it('a changed host key is refused; cancel stops the remote build', async () => {
      process.env.PATH = tools;
      mode('hang');
      rmSync(join(dir, 'nix.pid'), { force: true });
      const known = existsSync(api.knownHostsPath) && readFileSync(api.knownHostsPath, 'utf8').includes(sshd.hostPublicKey.split(' ')[1]);
      const next = nextTerminal(/^nix build/);
      const p = run(api, 'homelab.nix.buildIso', known ? [] : ['Trust and Connect']);
      const t = await next();
      await waitFor('the remote build hanging', () => existsSync(join(dir, 'nix.pid')) && /Creating 4\.0 filesystem/.test(text(t)), 20_000);
      const pids = ['nix.pid', 'child.pid'].map((f) => Number(readFileSync(join(dir, f), 'utf8')));
      t.pty.handleInput('\x03');
      const r = await p;
      assert.equal(r.failure, undefined);
      assert.match(text(t), /CANCELLED/);
      await waitFor('the remote build processes gone', () => pids.every((pid) => { try { process.kill(pid, 0); return false; } catch { return true; } }), 15_000);
      mode('ok');
      await closeTerminals(api);
      process.env.PATH = savedPath; // ssh-keygen
      await sshd.regenerateHostKey();
      process.env.PATH = tools;
      const changed = await run(api, 'homelab.nix.buildIso', []);
      assert.match(changed.failure ?? '', /host key|HOST KEY|changed/i);
      await closeTerminals(api);
    });
  });

  // ---------- upload ----------

  it('Nix ISO upload: progress, SHA-256 verified, imgcopy followed; retention asks, declined deletes nothing, confirmed deletes the older ones', async () => {
    const b = await run(api, 'homelab.nix.buildIso', []);
    const iso = (b.result as { isoPath: string }).isoPath;
    await closeTerminals(api);
    await set('proxmox.isoRetention', 1);
    const names = ['homelab-nixos-20250101-000000.iso', 'homelab-nixos-20250102-000000.iso', 'homelab-nixos-20250103-000000.iso'];
    for (const filename of names) {
      const r = await run(api, 'homelab.proxmox.uploadIso', filename === names[0] ? [] : [undefined], { clusterId: C, node: 'pve1', storage: 'local', filePath: iso, filename });
      assert.equal(r.failure, undefined);
      assert.equal(r.result, `local:iso/${filename}`);
    }
    const t = terminalsNamed(api, /^upload homelab-nixos-20250103/)[0];
    assert.match(text(t), /Uploaded local:iso\/homelab-nixos-20250103-000000\.iso \(1048576 bytes, sha256 [0-9a-f]{64}, verified by Proxmox\)/);
    assert.match(text(t), /100% · 1\.0 of 1\.0 MiB · [\d.]+ MiB\/s/);
    assert.match(text(t), /Kept the older ISOs \(deletion not confirmed\)/);
    const vols = async () => (await (await api.connections.client(api.clusters.get(C)!)).storageContent('pve1', 'local', 'iso')).map((v) => v.volid);
    for (const n of names) assert.ok((await vols()).includes(`local:iso/${n}`), `${n} still there (declined)`);
    // A fourth upload, deletion confirmed: only the newest stays of ours.
    const r4 = await run(api, 'homelab.proxmox.uploadIso', ['Delete'], { clusterId: C, node: 'pve1', storage: 'local', filePath: iso, filename: 'homelab-nixos-20250104-000000.iso' });
    assert.equal(r4.failure, undefined);
    assert.ok(api.prompts.asked.some((q) => /Delete 3 older NixOS ISO/.test(q)));
    const left = (await vols()).filter((v) => /homelab-nixos-2025010/.test(v));
    assert.deepEqual(left, ['local:iso/homelab-nixos-20250104-000000.iso']);
    await set('proxmox.isoRetention', 100);
    await closeTerminals(api);
  });

  it('Nix ISO upload to a storage without ISO content, and to a full storage: clear messages', async () => {
    const b = await run(api, 'homelab.nix.buildIso', []);
    const iso = (b.result as { isoPath: string }).isoPath;
    const noIso = await run(api, 'homelab.proxmox.uploadIso', [], { clusterId: C, node: 'pve1', storage: 'local-lvm', filePath: iso, filename: 'homelab-nixos-x.iso' });
    assert.match(noIso.failure ?? '', /local-lvm.*(does not hold ISO|ISO images)/);
    const local = sim.state.storages.find((s) => s.storage === 'local')!;
    const total = local.total;
    local.total = 1024;
    try {
      const full = await run(api, 'homelab.proxmox.uploadIso', [], { clusterId: C, node: 'pve1', storage: 'local', filePath: iso, filename: 'homelab-nixos-y.iso' });
      assert.match(full.failure ?? '', /full|space|free/i);
    } finally {
      local.total = total;
    }
    await closeTerminals(api);
  });

  // ---------- the pipeline ----------

  it('Pipeline runs end to end against the simulator: a template with cloud-init, ISO detached, journal line, view rows with durations', async () => {
    rmSync(statePath(), { force: true });
    await api.pipelineTree.refresh();
    assert.equal((await api.pipelineTree.rows()).length, 0, 'no pipeline yet: the welcome shows');
    const { failure, result } = await run(api, 'homelab.template.buildAndDeploy', [], C);
    assert.equal(failure, undefined);
    const s = result as PipelineState;
    assert.equal(s.status, 'done');
    const vmid = Number(s.steps.find((x) => x.id === 'create-vm')!.result!.vmid);
    const g = sim.state.guests.get(vmid)!;
    assert.equal(g.conf.template, 1);
    assert.match(String(g.conf.scsi0), /^local-lvm:/);
    assert.match(String(g.conf.ide2), /^none,media=cdrom/);
    assert.match(String(g.conf.ide0), /cloudinit/);
    assert.match(String(g.conf.net0), /virtio.*bridge=vmbr0/);
    assert.match(String(g.conf.agent), /1/);
    assert.equal(g.conf.serial0, 'socket');
    assert.deepEqual(state().steps.map((x) => x.status), s.steps.map(() => 'done'));
    const t = terminalsNamed(api, /^NixOS template pipeline/).pop()!;
    const out = text(t);
    assert.match(out, /homelab-install: step 6\/6/, 'the serial console in the terminal');
    assert.match(out, /Template ready: VM \d+/);
    assert.ok(activity.some((a) => /NixOS template nixos-template \(VM \d+\)/.test(a.what) && a.result === 'OK'), JSON.stringify(activity));
    const rows = await api.pipelineTree.rows();
    assert.equal(rows.length, 11);
    for (const r of rows) {
      assert.equal(r.status, 'done');
      assert.match(r.duration, /^\d+ s$|min/);
    }
    const item = api.pipelineTree.getTreeItem({ kind: 'step', row: rows.find((r) => r.id === 'install')! });
    assert.match(String(item.description), /^done · \d+ s$/);
    await closeTerminals(api);
  });

  const steps = ['preflight', 'build', 'upload', 'create-vm', 'start', 'install', 'detach-iso', 'cloud-init', 'template', 'retention'];
  for (const step of steps) {
    it(`Pipeline resumes after a failure injected at "${step}": the failure names the step, the second run offers resume and completes`, async () => {
      rmSync(statePath(), { force: true }); // independent of the test before
      let restore = () => {};
      if (step === 'build') mode('fail');
      else restore = await failAt(step);
      const buildsBefore = builds();
      try {
        const first = await run(api, 'homelab.template.buildAndDeploy', [], C);
        const s = state();
        const title = s.steps.find((x) => x.id === step)!.title;
        assert.match(first.failure ?? '', new RegExp(`Step "${esc(title)}" failed: .*${step === 'build' ? 'nix build failed' : 'injected fault'}`));
        assert.match(first.failure ?? '', /Run the command again to resume/);
        assert.equal(s.status, 'failed');
        assert.equal(s.failedStep, step);
        const made = s.created.map((c) => c.kind);
        if (steps.indexOf(step) > steps.indexOf('create-vm')) {
          assert.ok(made.includes('vm'), 'the VM is listed for cleanup');
          assert.match(first.failure ?? '', /Left for you to clean up or reuse: .*VM \d+/);
          const rows = await api.pipelineTree.getChildren();
          assert.ok(rows.some((e) => e.kind === 'created' && e.resource.kind === 'vm'), 'the view lists what the run made');
        }
        const failedRow = (await api.pipelineTree.rows()).find((r) => r.id === step)!;
        assert.equal(failedRow.status, 'failed');
      } finally {
        restore();
        mode('ok');
      }
      await closeTerminals(api);
      const vmsBefore = sim.state.guests.size;
      const second = await run(api, 'homelab.template.buildAndDeploy', [resumeLabel(state())], C);
      assert.equal(second.failure, undefined);
      const s2 = state();
      assert.equal(s2.status, 'done');
      assert.equal(s2.steps.find((x) => x.id === step)!.attempts, 2);
      for (const x of s2.steps.slice(0, steps.indexOf(step))) assert.equal(x.attempts, 1, `${x.id} was not run again`);
      // The failing build counts as a nix call too; after the build, the resume does not build again.
      assert.equal(builds(), buildsBefore + (step === 'build' ? 2 : 1), 'the ISO was built by the run that got that far, not again');
      if (steps.indexOf(step) > steps.indexOf('create-vm')) assert.equal(sim.state.guests.size, vmsBefore, 'the VM was reused, not made again');
      await closeTerminals(api);
    });
  }

  it('Pipeline cancelled during the install resumes and completes; start over keeps the old run\'s VM listed', async () => {
    rmSync(statePath(), { force: true });
    const next = nextTerminal(/^NixOS template pipeline/);
    let settled: Awaited<ReturnType<typeof run>> | undefined;
    // A longer install than the suite's 2.5 s, so a loaded machine cannot finish it before the cancel lands.
    sim.setInstallDurationMs(8000);
    const p = run(api, 'homelab.template.buildAndDeploy', [], C).then((r) => (settled = r));
    const t = await next();
    await waitFor('the install running', () => settled || /▶ Wait for the install to power off/.test(text(t)), 45_000);
    sim.setInstallDurationMs(2500);
    assert.equal(settled, undefined, `the run ended before the install was seen: ${settled?.failure}\n${text(t)}`);
    t.pty.handleInput('\x03');
    const r = await p;
    assert.equal(r.failure, undefined, 'cancel is not an error');
    assert.equal(state().status, 'cancelled');
    assert.equal(state().failedStep, 'install');
    assert.match(text(t), /CANCELLED at "Wait for the install to power off"/);
    await closeTerminals(api);
    const second = await run(api, 'homelab.template.buildAndDeploy', [resumeLabel(state())], C);
    assert.equal(second.failure, undefined);
    assert.equal(state().status, 'done');
    await closeTerminals(api);
  });

  it('Pipeline install timeout: the message has the log tail, the VM is left running, a resume with a longer timeout completes', async () => {
    rmSync(statePath(), { force: true });
    await set('template.installTimeoutMinutes', 0.02); // 1.2 s; the simulated install takes 2.5 s
    try {
      const first = await run(api, 'homelab.template.buildAndDeploy', [], C);
      assert.match(first.failure ?? '', /Step "Wait for the install to power off" failed: VM \d+ did not power off within 1 s/);
      assert.match(first.failure ?? '', /Last lines:\n[\s\S]*(NixOS Stage 1|homelab-install)/);
      const vmid = Number(state().steps.find((x) => x.id === 'create-vm')!.result!.vmid);
      assert.equal(sim.state.guests.get(vmid)!.status, 'running', 'left running to look at');
    } finally {
      await set('template.installTimeoutMinutes', 1);
    }
    await closeTerminals(api);
    const second = await run(api, 'homelab.template.buildAndDeploy', ['Resume after "Start the VM (auto-install)"'], C);
    assert.equal(second.failure, undefined);
    assert.equal(state().status, 'done');
    await closeTerminals(api);
  });

  it('Pipeline with an ejected copy whose diskDevice the VM lacks: the install fails naming the disk; nothing deleted', async () => {
    rmSync(statePath(), { force: true });
    await run(api, 'homelab.nix.eject', []);
    const params = join(ws, 'homelab', 'nix', 'homelab-params.nix');
    writeFileSync(params, readFileSync(params, 'utf8').replace('diskDevice = "/dev/sda";', 'diskDevice = "/dev/vdb";'));
    try {
      const first = await run(api, 'homelab.template.buildAndDeploy', [], C);
      assert.match(first.failure ?? '', /Step "Wait for the install to power off" failed: The auto-install in VM \d+ failed[\s\S]*disk \/dev\/vdb does not exist in this VM/);
      const vmid = Number(state().steps.find((x) => x.id === 'create-vm')!.result!.vmid);
      assert.ok(sim.state.guests.get(vmid), 'the VM is still there');
      // Starting over (not resuming) keeps the failed run's VM listed as a leftover.
      rmSync(join(ws, 'homelab', 'nix'), { recursive: true, force: true });
      await closeTerminals(api);
      const second = await run(api, 'homelab.template.buildAndDeploy', ['Start Over'], C);
      assert.equal(second.failure, undefined);
      assert.ok(sim.state.guests.get(vmid), 'start over deleted nothing');
      assert.ok((state().leftovers ?? []).some((l) => l.kind === 'vm' && l.id === String(vmid)));
    } finally {
      rmSync(join(ws, 'homelab', 'nix'), { recursive: true, force: true });
      await closeTerminals(api);
    }
  });

  it('Pipeline on full storages: a full disk storage is refused before building, a full ISO storage fails the upload step resumably', async () => {
    rmSync(statePath(), { force: true });
    const before = builds();
    const lvm = sim.state.storages.find((s) => s.storage === 'local-lvm')!;
    const lvmTotal = lvm.total;
    lvm.total = 2 ** 30;
    try {
      const r = await run(api, 'homelab.template.buildAndDeploy', [], C);
      assert.match(r.failure ?? '', /Step "Check node, storages and disk" failed: Storage "local-lvm" on pve1 has [\d.]+ GiB free, the template disk needs 20 GiB/);
      assert.equal(builds(), before, 'nothing was built');
    } finally {
      lvm.total = lvmTotal;
    }
    await closeTerminals(api);
    rmSync(statePath(), { force: true });
    const local = sim.state.storages.find((s) => s.storage === 'local')!;
    const localTotal = local.total;
    local.total = 1024;
    try {
      const r = await run(api, 'homelab.template.buildAndDeploy', [], C);
      assert.match(r.failure ?? '', /Step "Upload the ISO to Proxmox" failed: .*(full|space|free)/i);
      assert.equal(state().failedStep, 'upload');
    } finally {
      local.total = localTotal;
    }
    await closeTerminals(api);
    const again = await run(api, 'homelab.template.buildAndDeploy', ['Resume after "Build the NixOS ISO"'], C);
    assert.equal(again.failure, undefined);
    assert.equal(state().status, 'done');
    await closeTerminals(api);
  });

  it('Pipeline refuses a disk device the VM will not have before building, and storage without ISO content at preflight', async () => {
    rmSync(statePath(), { force: true });
    const before = builds();
    await set('nix.diskDevice', '/dev/nvme0n1');
    try {
      const r = await run(api, 'homelab.template.buildAndDeploy', [], C);
      assert.match(r.failure ?? '', /Step "Check node, storages and disk" failed: The installer is set to write to \/dev\/nvme0n1/);
    } finally {
      await set('nix.diskDevice', undefined);
    }
    await closeTerminals(api);
    await set('template.isoStorage', 'local-lvm');
    try {
      const r = await run(api, 'homelab.template.buildAndDeploy', ['Start Over'], C);
      assert.match(r.failure ?? '', /Storage "local-lvm" on pve1 does not hold ISO images; storages there that do: local, nfs/);
    } finally {
      await set('template.isoStorage', undefined);
    }
    assert.equal(builds(), before, 'nothing was built');
    await closeTerminals(api);
  });
});
