// Entry point VS Code loads through extensionTestsPath: runs every *.test.js beside it with mocha,
// inside the real extension host, and writes the counts for the harness.
import Mocha from 'mocha';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { notRunRegistry } from '../harness/not-run';

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: 'spec' });
  const only = process.env.HOMELAB_TEST_GREP;
  if (only) mocha.grep(new RegExp(only, 'i'));
  const files = readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort();
  for (const f of files) mocha.addFile(join(__dirname, f));
  const failures: string[] = [];
  const notRun: string[] = [];
  console.log('HOMELAB-MOCHA-START');
  const stats = await new Promise<Mocha.Stats>((resolve) => {
    const runner = mocha.run(() => resolve(runner.stats!));
    runner.on('fail', (test, err) => failures.push(`${test.fullTitle()}: ${err?.message ?? err}`));
    runner.on('pending', (test) => {
      const reason = notRunRegistry().get(test.fullTitle());
      if (reason !== undefined) notRun.push(`${test.fullTitle()}: ${reason}`);
    });
  });
  const resultsFile = process.env.HOMELAB_TEST_RESULTS;
  if (resultsFile) {
    writeFileSync(resultsFile, JSON.stringify({ passed: stats.passes, failed: stats.failures, pending: stats.pending - notRun.length, notRun: notRun.length, notRunList: notRun, failures }));
  }
  if (stats.failures > 0) throw new Error(`${stats.failures} extension-host test(s) failed`);
}
