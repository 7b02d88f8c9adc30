import assert from 'node:assert/strict';
import { startSimulator, type Simulator } from '../../proxmox-sim/index';
import { call, get, pickGuest, sleep, startTask, UPID_RE, waitTask } from './helpers';

describe('proxmox-sim: tasks', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ guests: 12, seed: 13, taskDurationMs: 600, authFailDelayMs: 0, agentBootDelayMs: 0 });
  });
  after(() => sim.close());

  it('returns a real UPID naming node, type, id and user (token in user)', async () => {
    const g = pickGuest(sim, (x) => x.status === 'stopped' && !x.conf.template);
    const upid = await startTask(sim, 'POST', `/nodes/${g.node}/qemu/${g.vmid}/status/start`);
    const m = UPID_RE.exec(upid)!;
    assert.equal(m[1], g.node);
    assert.equal(m[5], 'qmstart');
    assert.equal(m[6], String(g.vmid));
    assert.equal(m[7], 'root@pam!homelab');
    assert.ok(Math.abs(parseInt(m[4], 16) - Date.now() / 1000) < 5, 'starttime is now');
    const st = await get(sim, `/nodes/${g.node}/tasks/${encodeURIComponent(upid)}/status`);
    assert.equal(st.status, 'running');
    assert.equal(st.exitstatus, undefined);
    assert.equal(st.type, 'qmstart');
    const done = await waitTask(sim, upid);
    assert.equal(done.exitstatus, 'OK');
    assert.equal(done.log.at(-1), 'TASK OK');
    assert.equal(sim.state.guests.get(g.vmid)!.status, 'running');
  });

  it('fails INSIDE the task when starting a running VM (HTTP 200, then exitstatus)', async () => {
    const g = pickGuest(sim, (x) => x.status === 'running');
    const upid = await startTask(sim, 'POST', `/nodes/${g.node}/qemu/${g.vmid}/status/start`);
    const done = await waitTask(sim, upid);
    assert.equal(done.exitstatus, `VM ${g.vmid} already running`);
    assert.equal(done.log.at(-1), `TASK ERROR: VM ${g.vmid} already running`);
  });

  it('grows the log while a task runs and pages it with start/limit', async () => {
    const g = pickGuest(sim, (x) => x.node === 'pve1' && x.status === 'stopped' && !x.conf.template && !x.conf.lock);
    const upid = await startTask(sim, 'POST', `/nodes/pve1/qemu/${g.vmid}/clone`, { newid: 7001, full: 1 });
    const seen: number[] = [];
    for (;;) {
      const log = await get(sim, `/nodes/pve1/tasks/${encodeURIComponent(upid)}/log?start=0&limit=500`);
      seen.push(log.length);
      const st = await get(sim, `/nodes/pve1/tasks/${encodeURIComponent(upid)}/status`);
      if (st.status === 'stopped') break;
      await sleep(60);
    }
    assert.ok(new Set(seen).size >= 3, `log lengths seen: ${seen.join(',')}`);
    const page = await get(sim, `/nodes/pve1/tasks/${encodeURIComponent(upid)}/log?start=1&limit=2`);
    assert.equal(page.length, 2);
    assert.deepEqual(page.map((l: any) => l.n), [2, 3]);
    assert.ok(page.every((l: any) => typeof l.t === 'string'));
  });

  it('stops a running task on DELETE; exitstatus is the interrupt error', async () => {
    const g = pickGuest(sim, (x) => x.status === 'stopped' && !x.conf.template);
    const upid = await startTask(sim, 'POST', `/nodes/${g.node}/qemu/${g.vmid}/status/start`);
    const del = await call(sim, 'DELETE', `/nodes/${g.node}/tasks/${encodeURIComponent(upid)}`);
    assert.equal(del.status, 200);
    assert.equal(del.json.data, null);
    const done = await waitTask(sim, upid);
    assert.equal(done.exitstatus, 'received interrupt');
    assert.equal(sim.state.guests.get(g.vmid)!.status, 'stopped');
  });

  it('answers 400 for an unknown UPID, a malformed one, and a UPID asked on the wrong node', async () => {
    const g = pickGuest(sim, (x) => x.node === 'pve1' && !x.conf.template);
    const upid = await startTask(sim, 'POST', `/nodes/pve1/qemu/${g.vmid}/status/stop`);
    const wrong = await call(sim, 'GET', `/nodes/pve2/tasks/${encodeURIComponent(upid)}/status`);
    assert.equal(wrong.status, 400);
    assert.deepEqual(wrong.json.errors, { upid: 'no such task' });
    const fake = upid.replace(/:[0-9A-F]{8}:qmstop/, ':00000000:qmstop');
    assert.equal((await call(sim, 'GET', `/nodes/pve1/tasks/${encodeURIComponent(fake)}/status`)).status, 400);
    const bad = await call(sim, 'GET', `/nodes/pve1/tasks/garbage/status`);
    assert.deepEqual(bad.json.errors, { upid: 'unable to parse worker upid' });
    await waitTask(sim, upid);
  });

  it('lists node tasks (finished by default, running with source=active)', async () => {
    const g = pickGuest(sim, (x) => x.status === 'stopped' && !x.conf.template);
    const upid = await startTask(sim, 'POST', `/nodes/${g.node}/qemu/${g.vmid}/status/start`);
    const active = await get(sim, `/nodes/${g.node}/tasks?source=active`);
    assert.ok(active.some((t: any) => t.upid === upid && t.status === undefined));
    await waitTask(sim, upid);
    const done = await get(sim, `/nodes/${g.node}/tasks`);
    const t = done.find((x: any) => x.upid === upid);
    assert.equal(t.status, 'OK');
    assert.ok(t.endtime >= t.starttime);
  });

  it('lets the audit token read task status but not stop tasks', async () => {
    const g = pickGuest(sim, (x) => x.status === 'running');
    const upid = await startTask(sim, 'POST', `/nodes/${g.node}/qemu/${g.vmid}/status/reboot`);
    assert.equal((await call(sim, 'GET', `/nodes/${g.node}/tasks/${encodeURIComponent(upid)}/status`, { cred: 'audit' })).status, 200);
    const del = await call(sim, 'DELETE', `/nodes/${g.node}/tasks/${encodeURIComponent(upid)}`, { cred: 'audit' });
    assert.equal(del.status, 403);
    assert.equal(del.reason, `Permission check failed (/nodes/${g.node}, Sys.Modify)`);
    assert.equal((await waitTask(sim, upid)).exitstatus, 'OK');
  });
});
