import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, guestSerial, isDiskInstalled, type Simulator } from '../../proxmox-sim/index';
import { ProxmoxClient, followTask, openSerialConsole, uploadIso } from '../../../src/providers/proxmox';
import { buildIsoLocally, resolveParams, renderParamsNix } from '../../../src/providers/nix';
import { makeStandIn, waitFor, type StandIn } from './standin';
import { writeFileSync } from 'node:fs';

describe('proxmox-sim: the auto-installing guest', function () {
  let sim: Simulator;
  let client: ProxmoxClient;
  let s: StandIn;
  let work: string;
  let installer: string;
  let installerVdb: string;

  async function isoFromStandIn(diskDevice: string, name: string): Promise<string> {
    writeFileSync(join(s.flake, 'homelab-params.nix'), renderParamsNix(resolveParams({ diskDevice })));
    const r = await buildIsoLocally({ nix: s.nix, flakeDir: s.flake, outLink: join(work, name), env: s.env });
    const up = await uploadIso(client, { node: 'pve1', storage: 'local', filePath: r.isoPath!, filename: `homelab-nixos-${name}.iso`, pollMs: 30 });
    return up.volid;
  }

  before(async () => {
    sim = await startSimulator({ guests: 2, seed: 9, taskDurationMs: 40, authFailDelayMs: 0, installDurationMs: 600 });
    client = new ProxmoxClient({ url: sim.url, fingerprint: sim.fingerprint, auth: { kind: 'token', tokenId: sim.tokenId, secret: sim.tokenSecret } });
    s = makeStandIn();
    work = mkdtempSync(join(tmpdir(), 'sim-autoinstall-'));
    installer = await isoFromStandIn('/dev/sda', 'sda');
    installerVdb = await isoFromStandIn('/dev/sdb', 'sdb');
  });
  after(async () => {
    await client.close();
    await sim.close();
    s.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  async function createAndStart(vmid: number, iso: string): Promise<void> {
    const upid = await client.post<string>('/nodes/pve1/qemu', {
      vmid, name: `t${vmid}`, memory: 2048, scsihw: 'virtio-scsi-single', scsi0: 'local-lvm:20', ide2: `${iso},media=cdrom`,
      net0: 'virtio,bridge=vmbr0', serial0: 'socket', agent: 'enabled=1', boot: 'order=scsi0;ide2;net0',
    });
    assert.equal((await followTask(client, upid, { pollMs: 30 })).status, 'ok');
    assert.equal((await followTask(client, await client.post<string>(`/nodes/pve1/qemu/${vmid}/status/start`), { pollMs: 30 })).status, 'ok');
  }
  const status = async (vmid: number) => (await client.get<{ status: string }>(`/nodes/pve1/qemu/${vmid}/status/current`)).status;

  it('boots the auto-installer, writes the install log to the serial console, powers off with the disk installed', async () => {
    await createAndStart(801, installer);
    assert.equal(await status(801), 'running');
    const g = sim.state.guests.get(801)!;
    await waitFor(() => g.status === 'stopped', 5000, 'power off');
    assert.equal(await status(801), 'stopped');
    assert.ok(isDiskInstalled(g));
    const serial = guestSerial(g).join('\n');
    assert.match(serial, /HOMELAB_NIXOS_AUTOINSTALL/);
    assert.match(serial, /step 1\/6: partitioning \/dev\/sda/);
    assert.match(serial, /step 6\/6: done, powering off/);
    // Booted again (ISO still attached, disk first in the order): the installed system, no reinstall.
    await followTask(client, await client.post<string>('/nodes/pve1/qemu/801/status/start'), { pollMs: 30 });
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(await status(801), 'running');
    assert.match(guestSerial(g).at(-1)!, /Welcome to NixOS/);
    await followTask(client, await client.post<string>('/nodes/pve1/qemu/801/status/stop'), { pollMs: 30 });
  });

  it('the serial console (termproxy + vncwebsocket on the pinned connection) streams the install and closes at power off', async () => {
    await createAndStart(805, installer);
    const seen: string[] = [];
    const con = await openSerialConsole(client, 'pve1', 805, { onLine: (l) => seen.push(l) });
    await con.closed;
    assert.equal(await status(805), 'stopped');
    assert.ok(con.lines.some((l) => /step 1\/6: partitioning \/dev\/sda/.test(l)), con.lines.join('\n'));
    assert.ok(con.lines.some((l) => /reboot: Power down/.test(l)));
    assert.deepEqual(seen, [...con.lines]);
    assert.ok(!con.lines.some((l) => /\r/.test(l)));
    // A console needs a running VM with a serial port.
    await assert.rejects(openSerialConsole(client, 'pve1', 805), /VM 805 not running/);
  });

  it('the vncwebsocket refuses a wrong ticket and a missing token', async () => {
    await createAndStart(806, 'local:iso/debian-12.7.0-amd64-netinst.iso');
    const proxy = await client.post<{ port: string; ticket: string }>('/nodes/pve1/qemu/806/termproxy', { serial: 'serial0' });
    const bad = await client.openWebSocket(`/nodes/pve1/qemu/806/vncwebsocket?port=${proxy.port}&vncticket=PVEVNC:WRONG`, ['binary']);
    const outcome = await new Promise<string>((r) => { bad.addEventListener('open', () => r('open')); bad.addEventListener('error', () => r('error')); });
    assert.equal(outcome, 'error');
    const proxy2 = await client.post<{ port: string; ticket: string }>('/nodes/pve1/qemu/806/termproxy', { serial: 'serial0' });
    const stranger = new ProxmoxClient({ url: sim.url, fingerprint: sim.fingerprint, auth: { kind: 'token', tokenId: sim.tokenId, secret: '00000000-0000-4000-8000-000000000000' } });
    try {
      const ws = await stranger.openWebSocket(`/nodes/pve1/qemu/806/vncwebsocket?port=${proxy2.port}&vncticket=${encodeURIComponent(proxy2.ticket)}`, ['binary']);
      assert.equal(await new Promise<string>((r) => { ws.addEventListener('open', () => r('open')); ws.addEventListener('error', () => r('error')); }), 'error');
    } finally {
      await stranger.close();
    }
    await followTask(client, await client.post<string>('/nodes/pve1/qemu/806/status/stop'), { pollMs: 30 });
  });

  it('a VM booted from any other ISO keeps running', async () => {
    await createAndStart(802, 'local:iso/debian-12.7.0-amd64-netinst.iso');
    await new Promise((r) => setTimeout(r, 900));
    assert.equal(await status(802), 'running');
    assert.ok(!isDiskInstalled(sim.state.guests.get(802)!));
  });

  it('an installer for a disk the VM does not have logs the error and never powers off', async () => {
    await createAndStart(803, installerVdb);
    await new Promise((r) => setTimeout(r, 900));
    assert.equal(await status(803), 'running');
    assert.match(guestSerial(sim.state.guests.get(803)!).join('\n'), /disk \/dev\/sdb does not exist in this VM/);
  });

  it('stopping the VM mid-install ends the install (no later power-off, disk not installed)', async () => {
    await createAndStart(804, installer);
    await followTask(client, await client.post<string>('/nodes/pve1/qemu/804/status/stop'), { pollMs: 30 });
    await new Promise((r) => setTimeout(r, 800));
    assert.ok(!isDiskInstalled(sim.state.guests.get(804)!));
  });
});
