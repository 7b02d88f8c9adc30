// bench/cluster-deploy: a 3+5 cluster deploy against the simulator (1 s simulated clone and task
// time, a real OpenSSH sshd on loopback standing in for every VM's sshd), with the provider-level
// steps the extension runs. Measured twice on fresh simulators: one VM at a time (the sequential
// baseline, also summed step by step) and with parallelism. Goal: wall time under 40 % of the
// sequential one, and no lock error reaching the user (lock timeouts are retried by startClone).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterDeployment, type DeploySteps, type VmStep } from '../src/providers/cluster/deploy';
import { planCluster } from '../src/providers/cluster/plan';
import { ProxmoxDeploySteps } from '../src/providers/cluster/proxmox-steps';
import { ProxmoxClient } from '../src/providers/proxmox/client';
import { KnownHosts } from '../src/providers/ssh';
import { startSshd } from '../test/harness/sshd';
import { startSimulator } from '../test/proxmox-sim';

const TASK_MS = 1000; // clone, start (and every other task) take 1 s
const AGENT_BOOT_MS = 2000; // from start until the guest agent reports an address
const LOCK_TIMEOUT_MS = 2500; // short, so parallel clones of the template do hit "got timeout"
const PARALLELISM = Number(process.env.PARALLELISM ?? 3);

interface Run {
  parallelism: number;
  wallMs: number;
  stepSumMs: number;
  stepMs: Record<VmStep, number>;
  requests: number;
  cloneRetries: number;
  failedVms: number;
  lockErrorsShown: number;
}

async function deployOnce(parallelism: number, sshd: Awaited<ReturnType<typeof startSshd>>, dir: string): Promise<Run> {
  const sim = await startSimulator({ nodes: 3, guests: 30, seed: 3, taskDurationMs: TASK_MS, agentBootDelayMs: AGENT_BOOT_MS, authFailDelayMs: 0, lockTimeoutMs: LOCK_TIMEOUT_MS });
  const client = new ProxmoxClient({ url: sim.url, fingerprint: sim.fingerprint, auth: { kind: 'token', tokenId: sim.tokenId, secret: sim.tokenSecret } });
  try {
    const tpl = [...sim.state.guests.values()].find((g) => g.conf.template && String(g.conf.scsi0).startsWith('nfs:'))!;
    const nodes = await client.nodes();
    const plan = planCluster({
      name: 'bench',
      template: { vmid: tpl.vmid, name: String(tpl.conf.name), node: tpl.node, isTemplate: true, sharedStorage: true },
      controlPlanes: 3,
      workers: 5,
      sizes: { 'control-plane': { cores: 2, memoryMiB: 4096, diskGiB: 20 }, worker: { cores: 2, memoryMiB: 4096, diskGiB: 20 } },
      nodes: nodes.map((n) => ({ name: n.node, online: n.status === 'online', freeMemoryMiB: Math.floor(((n.maxmem ?? 0) - (n.mem ?? 0)) / 2 ** 20) })),
      network: { kind: 'dhcp' },
      firstVmid: await client.nextId(),
      takenVmids: new Set(sim.state.guests.keys()),
    });
    const steps = new ProxmoxDeploySteps(client, {
      plan, ciuser: 'ops', sshKeys: [sshd.hostPublicKey],
      knownHosts: new KnownHosts(join(dir, `known_hosts_${parallelism}`)),
      sshAddress: () => ({ host: sshd.host, port: sshd.port }),
      pollMs: 200, sshIntervalMs: 200, cloneRetryDelayMs: 250,
    });
    // Time every step of every VM as the deployment runs it.
    const stepMs = { clone: 0, configure: 0, start: 0, address: 0, ssh: 0 } as Record<VmStep, number>;
    const timed = <K extends keyof DeploySteps>(k: K, step: VmStep) => (async (...args: unknown[]) => {
      const t0 = performance.now();
      try {
        return await (steps[k] as (...a: unknown[]) => Promise<unknown>).apply(steps, args);
      } finally {
        stepMs[step] += performance.now() - t0;
      }
    }) as DeploySteps[K];
    const measured: DeploySteps = {
      clone: timed('clone', 'clone'), configure: timed('configure', 'configure'), start: timed('start', 'start'),
      waitForAddress: timed('waitForAddress', 'address'), waitForSsh: timed('waitForSsh', 'ssh'), destroy: steps.destroy.bind(steps),
    };
    const requests0 = sim.requestCount;
    const t0 = performance.now();
    // Sequential: one VM after the other, each from clone to SSH. Parallel: the extension's way.
    const runs = parallelism === 0
      ? plan.vms.map((vm) => ({ ...plan, vms: [vm] }))
      : [plan];
    const failed = [];
    for (const part of runs) failed.push(...(await new ClusterDeployment(part, measured, {
      parallelism: Math.max(1, parallelism),
      // The bench's own loopback sshd: the user's one host-key answer is "yes" (its wait is part of the ssh step).
      confirmHostKeys: async () => true,
    }).run(new AbortController().signal)).failed);
    const wallMs = performance.now() - t0;
    const lockErrorsShown = failed.filter((p) => /lock/i.test(p.error ?? '')).length;
    if (failed.length) console.error(failed.map((p) => `${p.vm.name} at ${p.step}: ${p.error}`).join('\n'));
    return {
      parallelism, wallMs: Math.round(wallMs), stepSumMs: Math.round(Object.values(stepMs).reduce((a, b) => a + b, 0)),
      stepMs: Object.fromEntries(Object.entries(stepMs).map(([k, v]) => [k, Math.round(v)])) as Record<VmStep, number>,
      requests: sim.requestCount - requests0, cloneRetries: steps.counts.cloneAttempts - plan.vms.length,
      failedVms: failed.length, lockErrorsShown,
    };
  } finally {
    await client.close();
    await sim.close();
  }
}

