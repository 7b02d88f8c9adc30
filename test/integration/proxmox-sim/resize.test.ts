import assert from 'node:assert/strict';
import { startSimulator, type Simulator } from '../../proxmox-sim/index';
import { call, get, pickGuest, startTask, waitTask } from './helpers';

describe('proxmox-sim: disk resize', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ nodes: 2, guests: 6, seed: 5, taskDurationMs: 100, authFailDelayMs: 0 });
  });
  after(() => sim.close());

  it('grows a disk in a qmresize task (absolute and +relative), refuses shrinking and unknown disks', async () => {
    const g = pickGuest(sim, (x) => !x.conf.template);
    const base = `/nodes/${g.node}/qemu/${g.vmid}/resize`;
    const before = Number(/size=(\d+)G/.exec(String(g.conf.scsi0))![1]);
    const upid = await startTask(sim, 'PUT', base, { disk: 'scsi0', size: `${before + 4}G` });
    assert.match(upid, /:qmresize:/);
    assert.equal((await waitTask(sim, upid)).exitstatus, 'OK');
    assert.match((await get(sim, `/nodes/${g.node}/qemu/${g.vmid}/config`)).scsi0, new RegExp(`size=${before + 4}G`));
    assert.equal((await waitTask(sim, await startTask(sim, 'PUT', base, { disk: 'scsi0', size: '+1G' }))).exitstatus, 'OK');
    assert.match(String(g.conf.scsi0), new RegExp(`size=${before + 5}G`));
    const shrink = await call(sim, 'PUT', base, { form: { disk: 'scsi0', size: '1G' } });
    assert.equal(shrink.status, 500);
    assert.match(shrink.reason, /shrinking/);
    const missing = await call(sim, 'PUT', base, { form: { disk: 'scsi5', size: '10G' } });
    assert.equal(missing.status, 500);
    assert.match(missing.reason, /does not exist/);
  });
});
