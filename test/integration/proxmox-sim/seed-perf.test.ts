import assert from 'node:assert/strict';
import { startSimulator, type Simulator } from '../../proxmox-sim/index';
import { call, get } from './helpers';

const summary = (vms: any[]) => vms.map((v) => `${v.vmid}/${v.name}/${v.node}/${v.status}/${v.tags ?? ''}/${v.template}`).sort().join('|');

describe('proxmox-sim: seed determinism', () => {
  it('generates the same cluster for the same seed and a different one otherwise', async () => {
    const sims: Simulator[] = [];
    try {
      for (const seed of [42, 42, 43]) sims.push(await startSimulator({ guests: 30, seed, authFailDelayMs: 0 }));
      const [a, b, c] = await Promise.all(sims.map((s) => get(s, '/cluster/resources?type=vm')));
      assert.equal(summary(a), summary(b));
      assert.notEqual(summary(a), summary(c));
      const confA = await get(sims[0], `/nodes/${a[0].node}/qemu/${a[0].vmid}/config`);
      const confB = await get(sims[1], `/nodes/${a[0].node}/qemu/${a[0].vmid}/config`);
      assert.equal(confA.net0, confB.net0, 'MACs come from the seed too');
      assert.equal(confA.digest, confB.digest);
      // Each simulator has its own certificate, and its nodes advertise that one.
      assert.notEqual(sims[0].fingerprint, sims[1].fingerprint);
      for (const s of sims) for (const n of await get(s, '/nodes')) assert.equal(n.ssl_fingerprint, s.fingerprint);
    } finally {
      await Promise.all(sims.map((s) => s.close()));
    }
  });
});

describe('proxmox-sim: 50,000 guests', () => {
  let sim: Simulator;
  before(async function () {
    this.timeout(60000);
    sim = await startSimulator({ nodes: 5, guests: 50000, seed: 1, authFailDelayMs: 0 });
  });
  after(() => sim.close());

  it('answers /cluster/resources?type=vm with every guest in well under a second', async () => {
    const first = await call(sim, 'GET', '/cluster/resources?type=vm');
    assert.equal(first.status, 200);
    assert.equal(first.json.data.length, 50000);
    assert.ok(first.ms < 1000, `first call ${first.ms} ms`);
    const again = await call(sim, 'GET', '/cluster/resources?type=vm');
    assert.ok(again.ms < 1000, `second call ${again.ms} ms`);
    assert.equal(again.json.data.length, 50000);
  });

  it('reflects a change at once despite the cache', async () => {
    await get(sim, '/cluster/resources?type=vm');
    const g = [...sim.state.guests.values()].find((x) => !x.conf.template && x.status === 'stopped')!;
    const r = await call(sim, 'POST', `/nodes/${g.node}/qemu/${g.vmid}/status/start`);
    assert.equal(r.status, 200);
    const after = await call(sim, 'GET', `/nodes/${g.node}/qemu/${g.vmid}/config`);
    assert.equal(after.status, 200);
    const res = await get(sim, '/cluster/resources?type=vm');
    assert.ok(res.length === 50000);
    sim.state.guests.get(g.vmid)!.conf.tags = 'changed';
    sim.state.touch();
    const res2 = await get(sim, '/cluster/resources?type=vm');
    assert.equal(res2.find((x: any) => x.vmid === g.vmid).tags, 'changed');
  });
});
