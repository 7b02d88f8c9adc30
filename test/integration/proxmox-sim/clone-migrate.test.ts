import assert from 'node:assert/strict';
import { startSimulator, type Simulator } from '../../proxmox-sim/index';
import { call, get, pickGuest, sleep, startTask, waitTask } from './helpers';

describe('proxmox-sim: clone', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ nodes: 3, guests: 20, seed: 19, taskDurationMs: 800, authFailDelayMs: 0, lockTimeoutMs: 200 });
  });
  after(() => sim.close());

  const tplOn = (storage: string) => pickGuest(sim, (g) => !!g.conf.template && String(g.conf.scsi0).startsWith(`${storage}:`));

  it('writes the new config first with lock: clone, refuses changes while cloning, then unlocks', async () => {
    const tpl = tplOn('local-lvm');
    const upid = await startTask(sim, 'POST', `/nodes/${tpl.node}/qemu/${tpl.vmid}/clone`, { newid: 500, name: 'c-500' });
    assert.match(upid, new RegExp(`:qmclone:${tpl.vmid}:`), 'qmclone id is the SOURCE vmid');
    const conf = await get(sim, `/nodes/${tpl.node}/qemu/500/config`);
    assert.equal(conf.lock, 'clone');
    assert.equal(conf.name, 'c-500');
    const res = await get(sim, '/cluster/resources?type=vm');
    assert.equal(res.find((r: any) => r.vmid === 500).lock, 'clone');
    const put = await call(sim, 'PUT', `/nodes/${tpl.node}/qemu/500/config`, { form: { memory: 1024 } });
    assert.equal(put.status, 500);
    assert.equal(put.reason, 'VM is locked (clone)');
    const start = await waitTask(sim, await startTask(sim, 'POST', `/nodes/${tpl.node}/qemu/500/status/start`));
    assert.equal(start.exitstatus, 'VM is locked (clone)');
    const done = await waitTask(sim, upid);
    assert.equal(done.exitstatus, 'OK');
    const after = await get(sim, `/nodes/${tpl.node}/qemu/500/config`);
    assert.equal(after.lock, undefined);
    assert.equal(after.template, undefined);
    assert.match(after.scsi0, new RegExp(`^local-lvm:base-${tpl.vmid}-disk-0/vm-500-disk-0`), 'linked clone by default');
    assert.notEqual(after.net0, tpl.conf.net0, 'new MAC');
  });

  it('makes parallel clones of one template contend: the second fails with got timeout', async () => {
    const tpl = tplOn('local-lvm');
    const base = `/nodes/${tpl.node}/qemu/${tpl.vmid}/clone`;
    const [a, b] = await Promise.all([call(sim, 'POST', base, { form: { newid: 510 } }), call(sim, 'POST', base, { form: { newid: 511 } })]);
    const statuses = [a.status, b.status].sort();
    assert.deepEqual(statuses, [200, 500]);
    const failed = a.status === 500 ? a : b;
    assert.equal(failed.reason, `can't lock file '/var/lock/qemu-server/lock-${tpl.vmid}.conf' - got timeout`);
    assert.ok(failed.ms >= 180, `waited ${failed.ms} ms`);
    const ok = a.status === 200 ? a : b;
    assert.equal((await waitTask(sim, ok.json.data)).exitstatus, 'OK');
    // After the first finished, the retry succeeds.
    const retry = await startTask(sim, 'POST', base, { newid: failed === a ? 510 : 511 });
    assert.equal((await waitTask(sim, retry)).exitstatus, 'OK');
  });

  it('refuses (inside the task) to destroy a template that linked clones still use', async () => {
    const tpl = tplOn('local-lvm');
    assert.ok([...sim.state.guests.values()].some((g) => String(g.conf.scsi0).includes(`base-${tpl.vmid}-disk-0/`)), 'a linked clone exists');
    const done = await waitTask(sim, await startTask(sim, 'DELETE', `/nodes/${tpl.node}/qemu/${tpl.vmid}`));
    assert.match(done.exitstatus!, /^base volume '.*base-\d+-disk-0' is still in use by linked cloned/);
    assert.ok(sim.state.guests.has(tpl.vmid));
  });

  it('refuses a clone to another node when the VM uses local storage', async () => {
    const tpl = tplOn('local-lvm');
    const other = ['pve1', 'pve2', 'pve3'].find((n) => n !== tpl.node)!;
    const r = await call(sim, 'POST', `/nodes/${tpl.node}/qemu/${tpl.vmid}/clone`, { form: { newid: 520, target: other } });
    assert.equal(r.status, 500);
    assert.equal(r.reason, `can't clone VM to node '${other}' (VM uses local storage)`);
    assert.equal(sim.state.guests.has(520), false);
  });

  it('clones a template on shared storage to another node (full, pool, description)', async () => {
    const tpl = tplOn('nfs');
    const other = ['pve1', 'pve2', 'pve3'].find((n) => n !== tpl.node)!;
    const upid = await startTask(sim, 'POST', `/nodes/${tpl.node}/qemu/${tpl.vmid}/clone`, {
      newid: 521, name: 'far', target: other, full: 1, storage: 'nfs', pool: 'lab', description: 'made by test',
    });
    const done = await waitTask(sim, upid);
    assert.equal(done.exitstatus, 'OK');
    assert.ok(done.log.some((l) => l.startsWith('create full clone of drive scsi0')));
    const conf = await get(sim, `/nodes/${other}/qemu/521/config`);
    assert.equal(conf.description, 'made by test');
    assert.match(conf.scsi0, /^nfs:vm-521-disk-0/);
    const res = (await get(sim, '/cluster/resources?type=vm')).find((r: any) => r.vmid === 521);
    assert.equal(res.node, other);
    assert.equal(res.pool, 'lab');
  });

  it('refuses storage for linked clones, unknown pools and an existing newid', async () => {
    const tpl = tplOn('nfs');
    const base = `/nodes/${tpl.node}/qemu/${tpl.vmid}/clone`;
    assert.equal((await call(sim, 'POST', base, { form: { newid: 530, storage: 'nfs' } })).reason, "parameter 'storage' not allowed for linked clones");
    assert.equal((await call(sim, 'POST', base, { form: { newid: 530, pool: 'nope' } })).reason, "pool 'nope' does not exist");
    const existing = pickGuest(sim, (g) => !g.conf.template);
    assert.match((await call(sim, 'POST', base, { form: { newid: existing.vmid } })).reason, /already exists/);
  });

  it('removes the half-made clone when the clone task is stopped', async () => {
    const vm = pickGuest(sim, (g) => !g.conf.template && !g.conf.lock && g.status === 'stopped');
    const upid = await startTask(sim, 'POST', `/nodes/${vm.node}/qemu/${vm.vmid}/clone`, { newid: 540 });
    assert.equal(sim.state.guests.get(540)!.conf.lock, 'clone');
    await sleep(50);
    await call(sim, 'DELETE', `/nodes/${vm.node}/tasks/${encodeURIComponent(upid)}`);
    assert.equal((await waitTask(sim, upid)).exitstatus, 'received interrupt');
    assert.equal(sim.state.guests.has(540), false);
  });
});

