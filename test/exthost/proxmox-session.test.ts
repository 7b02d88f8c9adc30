// The Proxmox session and its refresh coordinator, without a tree in between: what commands (and
// later agent tools) read, and when it reloads.
import * as assert from 'node:assert/strict';
import type { HomelabApi } from '../../src/extension';
import { startSimulator, type Simulator } from '../proxmox-sim';
import { addCluster } from './ops-util';
import { activateHomelab } from './util';

const resourceRequests = (sim: Simulator) => sim.requestLog.filter((r) => r.path.startsWith('/api2/json/cluster/resources')).length;

describe('Proxmox session: inventory and refresh coordinator', function () {
  this.timeout(60_000);
  let api: HomelabApi;
  let sim: Simulator;

  const flip = () => {
    const g = [...sim.state.guests.values()].find((x) => x.status === 'stopped' && !x.conf.template)!;
    g.status = 'running';
    g.startedAt = Date.now();
    sim.state.touch();
    return g;
  };

  before(async () => {
    api = await activateHomelab();
    for (const c of api.clusters.list()) await api.clusters.remove(c.id);
    sim = await startSimulator({ nodes: 2, guests: 10, seed: 9, taskDurationMs: 200, authFailDelayMs: 50 });
    await addCluster(api, sim, 'warm');
    await addCluster(api, sim, 'cold');
    await api.proxmoxSession.refresh('warm');
  });
  after(async () => {
    for (const c of api.clusters.list()) await api.clusters.remove(c.id);
    await sim?.close();
  });

  it('operation ends in a burst are one reload, and each end returns once the session shows the change', async () => {
    assert.ok(api.proxmoxSession.inventory('warm'), 'warm is loaded');
    const g = flip();
    const before = resourceRequests(sim);
    await Promise.all([api.operations.endOperation('warm'), api.operations.endOperation('warm'), api.operations.endOperation('warm')]);
    assert.equal(resourceRequests(sim) - before, 1, 'one request for three ends');
    assert.equal(api.proxmoxSession.guest('warm', g.vmid)?.status, 'running');
  });

  it('an operation end on a cluster nobody loaded requests nothing', async () => {
    const before = resourceRequests(sim);
    await api.operations.endOperation('cold');
    assert.equal(resourceRequests(sim) - before, 0);
    assert.equal(api.proxmoxSession.inventory('cold'), undefined);
  });

  it('a refresh asked while a load runs loads once more after it (never an answer older than the ask)', async () => {
    const before = resourceRequests(sim);
    const first = api.proxmoxSession.refresh('warm');
    const g = flip();
    const second = api.proxmoxSession.refresh('warm');
    const third = api.proxmoxSession.refresh('warm'); // joins the second
    await Promise.all([first, second, third]);
    assert.equal(resourceRequests(sim) - before, 2);
    assert.equal(api.proxmoxSession.guest('warm', g.vmid)?.status, 'running');
  });

  it('an unreachable cluster is reported as an error, and the next refresh clears it', async () => {
    sim.setFaults({ dropRate: 1 });
    try {
      await api.proxmoxSession.refresh('warm');
      assert.ok(api.proxmoxSession.error('warm'), 'the error is kept');
      assert.ok(api.proxmoxSession.inventory('warm'), 'the last inventory is kept beside it');
    } finally {
      sim.setFaults({});
    }
    await api.proxmoxSession.refresh('warm');
    assert.equal(api.proxmoxSession.error('warm'), undefined);
  });
});
