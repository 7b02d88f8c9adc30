// Containers as first-class guests in the simulator: /nodes/{node}/lxc/..., PVE's refusals.
import { strict as assert } from 'node:assert';
import { startSimulator, type Guest, type Simulator } from '../../proxmox-sim/index';
import { call, get, pickGuest, startTask, waitTask } from './helpers';

describe('proxmox-sim: LXC containers', function () {
  this.timeout(30000);
  let sim: Simulator;
  let ct: Guest; // running
  let stopped: Guest;
  const path = (g: Guest, sub = '') => `/nodes/${g.node}/lxc/${g.vmid}${sub}`;

  before(async () => {
    sim = await startSimulator({ taskDurationMs: 60, authFailDelayMs: 0, guests: 12, lab: true });
    ct = pickGuest(sim, (g) => g.type === 'lxc' && g.status === 'running');
    stopped = pickGuest(sim, (g) => g.type === 'lxc' && g.status === 'stopped');
  });
  after(() => sim.close());

  it('lists containers as lxc in /cluster/resources and /nodes/{node}/lxc, not under /qemu', async () => {
    const res = await get(sim, '/cluster/resources?type=vm');
    const row = res.find((r: any) => r.vmid === ct.vmid);
    assert.equal(row.id, `lxc/${ct.vmid}`);
    assert.equal(row.type, 'lxc');
    assert.equal(row.name, ct.conf.hostname);
    assert.ok(row.maxdisk > 0);
    const list = await get(sim, `/nodes/${ct.node}/lxc`);
    assert.ok(list.some((x: any) => x.vmid === ct.vmid && x.type === 'lxc'));
    assert.ok(!(await get(sim, `/nodes/${ct.node}/qemu`)).some((x: any) => x.vmid === ct.vmid));
    const wrong = await call(sim, 'GET', `/nodes/${ct.node}/qemu/${ct.vmid}/config`);
    assert.equal(wrong.status, 500);
    assert.equal(wrong.reason, `Configuration file 'nodes/${ct.node}/qemu-server/${ct.vmid}.conf' does not exist`);
    const vm = pickGuest(sim, (g) => g.type === 'qemu');
    assert.equal((await call(sim, 'GET', `/nodes/${vm.node}/lxc/${vm.vmid}/status/current`)).reason, `Configuration file 'nodes/${vm.node}/lxc/${vm.vmid}.conf' does not exist`);
  });

  it('config GET carries a digest; PUT with a stale digest is refused, a fresh one applies', async () => {
    const conf = await get(sim, path(ct, '/config'));
    assert.match(conf.digest, /^[0-9a-f]{40}$/);
    assert.equal(conf.hostname, ct.conf.hostname);
    assert.equal((await call(sim, 'PUT', path(ct, '/config'), { form: { description: 'first', digest: conf.digest } })).status, 200);
    const stale = await call(sim, 'PUT', path(ct, '/config'), { form: { description: 'second', digest: conf.digest } });
    assert.equal(stale.status, 500);
    assert.equal(stale.reason, 'detected modified configuration - file changed by other user? Try again.');
    assert.equal(ct.conf.description, 'first');
    const bad = await call(sim, 'PUT', path(ct, '/config'), { form: { tags: 'ok;not ok!' } });
    assert.equal(bad.status, 400);
    assert.match(bad.json.errors.tags, /invalid tag/);
  });

  it('power: start/suspend/resume/reboot/shutdown as vz* tasks; refusals when not running or already running', async () => {
    assert.equal((await call(sim, 'POST', path(stopped, '/status/shutdown'))).reason, `CT ${stopped.vmid} not running`);
    assert.equal((await call(sim, 'POST', path(ct, '/status/start'))).reason, `CT ${ct.vmid} already running`);
    const up = await startTask(sim, 'POST', path(stopped, '/status/start'));
    assert.match(up, /:vzstart:/);
    assert.equal((await waitTask(sim, up)).exitstatus, 'OK');
    assert.equal((await get(sim, path(stopped, '/status/current'))).status, 'running');
    for (const k of ['suspend', 'resume', 'reboot', 'shutdown']) {
      const upid = await startTask(sim, 'POST', path(stopped, `/status/${k}`));
      assert.match(upid, new RegExp(`:vz${k}:`));
      assert.equal((await waitTask(sim, upid)).exitstatus, 'OK', k);
    }
    assert.equal((await get(sim, path(stopped, '/status/current'))).status, 'stopped');
  });

  it('migrate: a running container only in restart mode, never online', async () => {
    const target = [...sim.state.nodes.keys()].find((n) => n !== ct.node)!;
    const noRestart = await call(sim, 'POST', path(ct, '/migrate'), { form: { target } });
    assert.equal(noRestart.status, 500);
    assert.equal(noRestart.reason, 'running container can only be migrated in restart mode');
    assert.equal((await call(sim, 'POST', path(ct, '/migrate'), { form: { target, online: 1 } })).reason, 'lxc live migration is currently not implemented');
    const from = ct.node;
    const upid = await startTask(sim, 'POST', path(ct, '/migrate'), { target, restart: 1 });
    assert.match(upid, /:vzmigrate:/);
    const done = await waitTask(sim, upid);
    assert.equal(done.exitstatus, 'OK');
    assert.ok(done.log.some((l) => /shutdown CT/.test(l)) && done.log.some((l) => /start container on target/.test(l)));
    assert.equal(ct.node, target);
    assert.notEqual(ct.node, from);
    assert.equal(ct.status, 'running');
  });

  it('clone (full) and template: a running CT cannot become a template, a template cannot start', async () => {
    const newid = 250;
    const upid = await startTask(sim, 'POST', path(stopped, '/clone'), { newid, hostname: 'ct-copy', full: 1, storage: 'local-lvm' });
    assert.match(upid, /:vzclone:/);
    assert.equal((await waitTask(sim, upid)).exitstatus, 'OK');
    const copy = await get(sim, `/nodes/${stopped.node}/lxc/${newid}/config`);
    assert.equal(copy.hostname, 'ct-copy');
    assert.match(copy.rootfs, new RegExp(`^local-lvm:vm-${newid}-disk-0`));
    assert.notEqual(copy.net0, stopped.conf.net0, 'new MAC');
    const linked = await call(sim, 'POST', path(stopped, '/clone'), { form: { newid: 251, full: 0 } });
    assert.equal(linked.status, 500);
    assert.equal((await call(sim, 'POST', path(stopped, '/clone'), { form: { newid: ct.vmid } })).reason, `CT ${ct.vmid} already exists on node '${ct.node}'`);
    assert.equal((await call(sim, 'POST', path(ct, '/template'))).reason, "you can't convert a CT to template if the CT is running");
    assert.equal((await waitTask(sim, await startTask(sim, 'POST', `/nodes/${stopped.node}/lxc/${newid}/template`))).exitstatus, 'OK');
    assert.equal((await call(sim, 'POST', `/nodes/${stopped.node}/lxc/${newid}/status/start`)).reason, "you can't start a CT if it's a template");
  });

  it('without `lab` the generated cluster is unchanged: VMs only, no snapshots, backups or jobs', async () => {
    const plain = await startSimulator({ taskDurationMs: 60, authFailDelayMs: 0, guests: 12 });
    try {
      const guests = [...plain.state.guests.values()];
      assert.ok(guests.every((g) => g.type === 'qemu' && g.snapshots.size === 0));
      assert.equal(plain.state.volumes.filter((v) => v.content === 'backup').length, 0);
      assert.deepEqual(await get(plain, '/cluster/backup'), []);
      assert.deepEqual(await get(plain, '/cluster/options'), {});
    } finally {
      await plain.close();
    }
  });

  it('delete: refused while running, a vzdestroy task when stopped', async () => {
    assert.equal((await call(sim, 'DELETE', path(ct))).reason, `unable to destroy CT ${ct.vmid} - container is running`);
    const upid = await startTask(sim, 'DELETE', `/nodes/${stopped.node}/lxc/250`);
    assert.equal((await waitTask(sim, upid)).exitstatus, 'OK');
    assert.equal(sim.state.guests.has(250), false);
  });

  it('creates a container from a template (vzcreate) and checks the template volume', async () => {
    const missing = await call(sim, 'POST', '/nodes/pve1/lxc', { form: { vmid: 260, ostemplate: 'local:vztmpl/nope.tar.zst' } });
    assert.equal(missing.reason, "volume 'local:vztmpl/nope.tar.zst' does not exist");
    const upid = await startTask(sim, 'POST', '/nodes/pve1/lxc', { vmid: 260, ostemplate: 'local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst', hostname: 'fresh', rootfs: 'local-lvm:8', storage: 'local-lvm' });
    assert.equal((await waitTask(sim, upid)).exitstatus, 'OK');
    const conf = await get(sim, '/nodes/pve1/lxc/260/config');
    assert.equal(conf.hostname, 'fresh');
    assert.match(conf.rootfs, /^local-lvm:vm-260-disk-0,size=8G$/);
    const noRootdir = await call(sim, 'POST', '/nodes/pve1/lxc', { form: { vmid: 261, ostemplate: 'local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst', rootfs: 'local:8' } });
    assert.equal(noRootdir.reason, "storage 'local' does not support container directories");
  });
});
