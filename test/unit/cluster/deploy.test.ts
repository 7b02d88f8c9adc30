import * as assert from 'node:assert/strict';
import { ClusterDeployment, statusTable, type DeploySteps } from '../../../src/providers/cluster/deploy';
import { planCluster, type PlannedVm } from '../../../src/providers/cluster/plan';

const plan = planCluster({
  name: 'lab',
  template: { vmid: 9000, name: 'tpl', node: 'pve1', isTemplate: true, sharedStorage: true },
  controlPlanes: 3,
  workers: 5,
  sizes: { 'control-plane': { cores: 2, memoryMiB: 2048, diskGiB: 20 }, worker: { cores: 2, memoryMiB: 2048, diskGiB: 20 } },
  nodes: ['pve1', 'pve2', 'pve3'].map((name) => ({ name, online: true, freeMemoryMiB: 65536 })),
  network: { kind: 'dhcp' },
  firstVmid: 300,
  takenVmids: new Set(),
});

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const onAbort = () => (clearTimeout(t), reject(new Error('aborted')));
    const t = setTimeout(() => (signal?.removeEventListener('abort', onAbort), resolve()), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Steps that record calls; `fail` makes one step of one VM throw (once, or always). */
function fakeSteps(opts: { ms?: number; fail?: { vmid: number; step: string; times?: number } } = {}) {
  const calls: string[] = [];
  let running = 0;
  let maxRunning = 0;
  let failures = opts.fail?.times ?? 1;
  const step = (name: string) => async (vm: PlannedVm, signal: AbortSignal) => {
    calls.push(`${name}:${vm.vmid}`);
    running++;
    maxRunning = Math.max(maxRunning, running);
    try {
      await sleep(opts.ms ?? 5, signal);
      if (opts.fail && opts.fail.vmid === vm.vmid && opts.fail.step === name && failures-- > 0) throw new Error(`${name} broke`);
    } finally {
      running--;
    }
  };
  const steps: DeploySteps = {
    clone: step('clone'),
    configure: step('configure'),
    start: step('start'),
    waitForAddress: async (vm, s) => (await step('address')(vm, s), `10.0.0.${vm.vmid - 290}`),
    waitForSsh: async (vm, _ip, s) => (await step('ssh')(vm, s), 'SHA256:abc'),
    destroy: step('destroy'),
  };
  return { steps, calls, max: () => maxRunning };
}

describe('cluster deployment', () => {
  it('runs every VM through every step with limited parallelism', async () => {
    const f = fakeSteps();
    const d = new ClusterDeployment(plan, f.steps, { parallelism: 3 });
    const outcome = await d.run(new AbortController().signal);
    assert.ok(outcome.ok);
    assert.equal(f.max(), 3);
    assert.equal(f.calls.filter((c) => c.startsWith('clone:')).length, 8);
    assert.ok(outcome.progress.every((p) => p.state === 'done' && p.ip && p.hostKeyFingerprint));
    assert.equal(d.created.size, 8);
  });

  it('reports a failed VM with its step; retry resumes from that step without cloning again', async () => {
    const f = fakeSteps({ fail: { vmid: 302, step: 'start' } });
    const d = new ClusterDeployment(plan, f.steps);
    const outcome = await d.run(new AbortController().signal);
    assert.equal(outcome.ok, false);
    assert.deepEqual(outcome.failed.map((p) => [p.vm.vmid, p.step, p.error]), [[302, 'start', 'start broke']]);
    assert.match(statusTable(outcome.progress).join('\n'), /302 .* start +failed .*start broke/);
    const retried = await d.retry(302, new AbortController().signal);
    assert.ok(retried.ok);
    assert.equal(f.calls.filter((c) => c === 'clone:302').length, 1, 'the VM is not cloned twice');
    assert.equal(f.calls.filter((c) => c === 'start:302').length, 2);
  });

  it('rolls back exactly the VMs it created, and nothing for a failed clone', async () => {
    const f = fakeSteps({ fail: { vmid: 304, step: 'clone', times: 99 } });
    const d = new ClusterDeployment(plan, f.steps);
    await d.run(new AbortController().signal);
    assert.ok(!d.created.has(304));
    const problems = await d.rollback(new AbortController().signal);
    assert.deepEqual(problems, []);
    const destroyed = f.calls.filter((c) => c.startsWith('destroy:')).map((c) => Number(c.split(':')[1]));
    assert.deepEqual(destroyed.sort(), [300, 301, 302, 303, 305, 306, 307]);
    assert.ok(d.progress.filter((p) => p.vm.vmid !== 304).every((p) => p.state === 'rolled-back'));
    await assert.rejects(d.retry(300, new AbortController().signal), /has not failed/);
  });

  it('stops when cancelled midway and says which VMs were left in which step', async () => {
    const f = fakeSteps({ ms: 30 });
    const d = new ClusterDeployment(plan, f.steps, { parallelism: 2 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 70);
    const outcome = await d.run(ac.signal);
    assert.equal(outcome.cancelled, true);
    assert.equal(outcome.ok, false);
    assert.ok(outcome.progress.some((p) => p.state === 'cancelled'));
    assert.ok(f.calls.filter((c) => c.startsWith('clone:')).length < 8, 'not every VM was started');
    // What was created can still be rolled back.
    await d.rollback(new AbortController().signal);
    assert.equal(d.created.size, 0);
  });

  it('parallel wall time is well under the sequential sum', async () => {
    const f = fakeSteps({ ms: 20 });
    const t0 = Date.now();
    await new ClusterDeployment(plan, f.steps, { parallelism: 4 }).run(new AbortController().signal);
    const wall = Date.now() - t0;
    const sequential = 8 * 5 * 20;
    assert.ok(wall < sequential * 0.4, `wall ${wall} ms vs sequential ${sequential} ms`);
  });
});