describe('proxmox-sim: migrate', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ nodes: 3, guests: 30, seed: 23, taskDurationMs: 100, authFailDelayMs: 0 });
  });
  after(() => sim.close());

  const localRunning = () => pickGuest(sim, (g) => g.status === 'running' && String(g.conf.scsi0).startsWith('local-lvm:') && !g.conf.lock);
  const other = (n: string) => ['pve1', 'pve2', 'pve3'].find((x) => x !== n)!;

  it('reports preconditions: running, allowed/not allowed nodes, local disks', async () => {
    const g = localRunning();
    const pre = await get(sim, `/nodes/${g.node}/qemu/${g.vmid}/migrate?target=${other(g.node)}`);
    assert.equal(pre.running, 1);
    assert.deepEqual(pre.allowed_nodes.sort(), ['pve1', 'pve2', 'pve3'].filter((n) => n !== g.node));
    assert.deepEqual(pre.not_allowed_nodes, {});
    assert.ok(pre.local_disks.some((d: any) => d.volid === String(g.conf.scsi0).split(',')[0] && d.cdrom === 0 && d.size > 0));
    assert.ok(Array.isArray(pre.local_resources));
    const off = other(g.node);
    sim.setNodeOnline(off, false);
    try {
      const pre2 = await get(sim, `/nodes/${g.node}/qemu/${g.vmid}/migrate`);
      assert.ok(!pre2.allowed_nodes.includes(off));
      assert.ok(off in pre2.not_allowed_nodes);
    } finally {
      sim.setNodeOnline(off, true);
    }
  });

  it('fails inside the task for a running VM without online', async () => {
    const g = localRunning();
    const done = await waitTask(sim, await startTask(sim, 'POST', `/nodes/${g.node}/qemu/${g.vmid}/migrate`, { target: other(g.node) }));
    assert.equal(done.exitstatus, "can't migrate running VM without --online");
  });

  it('fails a live migration with local disks without with-local-disks; succeeds with it', async () => {
    const g = localRunning();
    const from = g.node;
    const target = other(from);
    const t1 = await waitTask(sim, await startTask(sim, 'POST', `/nodes/${from}/qemu/${g.vmid}/migrate`, { target, online: 1 }));
    assert.match(t1.exitstatus!, /local disk/);
    assert.equal(sim.state.guests.get(g.vmid)!.node, from);
    const upid = await startTask(sim, 'POST', `/nodes/${from}/qemu/${g.vmid}/migrate`, { target, online: 1, 'with-local-disks': 1 });
    assert.match(upid, /:qmigrate:/);
    await sleep(20);
    assert.equal(sim.state.guests.get(g.vmid)!.conf.lock, 'migrate');
    const r = await call(sim, 'POST', `/nodes/${from}/qemu/${g.vmid}/migrate`, { form: { target, online: 1 } });
    assert.equal(r.reason, 'VM is locked (migrate)');
    assert.equal((await waitTask(sim, upid)).exitstatus, 'OK');
    assert.equal(sim.state.guests.get(g.vmid)!.node, target);
    assert.equal(sim.state.guests.get(g.vmid)!.status, 'running');
    assert.equal((await call(sim, 'GET', `/nodes/${target}/qemu/${g.vmid}/status/current`)).status, 200);
    assert.equal((await call(sim, 'GET', `/nodes/${from}/qemu/${g.vmid}/status/current`)).status, 500);
  });

  it('migrates a stopped VM offline; refuses the local node as target', async () => {
    const g = pickGuest(sim, (x) => x.status === 'stopped' && !x.conf.template && !x.conf.lock);
    const bad = await call(sim, 'POST', `/nodes/${g.node}/qemu/${g.vmid}/migrate`, { form: { target: g.node } });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json.errors, { target: 'target is local node.' });
    const t = other(g.node);
    assert.equal((await waitTask(sim, await startTask(sim, 'POST', `/nodes/${g.node}/qemu/${g.vmid}/migrate`, { target: t }))).exitstatus, 'OK');
    assert.equal(sim.state.guests.get(g.vmid)!.node, t);
  });
});
