import assert from 'node:assert/strict';
import { startSimulator, type Simulator } from '../../proxmox-sim/index';
import { call } from './helpers';

describe('proxmox-sim: fault injection', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ guests: 5, seed: 31, taskDurationMs: 50, authFailDelayMs: 0 });
  });
  afterEach(() => sim.setFaults({}));
  after(() => sim.close());

  it('adds latency to every answer', async () => {
    const fast = await call(sim, 'GET', '/version');
    sim.setFaults({ latencyMs: 250 });
    const slow = await call(sim, 'GET', '/version');
    assert.equal(slow.status, 200);
    assert.ok(slow.ms >= 240, `took ${slow.ms} ms`);
    assert.ok(fast.ms < 240);
  });

  it('answers 5xx at the configured rate, in the real envelope', async () => {
    sim.setFaults({ errorRate: 1 });
    const r = await call(sim, 'GET', '/version');
    assert.ok(r.status >= 500 && r.status < 600, String(r.status));
    assert.equal(r.json.data, null);
    assert.equal(r.json.message, r.reason + '\n');
    sim.setFaults({ errorRate: 0.5 });
    const rs = await Promise.all(Array.from({ length: 60 }, () => call(sim, 'GET', '/version')));
    const failed = rs.filter((x) => x.status >= 500).length;
    assert.ok(failed > 10 && failed < 50, `${failed}/60 failed`);
  });

  it('drops connections (socket destroyed, no HTTP answer)', async () => {
    sim.setFaults({ dropRate: 1 });
    await assert.rejects(call(sim, 'GET', '/version'), (e: NodeJS.ErrnoException) => ['ECONNRESET', 'EPIPE'].includes(e.code ?? '') || /socket hang up/.test(e.message));
    assert.equal(sim.requestLog.at(-1)!.status, 0);
    sim.setFaults({});
    assert.equal((await call(sim, 'GET', '/version')).status, 200);
  });

  it('has no side effect when a fault answers instead of the handler', async () => {
    const g = [...sim.state.guests.values()].find((x) => !x.conf.template)!;
    const before = g.conf.description;
    sim.setFaults({ errorRate: 1 });
    await call(sim, 'PUT', `/nodes/${g.node}/qemu/${g.vmid}/config`, { form: { description: 'changed' } });
    assert.equal(g.conf.description, before);
  });

  it('repeats the same fault sequence for the same seed', async () => {
    const seq = async (seed: number) => {
      const s = await startSimulator({ guests: 1, seed, authFailDelayMs: 0 });
      try {
        s.setFaults({ errorRate: 0.5 });
        const out: number[] = [];
        for (let i = 0; i < 20; i++) out.push((await call(s, 'GET', '/version')).status);
        return out.join(',');
      } finally {
        await s.close();
      }
    };
    const a = await seq(99);
    assert.equal(await seq(99), a);
    assert.notEqual(await seq(100), a);
  });
});
