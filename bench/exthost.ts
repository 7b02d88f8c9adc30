// Runs a measurement module (test/exthost/bench-*.ts) inside a real VS Code extension host and
// returns what it reported. Shared by the benchmarks that need the real API.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runExtensionHostTests } from '../scripts/lib/exthost.mjs';
import { ensureTools, root } from '../scripts/lib/tools.mjs';

/** The production bundle and the extension-host measurement modules (out/exthost/). */
export function buildProduction(): void {
  ensureTools();
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs'), '--production', '--tests'], { stdio: 'inherit' });
}

export interface MeasureOptions {
  /** Build first (default true); false when the caller built once for several runs. */
  build?: boolean;
  /** Export the test API (default true); false measures the extension as users get it. */
  testHooks?: boolean;
  runDir?: string;
  /** Called after the host stopped, before the next run clears its folder (to read its logs). */
  onDone?: () => void;
}

export async function measureInExtensionHost<T>(name: string, env: Record<string, string> = {}, o: MeasureOptions = {}): Promise<T> {
  if (o.build !== false) buildProduction();
  const workspace = join(root, `.run/bench/${name}-workspace`);
  mkdirSync(workspace, { recursive: true });
  const r = (await runExtensionHostTests({
    runDir: o.runDir ?? join(root, `.run/bench/${name}`),
    extensionPath: root,
    testsPath: join(root, `out/exthost/bench-${name}`),
    workspace,
    env,
    testHooks: o.testHooks ?? true,
    onLog: (l: string) => (process.env.BENCH_VERBOSE ? console.log(l) : undefined),
  })) as { result?: T };
  o.onDone?.();
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
