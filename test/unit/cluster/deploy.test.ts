import * as assert from 'node:assert/strict';
import { ClusterDeployment, statusTable, type DeploySteps, type NewHostKey } from '../../../src/providers/cluster/deploy';
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
  // VMs in Proxmox work (clone, configure, start), and VMs in any step: waiting holds no slot.
  const working = new Set<number>();
  const busy = new Set<number>();
  let maxWorking = 0;
  let maxBusy = 0;
  let failures = opts.fail?.times ?? 1;
  const step = (name: string) => async (vm: PlannedVm, signal: AbortSignal) => {
    calls.push(`${name}:${vm.vmid}`);
    const work = ['clone', 'configure', 'start'].includes(name);
    if (work) working.add(vm.vmid);
    else working.delete(vm.vmid);
    busy.add(vm.vmid);
    maxWorking = Math.max(maxWorking, working.size);
    maxBusy = Math.max(maxBusy, busy.size);
    try {
      await sleep(opts.ms ?? 5, signal);
      if (opts.fail && opts.fail.vmid === vm.vmid && opts.fail.step === name && failures-- > 0) throw new Error(`${name} broke`);
    } finally {
      if (name === 'start' || name === 'ssh' || name === 'destroy') working.delete(vm.vmid);
      if (name === 'ssh' || name === 'destroy') busy.delete(vm.vmid);
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
  return { steps, calls, maxWorking: () => maxWorking, maxBusy: () => maxBusy };
}

describe('cluster deployment', () => {
  it('runs every VM through every step; Proxmox work is limited by parallelism, boot waits are not', async () => {
    const f = fakeSteps();
    const d = new ClusterDeployment(plan, f.steps, { parallelism: 3 });
    const outcome = await d.run(new AbortController().signal);
    assert.ok(outcome.ok);
    assert.equal(f.maxWorking(), 3, 'at most 3 VMs in clone/configure/start at once');
    assert.ok(f.maxBusy() > 3, `VMs waiting for boot overlap with the next clones (max ${f.maxBusy()} busy)`);
    // Clones start in plan order.
    assert.deepEqual(f.calls.filter((c) => c.startsWith('clone:')).map((c) => Number(c.split(':')[1])), plan.vms.map((v) => v.vmid));
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

  it('with parallelism 1 only one VM is in Proxmox work at a time', async () => {
    const f = fakeSteps();
    assert.ok((await new ClusterDeployment(plan, f.steps, { parallelism: 1 }).run(new AbortController().signal)).ok);
    assert.equal(f.maxWorking(), 1);
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

describe('cluster deployment: host keys of the new VMs (issue 12 item 6)', () => {
  const key = (vm: PlannedVm, ip: string) => ({ host: ip, port: 22, keyType: 'ssh-ed25519', fingerprint: `SHA256:key-of-${vm.vmid}` });
  /** Steps whose SSH step presents a per-VM unknown key and fails unless it is trusted (like HostVerification). */
  function keySteps(opts: { slowVmid?: number } = {}) {
    const f = fakeSteps();
    const presented: number[] = [];
    const steps: DeploySteps = {
      ...f.steps,
      waitForAddress: async (vm, s) => {
        if (vm.vmid === opts.slowVmid) await sleep(60, s); // boots late: the question must wait for it
        return f.steps.waitForAddress(vm, s);
      },
      waitForSsh: async (vm, ip, _s, confirm) => {
        presented.push(vm.vmid);
        const k = key(vm, ip);
        if (!(await confirm(k))) throw new Error(`Connection to ${ip} cancelled: host key ${k.fingerprint} was not trusted.`);
        return k.fingerprint;
      },
    };
    return { steps, presented };
  }

  it('asks ONE question listing every new VM with its fingerprint, after the last VM presented its key', async () => {
    const { steps } = keySteps({ slowVmid: 307 });
    const questions: NewHostKey[][] = [];
    const d = new ClusterDeployment(plan, steps, { parallelism: 3, confirmHostKeys: async (keys) => (questions.push(keys), true) });
    const outcome = await d.run(new AbortController().signal);
    assert.ok(outcome.ok, JSON.stringify(outcome.failed.map((p) => p.error)));
    assert.equal(questions.length, 1, 'one question per deployment');
    assert.deepEqual(questions[0].map((k) => [k.vm.vmid, k.fingerprint]), plan.vms.map((v) => [v.vmid, `SHA256:key-of-${v.vmid}`]));
    assert.ok(outcome.progress.every((p) => p.hostKeyFingerprint === `SHA256:key-of-${p.vm.vmid}`));
  });

  it('a declined (or dismissed) question fails the SSH step of those VMs; Retry asks again and can succeed', async () => {
    const { steps } = keySteps();
    const answers: Array<boolean | Error> = [new Error('dismissed'), true];
    let asked = 0;
    const d = new ClusterDeployment(plan, steps, {
      confirmHostKeys: async () => {
        asked++;
        const a = answers.shift()!;
        if (a instanceof Error) throw a;
        return a;
      },
    });
    const first = await d.run(new AbortController().signal);
    assert.equal(first.ok, false);
    assert.equal(first.failed.length, 8);
    for (const p of first.failed) {
      assert.equal(p.step, 'ssh');
      assert.match(p.error ?? '', /host key SHA256:key-of-\d+ was not trusted/);
    }
    assert.equal(asked, 1);
    const second = await d.run(new AbortController().signal);
    assert.ok(second.ok, JSON.stringify(second.progress.map((p) => [p.state, p.error])));
    assert.equal(asked, 2, 'the retry asked once more');
  });

  it('without a way to ask, no key is trusted: nothing is accepted silently', async () => {
    const { steps } = keySteps();
    const outcome = await new ClusterDeployment(plan, steps).run(new AbortController().signal);
    assert.equal(outcome.failed.length, 8);
    assert.ok(outcome.failed.every((p) => p.step === 'ssh'));
  });

  it('a VM that fails before SSH does not hold the question back; a key accepted once is not asked again on reconnect', async () => {
    const f = fakeSteps({ fail: { vmid: 303, step: 'start', times: 99 } });
    let asked: number[] = [];
    const seen = new Map<number, number>();
    const steps: DeploySteps = {
      ...f.steps,
      waitForSsh: async (vm, ip, _s, confirm) => {
        // The guest closes the first connection while the user decides: the second attempt presents the key again.
        const k = key(vm, ip);
        const first = confirm(k);
        seen.set(vm.vmid, (seen.get(vm.vmid) ?? 0) + 1);
        const ok = await first;
        if (!ok) throw new Error('declined');
        assert.equal(await confirm(k), true, 'already trusted');
        return k.fingerprint;
      },
    };
    const d = new ClusterDeployment(plan, steps, { confirmHostKeys: async (keys) => ((asked = keys.map((k) => k.vm.vmid)), true) });
    const outcome = await d.run(new AbortController().signal);
    assert.deepEqual(outcome.failed.map((p) => p.vm.vmid), [303]);
    assert.deepEqual(asked, plan.vms.map((v) => v.vmid).filter((id) => id !== 303));
  });
});
