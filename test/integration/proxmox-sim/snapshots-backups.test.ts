// Snapshots, backups, restore, backup jobs and cluster options in the simulator, with PVE's refusals.
import { strict as assert } from 'node:assert';
import { startSimulator, type Guest, type Simulator } from '../../proxmox-sim/index';
import { call, get, pickGuest, sleep, startTask, waitTask } from './helpers';

describe('proxmox-sim: snapshots', function () {
  this.timeout(30000);
  let sim: Simulator;
  let vm: Guest; // running, with the lab's snapshot tree
  let ct: Guest;
  const snap = (g: Guest, sub = '') => `/nodes/${g.node}/${g.type}/${g.vmid}/snapshot${sub}`;

  before(async () => {
    sim = await startSimulator({ taskDurationMs: 200, authFailDelayMs: 0, guests: 12, lab: true });
    vm = pickGuest(sim, (g) => g.type === 'qemu' && g.snapshots.size > 0);
    ct = pickGuest(sim, (g) => g.type === 'lxc' && g.status === 'running');
  });
  after(() => sim.close());

  it('lists snapshots with parents, times, vmstate and `current` (You are here!)', async () => {
    const list = await get(sim, snap(vm));
    const by = Object.fromEntries(list.map((s: any) => [s.name, s]));
    assert.deepEqual(Object.keys(by).sort(), ['before-upgrade', 'current', 'experiment', 'k8s-installed']);
    assert.equal(by['k8s-installed'].parent, 'before-upgrade');
    assert.equal(by['k8s-installed'].vmstate, 1);
    assert.equal(by.experiment.parent, 'before-upgrade');
    assert.equal(by['before-upgrade'].parent, undefined);
    assert.equal(by.current.parent, 'experiment');
    assert.equal(by.current.description, 'You are here!');
    assert.equal(by.current.running, 1);
    assert.ok(by.experiment.snaptime > by['before-upgrade'].snaptime);
    assert.equal((await get(sim, `/nodes/${vm.node}/qemu/${vm.vmid}/config`)).parent, 'experiment');
  });

  it('refuses names as PVE does: schema (400) for format and length, 500 for reserved names', async () => {
    for (const bad of ['1st', 'with space', 'a', 'x'.repeat(41)]) {
      const r = await call(sim, 'POST', snap(vm), { form: { snapname: bad } });
      assert.equal(r.status, 400, bad);
      assert.ok(r.json.errors.snapname, bad);
    }
    const cur = await call(sim, 'POST', snap(vm), { form: { snapname: 'current' } });
    assert.equal(cur.status, 500);
    assert.equal(cur.reason, "unable to use snapshot name 'current' (reserved name)");
    const dup = await waitTask(sim, await startTask(sim, 'POST', snap(vm), { snapname: 'experiment' }));
    assert.equal(dup.exitstatus, "snapshot name 'experiment' already used");
  });

  it('refuses vmstate for containers (no such parameter), takes container snapshots without it', async () => {
    const r = await call(sim, 'POST', snap(ct), { form: { snapname: 'with-ram', vmstate: 1 } });
    assert.equal(r.status, 400);
    assert.equal(r.json.errors.vmstate, 'property is not defined in schema and the schema does not allow additional properties');
    const upid = await startTask(sim, 'POST', snap(ct), { snapname: 'ct-snap', description: 'before' });
    assert.match(upid, /:vzsnapshot:/);
    assert.equal((await waitTask(sim, upid)).exitstatus, 'OK');
    const list = await get(sim, snap(ct));
    assert.equal(list.find((s: any) => s.name === 'ct-snap').parent, 'pre-update');
    assert.equal((await get(sim, `/nodes/${ct.node}/lxc/${ct.vmid}/config?snapshot=ct-snap`)).hostname, ct.conf.hostname);
    assert.equal((await call(sim, 'GET', `/nodes/${ct.node}/lxc/${ct.vmid}/config?snapshot=nope`)).reason, "snapshot 'nope' does not exist");
    assert.equal(list.find((s: any) => s.name === 'current').parent, 'ct-snap');
  });

  it('locks the guest (snapshot) while the task runs: config changes and backups are refused meanwhile', async () => {
    const upid = await startTask(sim, 'POST', snap(vm), { snapname: 'locked-one', vmstate: 1, description: 'ram' });
    await sleep(30);
    assert.equal((await get(sim, `/nodes/${vm.node}/qemu/${vm.vmid}/status/current`)).lock, 'snapshot');
    const put = await call(sim, 'PUT', `/nodes/${vm.node}/qemu/${vm.vmid}/config`, { form: { description: 'x' } });
    assert.equal(put.status, 500);
    assert.equal(put.reason, 'VM is locked (snapshot)');
    const backup = await waitTask(sim, await startTask(sim, 'POST', `/nodes/${vm.node}/vzdump`, { vmid: vm.vmid, storage: 'nfs' }));
    assert.equal(backup.exitstatus, 'job errors');
    assert.ok(backup.log.some((l) => l === `ERROR: Backup of VM ${vm.vmid} failed - VM is locked (snapshot)`), backup.log.join('\n'));
    assert.equal((await waitTask(sim, upid)).exitstatus, 'OK');
    const s = (await get(sim, snap(vm))).find((x: any) => x.name === 'locked-one');
    assert.equal(s.vmstate, 1);
    assert.equal(s.parent, 'experiment');
    assert.equal((await get(sim, `/nodes/${vm.node}/qemu/${vm.vmid}/status/current`)).lock, undefined);
  });

  it('vmstate of a stopped VM is not saved (as PVE ignores it)', async () => {
    const stopped = pickGuest(sim, (g) => g.type === 'qemu' && g.status === 'stopped' && !g.conf.template);
    assert.equal((await waitTask(sim, await startTask(sim, 'POST', snap(stopped), { snapname: 'cold', vmstate: 1 }))).exitstatus, 'OK');
    assert.equal((await get(sim, snap(stopped))).find((x: any) => x.name === 'cold').vmstate, undefined);
    const tpl = pickGuest(sim, (g) => !!g.conf.template);
    assert.equal((await waitTask(sim, await startTask(sim, 'POST', snap(tpl), { snapname: 'nope' }))).exitstatus, "you can't take a snapshot if it's a template");
  });

  it('rolls back only to an existing snapshot; rollback stops the guest, `start` starts it again', async () => {
    const missing = await waitTask(sim, await startTask(sim, 'POST', snap(ct, '/missing-one/rollback')));
    assert.equal(missing.exitstatus, "snapshot 'missing-one' does not exist");
    ct.conf.memory = 2048;
    const upid = await startTask(sim, 'POST', snap(ct, '/pre-update/rollback'));
    assert.match(upid, /:vzrollback:/);
    assert.equal((await waitTask(sim, upid)).exitstatus, 'OK');
    assert.equal(ct.status, 'stopped');
    assert.equal(ct.conf.memory, 512, 'config back to the snapshot');
    assert.equal(ct.conf.parent, 'pre-update');
    assert.equal((await waitTask(sim, await startTask(sim, 'POST', snap(ct, '/pre-update/rollback'), { start: 1 }))).exitstatus, 'OK');
    assert.equal(ct.status, 'running');
  });

  it('a rollback to a RAM snapshot leaves the VM running', async () => {
    assert.equal((await waitTask(sim, await startTask(sim, 'POST', snap(vm, '/k8s-installed/rollback')))).exitstatus, 'OK');
    assert.equal(vm.status, 'running');
    assert.equal(vm.conf.parent, 'k8s-installed');
  });

  it('deletes a snapshot and re-parents its children; a missing one fails in the task', async () => {
    assert.equal((await waitTask(sim, await startTask(sim, 'DELETE', snap(vm, '/nope')))).exitstatus, "snapshot 'nope' does not exist");
    const upid = await startTask(sim, 'DELETE', snap(vm, '/before-upgrade'));
    assert.match(upid, /:qmdelsnapshot:/);
    assert.equal((await waitTask(sim, upid)).exitstatus, 'OK');
    const list = await get(sim, snap(vm));
    assert.ok(!list.some((s: any) => s.name === 'before-upgrade'));
    assert.equal(list.find((s: any) => s.name === 'experiment').parent, undefined);
    assert.equal(list.find((s: any) => s.name === 'k8s-installed').parent, undefined);
  });

  it('reads and edits a snapshot description', async () => {
    assert.equal((await call(sim, 'PUT', snap(vm, '/experiment/config'), { form: { description: 'Cilium works' } })).status, 200);
    assert.equal((await get(sim, snap(vm, '/experiment/config'))).description, 'Cilium works');
    assert.equal((await call(sim, 'GET', snap(vm, '/nope/config'))).reason, "snapshot 'nope' does not exist");
  });
});

