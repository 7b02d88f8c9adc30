// bench/k3s-bootstrap: a 3+5 K3s bootstrap on stand-in nodes (a real OpenSSH sshd per node on its
// own loopback address; the stand-in nixos-rebuild checks the module with nix-instantiate and takes
// REBUILD_MS like a (very fast) real switch), then the kubeconfig and the Ready watch. Measured
// twice on fresh nodes: the same steps one node at a time (plan order), and the engine's schedule
// (control planes one at a time, workers in parallel up to PARALLELISM once the first control plane
// is up, everything before the rebuild at once). Goal: wall time under 45 % of the one-at-a-time run.
import { K3sBootstrap, clientFromKubeconfig, fetchClusterKubeconfig, newClusterToken, planK3s, readK3sModuleFiles, waitForNodesReady, type K3sPlan } from '../src/providers/k3s';
import { RES_NIX, startK3sLab, type K3sLab } from '../test/integration/k3s/standin';

const REBUILD_MS = Number(process.env.REBUILD_MS ?? 2000);
const PARALLELISM = Number(process.env.PARALLELISM ?? 3);

interface Result { wallMs: number; bootstrapMs: number; readyMs: number; failed: number }

async function once(lab: K3sLab, plan: K3sPlan, oneAtATime: boolean): Promise<Result> {
  lab.reset();
  lab.setRebuildDelay(REBUILD_MS);
  const signal = new AbortController().signal;
  const engine = new K3sBootstrap(plan, {
    connect: lab.connect, root: lab.root, sudo: true, token: newClusterToken(), moduleFiles: readK3sModuleFiles(RES_NIX),
    parallelism: PARALLELISM, startTimeoutS: 60,
  });
  const t0 = Date.now();
  if (oneAtATime) for (const n of plan.nodes) await engine.run(signal, { only: [n.name] });
  else await engine.run(signal);
  const t1 = Date.now();
  const kc = await fetchClusterKubeconfig(plan, { connect: lab.connect, root: lab.root, sudo: true, signal });
  await waitForNodesReady({ client: clientFromKubeconfig(kc), nodes: plan.nodes.map((n) => n.name), signal, timeoutMs: 120_000 });
  const t2 = Date.now();
  return { wallMs: t2 - t0, bootstrapMs: t1 - t0, readyMs: t2 - t1, failed: engine.progress.filter((p) => p.state !== 'done').length };
}

async function main(): Promise<void> {
  const lab = await startK3sLab(9);
  try {
    const apiPort = Number(new URL(lab.k8s.url).port);
    const plan = planK3s({ cluster: 'bench', channel: '1.31', keep: [], apiPort, api: { kind: 'vip', address: '127.0.0.1' }, nodes: lab.nodes(3, 5, 1) });
    const sequential = await once(lab, plan, true);
    const parallel = await once(lab, plan, false);
    for (const [name, r] of [['one node at a time', sequential], [`engine (parallelism ${PARALLELISM})`, parallel]] as const) {
      console.log(`${name}: wall ${(r.wallMs / 1000).toFixed(1)} s (bootstrap ${(r.bootstrapMs / 1000).toFixed(1)} s, kubeconfig + Ready ${(r.readyMs / 1000).toFixed(1)} s), ${r.failed} nodes not done`);
    }
    const ratio = parallel.wallMs / sequential.wallMs;
    const bootstrapRatio = parallel.bootstrapMs / sequential.bootstrapMs;
    console.log(`engine wall time: ${(ratio * 100).toFixed(1)} % of one node at a time (goal < 45 %); bootstrap steps alone: ${(bootstrapRatio * 100).toFixed(1)} %`);
    const goals = { under45PercentOfOneAtATime: ratio < 0.45, allNodesDone: sequential.failed + parallel.failed === 0 };
    console.log(JSON.stringify({ bench: 'k3s-bootstrap', nodes: '3+5', rebuildMs: REBUILD_MS, parallelism: PARALLELISM, sequential, parallel, ratio: +ratio.toFixed(3), bootstrapRatio: +bootstrapRatio.toFixed(3), goals }));
  } finally {
    await lab.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
