import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSshd, type SshdHandle } from '../../harness/sshd';
import { startSimulator, type Simulator } from '../../proxmox-sim/index';
import { makeCert } from '../../proxmox-sim/cert';
import { KnownHosts, connectSsh, type SshSession } from '../../../src/providers/ssh';
import { ProxmoxClient, followTask } from '../../../src/providers/proxmox';
import { buildIsoRemotely, isNixError, uploadFromBuildHost } from '../../../src/providers/nix';
import { makeStandIn, type StandIn } from './standin';

describe('nix: upload the ISO to Proxmox from the build host (curl there, pinned certificate)', function () {
  let sshd: SshdHandle;
  let sim: Simulator;
  let client: ProxmoxClient;
  let s: StandIn;
  let ses: SshSession;
  let remoteIso: string;
  let work: string;

  before(async () => {
    sshd = await startSshd();
    sim = await startSimulator({ guests: 2, seed: 3, taskDurationMs: 40, authFailDelayMs: 0 });
    client = new ProxmoxClient({ url: sim.url, fingerprint: sim.fingerprint, auth: { kind: 'token', tokenId: sim.tokenId, secret: sim.tokenSecret } });
    s = makeStandIn();
    work = mkdtempSync(join(tmpdir(), 'remote-upload-'));
    ses = await connectSsh({ host: '127.0.0.1', port: sshd.port, username: sshd.username, privateKeyPath: sshd.privateKeyPath, agentSocket: false, knownHosts: new KnownHosts(join(work, 'known_hosts')), confirmUnknown: async () => true });
    s.setSize(3 * 2 ** 20);
    remoteIso = (await buildIsoRemotely({ session: ses, flakeDir: s.flake, remoteDir: join(s.dir, 'remote'), nixCommand: s.nix })).remoteIsoPath!;
  });
  after(async () => {
    ses?.close();
    await client.close();
    await sim.close();
    await sshd.stop();
    s.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  const auth = () => `PVEAPIToken=${sim.tokenId}=${sim.tokenSecret}`;

  it('uploads with the checksum; the imgcopy task verifies it and the ISO is listed', async () => {
    const r = await uploadFromBuildHost({ session: ses, remoteIsoPath: remoteIso, url: sim.url, node: 'pve1', storage: 'local', filename: 'homelab-nixos-remote.iso', certPem: sim.certPem, authorization: auth() });
    const t = await followTask(client, r.upid, { pollMs: 30 });
    assert.equal(t.status, 'ok', t.exitstatus);
    assert.ok(t.logTail.includes('OK, checksum verified'));
    const vol = sim.state.volumes.find((v) => v.volid === 'local:iso/homelab-nixos-remote.iso');
    assert.equal(vol?.size, 3 * 2 ** 20);
  });

  it('refuses a server whose certificate is not the pinned one (nothing sent, secret not in the message)', async () => {
    const other = await makeCert();
    const before = sim.requestCount;
    await assert.rejects(uploadFromBuildHost({ session: ses, remoteIsoPath: remoteIso, url: sim.url, node: 'pve1', storage: 'local', filename: 'homelab-nixos-evil.iso', certPem: other.certPem, authorization: auth() }), (e: unknown) => {
      assert.ok(isNixError(e, 'remote'));
      assert.match((e as Error).message, /certificate|pinned/);
      assert.ok(!(e as Error).message.includes(sim.tokenSecret));
      return true;
    });
    assert.equal(sim.requestCount, before, 'no HTTP request reached the server');
  });

  it('tells a certificate not issued for the URL host from a wrong certificate (issue 12 item 8)', async () => {
    // "vm" resolves to 127.0.0.1 (/etc/hosts) but the simulator's certificate lists only 127.0.0.1 and localhost.
    const byName = sim.url.replace('127.0.0.1', 'vm');
    await assert.rejects(uploadFromBuildHost({ session: ses, remoteIsoPath: remoteIso, url: byName, node: 'pve1', storage: 'local', filename: 'homelab-nixos-name.iso', certPem: sim.certPem, authorization: auth() }), (e: unknown) => {
      assert.ok(isNixError(e, 'remote'));
      assert.match((e as Error).message, /pinned one, but it is not issued for "vm"/);
      return true;
    });
    const other = await makeCert();
    await assert.rejects(uploadFromBuildHost({ session: ses, remoteIsoPath: remoteIso, url: sim.url, node: 'pve1', storage: 'local', filename: 'homelab-nixos-evil.iso', certPem: other.certPem, authorization: auth() }), (e: unknown) => {
      assert.doesNotMatch((e as Error).message, /not issued for/);
      assert.match((e as Error).message, /different certificate than the pinned one|not the pinned one/);
      return true;
    });
  });

  it('storage without ISO content is Proxmox\'s error, passed on', async () => {
    await assert.rejects(uploadFromBuildHost({ session: ses, remoteIsoPath: remoteIso, url: sim.url, node: 'pve1', storage: 'local-lvm', filename: 'homelab-nixos-x.iso', certPem: sim.certPem, authorization: auth() }), /does not support 'iso' content/);
  });

  it('only with an API token', async () => {
    await assert.rejects(uploadFromBuildHost({ session: ses, remoteIsoPath: remoteIso, url: sim.url, node: 'pve1', storage: 'local', filename: 'a.iso', certPem: sim.certPem, authorization: 'Basic x' }), /needs an API token/);
  });
});