async function main(): Promise<void> {
  const sshd = await startSshd();
  const dir = mkdtempSync(join(tmpdir(), 'bench-cluster-deploy-'));
  try {
    const sequential = await deployOnce(0, sshd, dir); // 0: strictly one VM at a time
    const parallel = await deployOnce(PARALLELISM, sshd, dir);
    // Stress: every clone at once, so queued clones run into the template's lock timeout and are retried.
    const stress = await deployOnce(8, sshd, dir);
    for (const r of [sequential, parallel, stress]) {
      console.log(`${r.parallelism ? `parallelism ${r.parallelism}` : 'sequential'}: wall ${(r.wallMs / 1000).toFixed(1)} s, sum of steps ${(r.stepSumMs / 1000).toFixed(1)} s ` +
        `(${Object.entries(r.stepMs).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)}`).join(', ')}), ${r.requests} requests, ` +
        `${r.cloneRetries} clone retries after lock timeouts, ${r.failedVms} failed VMs`);
    }
    const ratio = parallel.wallMs / sequential.wallMs;
    const ratioToStepSum = parallel.wallMs / sequential.stepSumMs;
    console.log(`wall time with parallelism ${PARALLELISM}: ${(ratio * 100).toFixed(1)} % of the sequential run (${(ratioToStepSum * 100).toFixed(1)} % of its summed steps)`);
    const goals = {
      under40PercentOfSequential: ratio < 0.4,
      noLockErrorReachesUser: [sequential, parallel, stress].every((r) => r.lockErrorsShown === 0),
      lockTimeoutsRetriedUnderStress: stress.cloneRetries > 0,
      allVmsDeployed: [sequential, parallel, stress].every((r) => r.failedVms === 0),
    };
    console.log(JSON.stringify({
      bench: 'cluster-deploy', vms: 8, taskMs: TASK_MS, agentBootMs: AGENT_BOOT_MS, lockTimeoutMs: LOCK_TIMEOUT_MS,
      sequential, parallel, stress, ratio: +ratio.toFixed(3), ratioToSequentialStepSum: +ratioToStepSum.toFixed(3), goals,
    }));
  } finally {
    await sshd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
