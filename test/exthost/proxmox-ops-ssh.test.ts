import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import type { HomelabApi } from '../../src/extension';
import type { SshTerminal } from '../../src/views/terminals/ssh-terminal';
import { startSshd, type SshdHandle } from '../harness/sshd';
import { startSimulator, type Simulator, type Guest } from '../proxmox-sim';
import { addCluster, run, terminalsNamed, text, waitFor } from './ops-util';
import { activateHomelab } from './util';

const settings = () => vscode.workspace.getConfiguration('homelab');

describe('Proxmox ops: SSH shell against a real OpenSSH server', function () {
  this.timeout(60_000);
  let api: HomelabApi;
  let sim: Simulator;
  let sshd: SshdHandle;
  let guest: Guest;

  before(async () => {
    api = await activateHomelab();
    for (const c of api.clusters.list()) await api.clusters.remove(c.id);
    sim = await startSimulator({ nodes: 2, guests: 6, seed: 9, taskDurationMs: 200, authFailDelayMs: 50, agentBootDelayMs: 0 });
    await addCluster(api, sim, 'ssh');
    sshd = await startSshd();
    // The guest agent reports the loopback address the test sshd listens on.
    guest = [...sim.state.guests.values()].find((g) => !g.conf.template)!;
    guest.status = 'running';
    guest.startedAt = Date.now();
    guest.agentUpAt = 0;
    guest.conf.ipconfig0 = 'ip=127.0.0.1/8';
    sim.state.touch();
    await settings().update('ssh.port', sshd.port, vscode.ConfigurationTarget.Global);
    await settings().update('ssh.privateKeyPath', sshd.privateKeyPath, vscode.ConfigurationTarget.Global);
    await settings().update('ssh.user', sshd.username, vscode.ConfigurationTarget.Global);
  });
  after(async () => {
    for (const t of terminalsNamed(api, /^ssh /)) t.terminal.dispose();
    for (const k of ['ssh.port', 'ssh.privateKeyPath', 'ssh.user']) await settings().update(k, undefined, vscode.ConfigurationTarget.Global);
    for (const c of api.clusters.list()) await api.clusters.remove(c.id);
    await sshd?.stop();
    await sim?.close();
  });

  it('asks to trust the host key on first use (fingerprint shown), opens a PTY shell; command output reaches the terminal; resize works', async () => {
    const asked = api.prompts.asked.length;
    const { failure, result } = await run(api, 'homelab.proxmox.openShell', ['Trust and Connect'], { clusterId: 'ssh', vmid: guest.vmid });
    assert.equal(failure, undefined);
    assert.match(api.prompts.asked.slice(asked).join('\n'), /First connection to 127\.0\.0\.1:\d+: trust its host key\?/);
    assert.match(readFileSync(api.knownHostsPath, 'utf8'), new RegExp(`^\\[127\\.0\\.0\\.1\\]:${sshd.port} ssh-ed25519 `, 'm'));
    const t = terminalsNamed(api, new RegExp(`^${String(result).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`))[0];
    assert.ok(t, 'the ssh terminal exists');
    const pty = t.pty as SshTerminal;
    await waitFor('the PTY channel', () => pty.isOpen);
    pty.handleInput('echo "hello-$((6*7))"; tty\n');
    await waitFor('command output in the terminal', () => /hello-42/.test(text(t)) && /\/dev\/pts\//.test(text(t)), 10_000);
    // VS Code may resize the terminal at any time too: the PTY must report the last size sent.
    pty.setDimensions({ rows: 33, columns: 111 });
    const mark = text(t).length;
    pty.handleInput('stty size\n');
    const size = await waitFor<RegExpExecArray>('stty size output', () => /\n(\d+) (\d+)\n/.exec(text(t).slice(mark)) ?? undefined, 10_000)
      .catch((e: Error) => Promise.reject(new Error(`${e.message}: ${JSON.stringify(t.pty.output.slice(-300))}`)));
    assert.deepEqual([Number(size[1]), Number(size[2])], [pty.lastSize!.rows, pty.lastSize!.cols]);
    assert.ok(pty.lastSize!.rows > 0 && pty.lastSize!.cols > 0);
    pty.handleInput('exit\n');
    await waitFor('session end', () => /session ended, exit 0/.test(text(t)), 10_000);
  });

  it('connects again silently with the stored key (no question)', async () => {
    const asked = api.prompts.asked.length;
    const { failure } = await run(api, 'homelab.proxmox.openShell', [], { clusterId: 'ssh', vmid: guest.vmid });
    assert.equal(failure, undefined);
    assert.equal(api.prompts.asked.length, asked);
  });

  it('refuses a changed host key with a warning and opens no terminal', async () => {
    await sshd.regenerateHostKey();
    const before = terminalsNamed(api, /^ssh /).length;
    const { failure } = await run(api, 'homelab.proxmox.openShell', [], { clusterId: 'ssh', vmid: guest.vmid });
    assert.match(failure ?? '', /host key of 127\.0\.0\.1:\d+ has CHANGED/);
    assert.match(failure ?? '', new RegExp(sshd.hostKeyFingerprint.replace(/[+/]/g, '\\$&')));
    assert.equal(terminalsNamed(api, /^ssh /).length, before);
    assert.doesNotMatch(readFileSync(api.knownHostsPath, 'utf8'), new RegExp(sshd.hostPublicKey.split(' ')[1].replace(/[+/]/g, '\\$&')), 'the new key was not stored');
  });

  it('a missing key file is a clear error', async () => {
    await settings().update('ssh.privateKeyPath', '/nonexistent/id_ed25519', vscode.ConfigurationTarget.Global);
    try {
      const { failure } = await run(api, 'homelab.proxmox.openShell', [], { clusterId: 'ssh', vmid: guest.vmid });
      assert.match(failure ?? '', /SSH key file \/nonexistent\/id_ed25519 does not exist/);
    } finally {
      await settings().update('ssh.privateKeyPath', sshd.privateKeyPath, vscode.ConfigurationTarget.Global);
    }
  });
});
