// bench/task-latency: milliseconds from a simulated Proxmox task ending to (a) its final line in
// the task terminal and (b) the tree showing the VM's new state. Both need the real extension
// host (terminals, tree events), so this runs test/exthost/proxmox-ops-latency.test.ts there
// through the harness and prints its figures; JSON on the last line. Goal: both under 1.5 s.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runExtensionHostTests } from '../scripts/lib/exthost.mjs';
import { ensureTools, root } from '../scripts/lib/tools.mjs';

async function main(): Promise<void> {
  ensureTools();
  const build = spawnSync(process.execPath, [join(root, 'scripts/build.mjs'), '--tests'], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('build failed');
  const runDir = join(root, '.run/bench/task-latency');
  const out = join(runDir, 'result.json');
  const workspace = join(runDir, 'workspace');
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(workspace, { recursive: true });
  const r = await runExtensionHostTests({
    runDir: join(runDir, 'exthost'),
    extensionPath: root,
    testsPath: join(root, 'out/exthost/index'),
    workspace,
    env: { HOMELAB_TEST_GREP: 'task latency', HOMELAB_BENCH_OUT: out, HOMELAB_BENCH_RUNS: process.env.RUNS ?? '12' },
    onLog: ((line: string) => { if (/task latency:|✔|^\s+\d+\) /.test(line)) console.log(line); }) as never,
  });
  if (!existsSync(out)) throw new Error(`the benchmark did not report (passed ${r.passed}, failed ${r.failed}: ${r.failures.join('; ')})`);
  const result = JSON.parse(readFileSync(out, 'utf8'));
  console.log(`terminal final line: p50 ${result.terminalMs.p50} ms, p95 ${result.terminalMs.p95} ms, max ${result.terminalMs.max} ms`);
  console.log(`tree shows new state: p50 ${result.treeMs.p50} ms, p95 ${result.treeMs.p95} ms, max ${result.treeMs.max} ms`);
  console.log(`goal < ${result.goalMs} ms: ${result.terminalMs.max < result.goalMs && result.treeMs.max < result.goalMs ? 'met' : 'MISSED'} (${r.failed ? 'test failed' : 'test passed'})`);
  console.log(JSON.stringify({ ...result, met: result.terminalMs.max < result.goalMs && result.treeMs.max < result.goalMs }));
}

main().catch((e) => {
  console.error(`task-latency: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
