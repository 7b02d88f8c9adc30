import assert from 'node:assert/strict';
import { startSimulator, type Simulator } from '../../proxmox-sim/index';
import { call, pickGuest } from './helpers';

describe('proxmox-sim: parameter verification against the PVE schema', () => {
  let sim: Simulator;
  let vmid: number;
  before(async () => {
    sim = await startSimulator({ guests: 10, seed: 5, taskDurationMs: 50, authFailDelayMs: 0 });
    vmid = pickGuest(sim, (g) => g.node === 'pve1' && !g.conf.template).vmid;
  });
  after(() => sim.close());

  async function errs(method: string, path: string, form: Record<string, string | number>) {
    const r = await call(sim, method, path, { form });
    assert.equal(r.status, 400, `${r.status} ${r.reason}`);
    assert.equal(r.reason, 'Parameter verification failed.');
    assert.equal(r.json.data, null);
    assert.equal(r.json.message, 'Parameter verification failed.\n');
    return r.json.errors as Record<string, string>;
  }

  it('reports a missing required property', async () => {
    const e = await errs('POST', `/nodes/pve1/qemu/${vmid}/clone`, {});
    assert.deepEqual(e, { newid: 'property is missing and it is not optional' });
  });

  it('reports an unknown property', async () => {
    const e = await errs('POST', `/nodes/pve1/qemu/${vmid}/status/start`, { bogus: 1 });
    assert.deepEqual(e, { bogus: 'property is not defined in schema and the schema does not allow additional properties' });
  });

  it('checks unknown query parameters on GET too', async () => {
    const r = await call(sim, 'GET', '/cluster/resources?type=vm&foo=1');
    assert.equal(r.status, 400);
    assert.match(r.json.errors.foo, /not defined in schema/);
  });

  it('reports integer type, range and enum errors like the real server', async () => {
    const e = await errs('POST', `/nodes/pve1/qemu/${vmid}/clone`, { newid: 'abc', full: 'maybe', format: 'vdi' });
    assert.equal(e.newid, "type check ('integer') failed - got 'abc'");
    assert.equal(e.full, "type check ('boolean') failed - got 'maybe'");
    assert.equal(e.format, "value 'vdi' does not have a value in the enumeration 'raw, qcow2, vmdk'");
    const e2 = await errs('POST', `/nodes/pve1/qemu/${vmid}/clone`, { newid: 99 });
    assert.equal(e2.newid, 'value must have a minimum value of 100');
    const e3 = await errs('GET', '/cluster/resources?type=lxc', {});
    assert.match(e3.type, /does not have a value in the enumeration 'vm, storage, node, sdn'/);
  });

  it('maps numbered keys (net0, scsi0, ide2, ipconfig0) and refuses out-of-range indexes', async () => {
    const ok = await call(sim, 'PUT', `/nodes/pve1/qemu/${vmid}/config`, {
      form: { net1: 'virtio,bridge=vmbr1', ipconfig1: 'ip=10.0.0.10/24,gw=10.0.0.1', scsi1: 'local-lvm:4', ide3: 'none,media=cdrom' },
    });
    assert.equal(ok.status, 200, ok.reason + ok.text);
    const e = await errs('PUT', `/nodes/pve1/qemu/${vmid}/config`, { net32: 'virtio,bridge=vmbr0', ide4: 'none,media=cdrom' });
    assert.match(e.net32, /not defined in schema/);
    assert.match(e.ide4, /not defined in schema/);
  });

  it('checks property strings (net model enum, unknown sub-keys) and formats', async () => {
    const e = await errs('PUT', `/nodes/pve1/qemu/${vmid}/config`, {
      net0: 'virtio,bridge=vmbr0,colour=red',
      ipconfig0: 'ip=10.0.0.300/24',
      name: 'bad_name!',
      sshkeys: 'ssh-ed25519 AAAA user@host',
      tags: 'ok;b@d',
    });
    assert.match(e.net0, /^invalid format - format error\ncolour: property is not defined in schema/);
    assert.match(e.ipconfig0, /^invalid format - format error\nip: /);
    assert.equal(e.name, 'invalid format - value does not look like a valid DNS name');
    assert.match(e.sshkeys, /^invalid format - invalid urlencoded string/);
    assert.match(e.tags, /invalid tag 'b@d'/);
    const bad = await errs('PUT', `/nodes/pve1/qemu/${vmid}/config`, { net0: 'rtl9999,bridge=vmbr0' });
    assert.match(bad.net0, /model: value 'rtl9999' does not have a value in the enumeration/);
  });

  it('accepts sshkeys percent-encoded with %20', async () => {
    const keys = encodeURIComponent('ssh-ed25519 AAAAC3Nza user@host');
    const r = await call(sim, 'PUT', `/nodes/pve1/qemu/${vmid}/config`, { form: { sshkeys: keys } });
    assert.equal(r.status, 200, r.reason);
  });

  it('validates path parameters (vmid must be an integer)', async () => {
    const e = await errs('GET', '/nodes/pve1/qemu/abc/status/current', {});
    assert.equal(e.vmid, "type check ('integer') failed - got 'abc'");
  });
});
