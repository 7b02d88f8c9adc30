// Runs a measurement module (test/exthost/bench-*.ts) inside a real VS Code extension host and
// returns what it reported. Shared by the benchmarks that need the real API.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runExtensionHostTests } from '../scripts/lib/exthost.mjs';
import { ensureTools, root } from '../scripts/lib/tools.mjs';

export async function measureInExtensionHost<T>(name: string, env: Record<string, string> = {}): Promise<T> {
  ensureTools();
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs'), '--production', '--tests'], { stdio: 'inherit' });
  const workspace = join(root, `.run/bench/${name}-workspace`);
  mkdirSync(workspace, { recursive: true });
  const r = (await runExtensionHostTests({
    runDir: join(root, `.run/bench/${name}`),
    extensionPath: root,
    testsPath: join(root, `out/exthost/bench-${name}`),
    workspace,
    env,
    onLog: (l: string) => (process.env.BENCH_VERBOSE ? console.log(l) : undefined),
  })) as { result?: T };
  if (!r.result) throw new Error(`the extension host did not report a measurement for ${name}`);
  return r.result;
}

export function runBench(name: string, body: () => Promise<void>): void {
  body().then(
    () => process.exit(0),
    (e) => {
      console.error(`bench/${name}: ${e instanceof Error ? e.message : e}`);
      process.exit(1);
    },
  );
}
