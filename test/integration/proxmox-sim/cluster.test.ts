import assert from 'node:assert/strict';
import { startSimulator, type Simulator } from '../../proxmox-sim/index';
import { call, get, startTask, waitTask } from './helpers';

describe('proxmox-sim: nodes, resources, nextid, offline node', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ nodes: 3, guests: 20, seed: 11, taskDurationMs: 50, authFailDelayMs: 0 });
  });
  after(() => sim.close());

  it('lists nodes pve1..pveN with the documented fields', async () => {
    const nodes = await get(sim, '/nodes');
    assert.deepEqual(nodes.map((n: any) => n.node).sort(), ['pve1', 'pve2', 'pve3']);
    for (const n of nodes) {
      for (const k of ['node', 'status', 'cpu', 'maxcpu', 'mem', 'maxmem', 'uptime', 'ssl_fingerprint']) assert.ok(k in n, k);
      assert.equal(n.status, 'online');
      assert.equal(typeof n.uptime, 'number');
    }
    const st = await get(sim, '/nodes/pve2/status');
    assert.ok(st.memory.total > 0 && st.cpuinfo.cpus > 0);
  });

  it('returns every guest in one /cluster/resources?type=vm call with the NOTES.md fields', async () => {
    const vms = await get(sim, '/cluster/resources?type=vm');
    assert.equal(vms.length, sim.state.guests.size);
    for (const v of vms) {
      for (const k of ['id', 'vmid', 'name', 'node', 'status', 'template', 'type', 'maxmem', 'maxcpu', 'mem', 'cpu', 'uptime', 'disk', 'maxdisk']) assert.ok(k in v, `${k} in ${JSON.stringify(v)}`);
      assert.equal(v.id, `qemu/${v.vmid}`);
      assert.equal(v.type, 'qemu');
      assert.ok(v.template === 0 || v.template === 1);
      if (v.tags !== undefined) assert.match(v.tags, /^[^,\s]+(;[^,\s]+)*$/);
    }
    assert.ok(vms.some((v: any) => v.template === 1), 'has templates');
    assert.ok(vms.some((v: any) => v.status === 'running') && vms.some((v: any) => v.status === 'stopped'));
  });

  it('filters ?type=storage and ?type=node; no filter returns all kinds', async () => {
    const st = await get(sim, '/cluster/resources?type=storage');
    assert.equal(st.length, 9);
    assert.ok(st.every((s: any) => s.type === 'storage' && s.id === `storage/${s.node}/${s.storage}`));
    assert.deepEqual([...new Set(st.map((s: any) => s.storage))].sort(), ['local', 'local-lvm', 'nfs']);
    assert.equal(st.find((s: any) => s.storage === 'nfs').shared, 1);
    assert.equal(st.find((s: any) => s.storage === 'local').shared, 0);
    const nodes = await get(sim, '/cluster/resources?type=node');
    assert.deepEqual(nodes.map((n: any) => n.id).sort(), ['node/pve1', 'node/pve2', 'node/pve3']);
    const all = await get(sim, '/cluster/resources');
    assert.equal(all.length, sim.state.guests.size + 9 + 3);
  });

  it('returns nextid as a STRING and does not reserve it', async () => {
    const a = await get(sim, '/cluster/nextid');
    const b = await get(sim, '/cluster/nextid');
    assert.equal(typeof a, 'string');
    assert.equal(a, b);
    assert.ok(!sim.state.guests.has(Number(a)));
    const upid = await startTask(sim, 'POST', '/nodes/pve1/qemu', { vmid: Number(a), name: 'taken', memory: 512 });
    assert.equal((await waitTask(sim, upid)).exitstatus, 'OK');
    assert.notEqual(await get(sim, '/cluster/nextid'), a);
  });

  it('checks ?vmid= : free id echoed as string, used id -> 400 "already exists"', async () => {
    assert.equal(await get(sim, '/cluster/nextid?vmid=4242'), '4242');
    const used = [...sim.state.guests.keys()][0];
    const r = await call(sim, 'GET', `/cluster/nextid?vmid=${used}`);
    assert.equal(r.status, 400);
    assert.deepEqual(r.json.errors, { vmid: `VM ${used} already exists` });
  });

  it('takes a node offline: status offline, guests unknown, proxied calls 595, and back', async () => {
    const g = [...sim.state.guests.values()].find((x) => x.node === 'pve3')!;
    sim.setNodeOnline('pve3', false);
    try {
      const nodes = await get(sim, '/nodes');
      assert.equal(nodes.find((n: any) => n.node === 'pve3').status, 'offline');
      const res = await get(sim, '/cluster/resources');
      assert.equal(res.find((r: any) => r.id === 'node/pve3').status, 'offline');
      assert.equal(res.find((r: any) => r.id === `qemu/${g.vmid}`).status, 'unknown');
      const r = await call(sim, 'GET', `/nodes/pve3/qemu/${g.vmid}/status/current`);
      assert.equal(r.status, 595);
      assert.match(r.reason, /Connection refused/);
      assert.equal((await call(sim, 'GET', '/nodes/pve3/status')).status, 595);
      assert.equal((await call(sim, 'GET', '/nodes/pve1/status')).status, 200);
    } finally {
      sim.setNodeOnline('pve3', true);
    }
    assert.equal((await call(sim, 'GET', `/nodes/pve3/qemu/${g.vmid}/status/current`)).status, 200);
  });

  it('answers a node that is not in the cluster with a 500 hostname lookup error', async () => {
    const r = await call(sim, 'GET', '/nodes/pve9/status');
    assert.equal(r.status, 500);
    assert.match(r.reason, /hostname lookup 'pve9' failed/);
  });

  it('lists cluster tasks', async () => {
    const t = await get(sim, '/cluster/tasks');
    assert.ok(Array.isArray(t) && t.length >= 1);
    assert.ok(t.every((x: any) => typeof x.upid === 'string'));
  });
});
