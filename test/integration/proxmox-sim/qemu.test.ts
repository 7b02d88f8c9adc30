import assert from 'node:assert/strict';
import { startSimulator, type Simulator } from '../../proxmox-sim/index';
import { call, get, pickGuest, sleep, startTask, waitTask } from './helpers';

describe('proxmox-sim: qemu lifecycle rules', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ guests: 15, seed: 17, taskDurationMs: 150, authFailDelayMs: 0, agentBootDelayMs: 400 });
  });
  after(() => sim.close());

  it('creates a VM: qmcreate task, allocated disk, generated MAC, cdrom ISO', async () => {
    const upid = await startTask(sim, 'POST', '/nodes/pve1/qemu', {
      vmid: 300, name: 'web-1', memory: 2048, cores: 2, sockets: 1, agent: 1, scsihw: 'virtio-scsi-single',
      scsi0: 'local-lvm:20,iothread=1', net0: 'virtio,bridge=vmbr0', ide2: 'local:iso/debian-12.7.0-amd64-netinst.iso,media=cdrom',
      boot: 'order=scsi0;ide2', tags: 'web;prod',
    });
    assert.match(upid, /:qmcreate:300:/);
    assert.equal(sim.state.guests.get(300)!.conf.lock, 'create', 'vmid taken at once with lock create');
    assert.equal((await waitTask(sim, upid)).exitstatus, 'OK');
    const conf = await get(sim, '/nodes/pve1/qemu/300/config');
    assert.equal(conf.scsi0, 'local-lvm:vm-300-disk-0,iothread=1,size=20G');
    assert.match(conf.net0, /^virtio=([0-9A-F]{2}:){5}[0-9A-F]{2},bridge=vmbr0$/);
    assert.equal(conf.lock, undefined);
    assert.equal(conf.memory, '2048');
    assert.equal(conf.cores, 2);
    const r = await call(sim, 'POST', '/nodes/pve2/qemu', { form: { vmid: 300, name: 'dup' } });
    assert.equal(r.status, 500);
    assert.equal(r.reason, "VM 300 already exists on node 'pve1'");
  });

  it('fails the create task for a missing ISO and removes the config', async () => {
    const upid = await startTask(sim, 'POST', '/nodes/pve1/qemu', { vmid: 301, ide2: 'local:iso/nope.iso,media=cdrom' });
    const done = await waitTask(sim, upid);
    assert.equal(done.exitstatus, "volume 'local:iso/nope.iso' does not exist");
    assert.equal(sim.state.guests.has(301), false);
  });

  it('starts with start=1 and reports status/current', async () => {
    const upid = await startTask(sim, 'POST', '/nodes/pve2/qemu', { vmid: 302, name: 'auto', start: 1, agent: 'enabled=1', scsi0: 'nfs:8' });
    assert.equal((await waitTask(sim, upid)).exitstatus, 'OK');
    const st = await get(sim, '/nodes/pve2/qemu/302/status/current');
    assert.equal(st.status, 'running');
    assert.equal(st.qmpstatus, 'running');
    assert.equal(st.agent, 1);
    assert.equal(typeof st.uptime, 'number');
  });

  it('answers agent network-get-interfaces with 500 until the agent has booted, then an IP', async () => {
    const g = pickGuest(sim, (x) => x.status === 'stopped' && !x.conf.template && x.node === 'pve1');
    const path = `/nodes/pve1/qemu/${g.vmid}/agent/network-get-interfaces`;
    const stopped = await call(sim, 'GET', path);
    assert.equal(stopped.reason, `VM ${g.vmid} is not running`);
    await waitTask(sim, await startTask(sim, 'POST', `/nodes/pve1/qemu/${g.vmid}/status/start`));
    const early = await call(sim, 'GET', path);
    assert.equal(early.status, 500);
    assert.equal(early.reason, 'QEMU guest agent is not running');
    await sleep(450);
    const ok = await get(sim, path);
    const eth = ok.result.find((i: any) => i.name !== 'lo');
    const v4 = eth['ip-addresses'].find((a: any) => a['ip-address-type'] === 'ipv4');
    assert.match(v4['ip-address'], /^\d+\.\d+\.\d+\.\d+$/);
    assert.equal(typeof v4.prefix, 'number');
    await call(sim, 'PUT', `/nodes/pve1/qemu/${g.vmid}/config`, { form: { delete: 'agent' } });
    assert.equal((await call(sim, 'GET', path)).reason, 'No QEMU guest agent configured');
  });

  it('refuses template synchronously when running or already a template', async () => {
    const run = pickGuest(sim, (x) => x.status === 'running' && !x.conf.template);
    const r = await call(sim, 'POST', `/nodes/${run.node}/qemu/${run.vmid}/template`);
    assert.equal(r.status, 500);
    assert.equal(r.reason, "you can't convert a VM to template if VM is running");
    const tpl = pickGuest(sim, (x) => !!x.conf.template);
    const r2 = await call(sim, 'POST', `/nodes/${tpl.node}/qemu/${tpl.vmid}/template`);
    assert.equal(r2.reason, "you can't convert a template to a template");
  });

  it('converts a stopped VM to a template (base- disks, template=1)', async () => {
    const g = pickGuest(sim, (x) => x.status === 'stopped' && !x.conf.template && !x.conf.lock && String(x.conf.scsi0).includes(':vm-'));
    const base = `/nodes/${g.node}/qemu/${g.vmid}`;
    const upid = await startTask(sim, 'POST', `${base}/template`);
    assert.match(upid, /:qmtemplate:/);
    assert.equal((await waitTask(sim, upid)).exitstatus, 'OK');
    const conf = await get(sim, `${base}/config`);
    assert.equal(conf.template, 1);
    assert.match(conf.scsi0, new RegExp(`:base-${g.vmid}-disk-0`));
    const start = await waitTask(sim, await startTask(sim, 'POST', `${base}/status/start`));
    assert.equal(start.exitstatus, "you can't start a vm if it's a template");
  });

  it('refuses to delete a running VM; deletes a stopped one with purge', async () => {
    const run = pickGuest(sim, (x) => x.status === 'running' && !x.conf.lock);
    const r = await call(sim, 'DELETE', `/nodes/${run.node}/qemu/${run.vmid}`);
    assert.equal(r.status, 500);
    assert.equal(r.reason, `VM ${run.vmid} is running - destroy failed`);
    const g = pickGuest(sim, (x) => x.status === 'stopped' && !x.conf.template && !x.conf.lock);
    const upid = await startTask(sim, 'DELETE', `/nodes/${g.node}/qemu/${g.vmid}?purge=1&destroy-unreferenced-disks=1`);
    assert.match(upid, /:qmdestroy:/);
    const done = await waitTask(sim, upid);
    assert.equal(done.exitstatus, 'OK');
    assert.ok(done.log.some((l) => l.includes('purging')));
    assert.equal(sim.state.guests.has(g.vmid), false);
    assert.equal((await call(sim, 'GET', `/nodes/${g.node}/qemu/${g.vmid}/config`)).status, 500);
  });

  it('times out a shutdown the guest ignores; forceStop stops it; stop of a stopped VM is OK', async () => {
    const g = pickGuest(sim, (x) => x.status === 'running' && !x.conf.lock);
    g.ignoreShutdown = true;
    const base = `/nodes/${g.node}/qemu/${g.vmid}/status`;
    const t1 = await waitTask(sim, await startTask(sim, 'POST', `${base}/shutdown`, { timeout: 1 }));
    assert.equal(t1.exitstatus, 'VM quit/powerdown failed - got timeout');
    assert.equal(sim.state.guests.get(g.vmid)!.status, 'running');
    const t2 = await waitTask(sim, await startTask(sim, 'POST', `${base}/shutdown`, { timeout: 1, forceStop: 1 }));
    assert.equal(t2.exitstatus, 'OK');
    assert.equal(sim.state.guests.get(g.vmid)!.status, 'stopped');
    const t3 = await waitTask(sim, await startTask(sim, 'POST', `${base}/stop`));
    assert.equal(t3.exitstatus, 'OK');
  });

  it('shuts down a cooperative guest; reboot of a stopped VM is refused', async () => {
    const g = pickGuest(sim, (x) => x.status === 'running' && !x.conf.lock && !x.ignoreShutdown);
    const base = `/nodes/${g.node}/qemu/${g.vmid}/status`;
    assert.equal((await waitTask(sim, await startTask(sim, 'POST', `${base}/shutdown`))).exitstatus, 'OK');
    assert.equal(sim.state.guests.get(g.vmid)!.status, 'stopped');
    const r = await call(sim, 'POST', `${base}/reboot`);
    assert.equal(r.status, 500);
    assert.equal(r.reason, `VM ${g.vmid} not running`);
  });

  it('applies PUT config synchronously (null) and POST config in a qmconfig task', async () => {
    const g = pickGuest(sim, (x) => !x.conf.template && !x.conf.lock && x.node === 'pve2');
    const put = await call(sim, 'PUT', `/nodes/pve2/qemu/${g.vmid}/config`, { form: { ciuser: 'ops', ipconfig0: 'ip=10.0.0.10/24,gw=10.0.0.1', delete: 'tags' } });
    assert.equal(put.json.data, null);
    const c = await get(sim, `/nodes/pve2/qemu/${g.vmid}/config`);
    assert.equal(c.ciuser, 'ops');
    assert.equal(c.tags, undefined);
    const upid = await startTask(sim, 'POST', `/nodes/pve2/qemu/${g.vmid}/config`, { name: 'renamed', scsi1: 'local-lvm:2' });
    assert.match(upid, /:qmconfig:/);
    assert.equal((await waitTask(sim, upid)).exitstatus, 'OK');
    const c2 = await get(sim, `/nodes/pve2/qemu/${g.vmid}/config`);
    assert.equal(c2.name, 'renamed');
    assert.match(c2.scsi1, new RegExp(`^local-lvm:vm-${g.vmid}-disk-1,size=2G$`));
  });

  it('regenerates cloud-init with PUT .../cloudinit, refusing a VM without a drive', async () => {
    const tpl = pickGuest(sim, (x) => String(x.conf.ide2 ?? '').includes('cloudinit') && !x.conf.lock);
    const ok = await call(sim, 'PUT', `/nodes/${tpl.node}/qemu/${tpl.vmid}/cloudinit`);
    assert.equal(ok.status, 200);
    assert.equal(ok.json.data, null);
    const none = pickGuest(sim, (x) => !Object.values(x.conf).some((v) => String(v).includes('cloudinit')) && !x.conf.lock);
    const r = await call(sim, 'PUT', `/nodes/${none.node}/qemu/${none.vmid}/cloudinit`);
    assert.equal(r.status, 500);
  });

  it('lists guests of a node', async () => {
    const list = await get(sim, '/nodes/pve1/qemu');
    const want = [...sim.state.guests.values()].filter((g) => g.node === 'pve1').map((g) => g.vmid).sort();
    assert.deepEqual(list.map((x: any) => x.vmid).sort(), want);
    assert.ok(list.every((x: any) => typeof x.status === 'string' && typeof x.maxmem === 'number'));
  });
});