describe('proxmox-sim: backups, restore, jobs, options', function () {
  this.timeout(30000);
  let sim: Simulator;
  let vm: Guest;
  let ct: Guest;

  before(async () => {
    sim = await startSimulator({ taskDurationMs: 300, authFailDelayMs: 0, guests: 12, lab: true });
    vm = pickGuest(sim, (g) => g.type === 'qemu' && g.status === 'running' && !g.conf.template && g.snapshots.size === 0);
    ct = pickGuest(sim, (g) => g.type === 'lxc' && g.status === 'stopped');
  });
  after(() => sim.close());

  const backups = async (node: string, storage: string, vmid?: number) =>
    (await get(sim, `/nodes/${node}/storage/${storage}/content?content=backup${vmid ? `&vmid=${vmid}` : ''}`)) as any[];

  it('the lab has backups in storage content with size, ctime, notes, protected', async () => {
    const list = await backups('pve1', 'nfs');
    assert.ok(list.length >= 3);
    for (const b of list) {
      assert.equal(b.content, 'backup');
      assert.match(b.volid, /^nfs:backup\/vzdump-(qemu|lxc)-\d+-\d{4}_\d\d_\d\d-\d\d_\d\d_\d\d\.(vma|tar)\.zst$/);
      assert.ok(b.size > 0 && b.ctime > 0 && b.vmid >= 100);
    }
    assert.ok(list.some((b) => b.protected === 1 && b.notes));
  });

  it('refuses a storage without backup content inside the vzdump task', async () => {
    const done = await waitTask(sim, await startTask(sim, 'POST', `/nodes/${vm.node}/vzdump`, { vmid: vm.vmid, storage: 'local-lvm', mode: 'snapshot' }));
    assert.equal(done.exitstatus, "could not get storage information for 'local-lvm': can't use storage 'local-lvm' for backups - wrong content type");
    assert.equal((await call(sim, 'POST', `/nodes/${vm.node}/vzdump`, { form: { vmid: vm.vmid, storage: 'nope' } })).reason, "storage 'nope' does not exist");
    const badMode = await call(sim, 'POST', `/nodes/${vm.node}/vzdump`, { form: { vmid: vm.vmid, storage: 'nfs', mode: 'live' } });
    assert.equal(badMode.status, 400);
  });

  it('backs up with lock `backup` held during the task; the volume appears with expanded notes', async () => {
    const upid = await startTask(sim, 'POST', `/nodes/${vm.node}/vzdump`, { vmid: vm.vmid, storage: 'nfs', mode: 'snapshot', compress: 'zstd', 'notes-template': '{{guestname}} on {{node}}\\nvmid {{vmid}}' });
    assert.match(upid, new RegExp(`:vzdump:${vm.vmid}:`));
    await sleep(60);
    assert.equal((await get(sim, `/nodes/${vm.node}/qemu/${vm.vmid}/status/current`)).lock, 'backup');
    const res = (await get(sim, '/cluster/resources?type=vm')).find((r: any) => r.vmid === vm.vmid);
    assert.equal(res.lock, 'backup');
    assert.equal((await call(sim, 'PUT', `/nodes/${vm.node}/qemu/${vm.vmid}/config`, { form: { tags: 'x' } })).reason, 'VM is locked (backup)');
    const snapTask = await waitTask(sim, await startTask(sim, 'POST', `/nodes/${vm.node}/qemu/${vm.vmid}/snapshot`, { snapname: 'during-backup' }));
    assert.equal(snapTask.exitstatus, 'VM is locked (backup)');
    const done = await waitTask(sim, upid);
    assert.equal(done.exitstatus, 'OK');
    assert.ok(done.log.some((l) => /creating vzdump archive '\/mnt\/pve\/nfs\/dump\/vzdump-qemu-/.test(l)));
    const mine = await backups(vm.node, 'nfs', vm.vmid);
    assert.equal(mine.length, 1);
    assert.equal(mine[0].notes, `${vm.conf.name} on ${vm.node}\nvmid ${vm.vmid}`);
    assert.equal(mine[0].format, 'vma.zst');
    assert.equal(mine[0].subtype, 'qemu');
    assert.equal(vm.conf.lock, undefined);
    assert.equal(vm.status, 'running');
  });

  it('stop mode stops and restarts a running guest; a container backup is a tar', async () => {
    const running = pickGuest(sim, (g) => g.type === 'lxc' && g.status === 'running');
    const done = await waitTask(sim, await startTask(sim, 'POST', `/nodes/${running.node}/vzdump`, { vmid: running.vmid, storage: 'local', mode: 'stop', compress: 'gzip' }));
    assert.equal(done.exitstatus, 'OK');
    assert.ok(done.log.some((l) => /stopping container/.test(l)) && done.log.some((l) => /restarting container/.test(l)));
    assert.equal(running.status, 'running');
    const list = await backups(running.node, 'local', running.vmid);
    assert.match(list[0].volid, /^local:backup\/vzdump-lxc-\d+-.*\.tar\.gz$/);
    assert.equal((await backups([...sim.state.nodes.keys()].find((n) => n !== running.node)!, 'local', running.vmid)).length, 0, 'local storage is per node');
  });

  it('protects a backup (GET/PUT on the volume); a protected backup cannot be deleted', async () => {
    const b = (await backups(vm.node, 'nfs', vm.vmid))[0];
    const vpath = `/nodes/${vm.node}/storage/nfs/content/${encodeURIComponent(b.volid)}`;
    assert.equal((await call(sim, 'PUT', vpath, { form: { protected: 1, notes: 'keep me' } })).status, 200);
    const attrs = await get(sim, vpath);
    assert.equal(attrs.protected, 1);
    assert.equal(attrs.notes, 'keep me');
    assert.equal(attrs.path, `/mnt/pve/nfs/dump/${b.volid.split('/')[1]}`);
    const del = await waitTask(sim, await startTask(sim, 'DELETE', vpath));
    assert.equal(del.exitstatus, `cannot remove protected archive '${attrs.path}'`);
    assert.equal((await backups(vm.node, 'nfs', vm.vmid)).length, 1);
    const iso = await call(sim, 'PUT', `/nodes/${vm.node}/storage/local/content/${encodeURIComponent('local:iso/debian-12.7.0-amd64-netinst.iso')}`, { form: { protected: 1 } });
    assert.equal(iso.reason, 'protection status can only be set for backups');
    await call(sim, 'PUT', vpath, { form: { protected: 0 } });
    assert.equal((await waitTask(sim, await startTask(sim, 'DELETE', vpath))).exitstatus, 'OK');
    assert.equal((await backups(vm.node, 'nfs', vm.vmid)).length, 0);
  });

  it('restore: an existing ID needs force, a running guest is refused, a new ID works', async () => {
    const up = await startTask(sim, 'POST', `/nodes/${vm.node}/vzdump`, { vmid: vm.vmid, storage: 'nfs' });
    assert.equal((await waitTask(sim, up)).exitstatus, 'OK');
    const b = (await backups(vm.node, 'nfs', vm.vmid))[0];
    const exists = await call(sim, 'POST', `/nodes/${vm.node}/qemu`, { form: { vmid: vm.vmid, archive: b.volid } });
    assert.equal(exists.status, 500);
    assert.equal(exists.reason, `unable to restore VM ${vm.vmid} - VM ${vm.vmid} already exists on node '${vm.node}'`);
    const running = await call(sim, 'POST', `/nodes/${vm.node}/qemu`, { form: { vmid: vm.vmid, archive: b.volid, force: 1 } });
    assert.equal(running.reason, `unable to restore VM ${vm.vmid} - vm is running`);
    const other = [...sim.state.nodes.keys()].find((n) => n !== vm.node)!;
    assert.equal((await call(sim, 'POST', `/nodes/${other}/qemu`, { form: { vmid: 777, archive: 'nfs:backup/vzdump-qemu-1-nope.vma.zst' } })).reason, "volume 'nfs:backup/vzdump-qemu-1-nope.vma.zst' does not exist");
    const upid = await startTask(sim, 'POST', `/nodes/${other}/qemu`, { vmid: 777, archive: b.volid, unique: 1, storage: 'local-lvm' });
    assert.match(upid, /:qmrestore:777:/);
    await sleep(30);
    assert.equal(sim.state.guests.get(777)?.conf.lock, 'create');
    assert.equal((await waitTask(sim, upid)).exitstatus, 'OK');
    const conf = await get(sim, `/nodes/${other}/qemu/777/config`);
    assert.equal(conf.name, vm.conf.name);
    assert.match(conf.scsi0, /^local-lvm:vm-777-disk-0/);
    assert.notEqual(conf.net0, vm.conf.net0, 'unique: new MAC');
    assert.equal(conf.lock, undefined);
  });

  it('restore over a stopped guest with force replaces its config; containers use ostemplate+restore', async () => {
    const b = (await backups(ct.node, 'local', ct.vmid))[0];
    assert.ok(b, 'the lab has a local backup of the stopped container');
    const noForce = await call(sim, 'POST', `/nodes/${ct.node}/lxc`, { form: { vmid: ct.vmid, ostemplate: b.volid, restore: 1 } });
    assert.equal(noForce.reason, `unable to restore CT ${ct.vmid} - CT ${ct.vmid} already exists on node '${ct.node}'`);
    ct.conf.memory = 4096;
    const upid = await startTask(sim, 'POST', `/nodes/${ct.node}/lxc`, { vmid: ct.vmid, ostemplate: b.volid, restore: 1, force: 1 });
    assert.match(upid, /:vzrestore:/);
    assert.equal((await waitTask(sim, upid)).exitstatus, 'OK');
    assert.equal(ct.conf.memory, 512);
    const wrongType = await call(sim, 'POST', `/nodes/${ct.node}/qemu`, { form: { vmid: 778, archive: b.volid } });
    assert.match(wrongType.reason, /is a container backup, not a VM backup/);
    const running = pickGuest(sim, (g) => g.type === 'lxc' && g.status === 'running');
    const rb = (await backups(running.node, 'nfs', running.vmid))[0] ?? (await backups(running.node, 'local', running.vmid))[0];
    const over = await call(sim, 'POST', `/nodes/${running.node}/lxc`, { form: { vmid: running.vmid, ostemplate: rb.volid, restore: 1, force: 1 } });
    assert.equal(over.reason, "can't overwrite running container");
  });

  it('lists the scheduled backup jobs with their next run; one job by id; guests not backed up', async () => {
    const jobs = await get(sim, '/cluster/backup');
    assert.equal(jobs.length, 3);
    const now = Date.now() / 1000;
    const weekly = jobs.find((j: any) => j.schedule === 'sun 01:00');
    assert.ok(weekly['next-run'] > now && weekly['next-run'] <= now + 7 * 86400);
    assert.equal(new Date(weekly['next-run'] * 1000).getUTCDay(), 0);
    assert.equal(new Date(weekly['next-run'] * 1000).getUTCHours(), 1);
    const daily = jobs.find((j: any) => j.schedule === '02:30');
    assert.ok(daily['next-run'] > now && daily['next-run'] <= now + 86400);
    assert.equal(jobs.find((j: any) => j.enabled === 0)['next-run'], undefined);
    const one = await get(sim, `/cluster/backup/${weekly.id}`);
    assert.equal(one.storage, 'nfs');
    assert.equal((await call(sim, 'GET', '/cluster/backup/nope')).reason, "job 'nope' does not exist");
    assert.ok(Array.isArray(await get(sim, '/cluster/backup-info/not-backed-up')));
  });

  it('answers /cluster/options with the tag style', async () => {
    const o = await get(sim, '/cluster/options');
    assert.match(o['tag-style'], /color-map=prod:c62828:ffffff;/);
    assert.equal((await call(sim, 'GET', '/cluster/backup', { cred: 'none' })).status, 401);
  });
});
