// Mocha's spec reporter, plus the counts written to $HOMELAB_TEST_RESULTS for scripts/test.mjs.
const Mocha = require('mocha');
const { writeFileSync } = require('node:fs');

class CountReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const failures = [];
    const notRun = [];
    runner.on('fail', (test, err) => failures.push(`${test.fullTitle()}: ${err && err.message}`));
    // A test that ended through test/harness/not-run.ts is "not run" (with its reason); any other skip stays a skip.
    runner.on('pending', (test) => {
      const reason = globalThis[Symbol.for('homelab.test.notRun')]?.get(test.fullTitle());
      if (reason !== undefined) notRun.push(`${test.fullTitle()}: ${reason}`);
    });
    runner.once('end', () => {
      const s = runner.stats;
      if (process.env.HOMELAB_TEST_RESULTS) {
        writeFileSync(process.env.HOMELAB_TEST_RESULTS, JSON.stringify({ passed: s.passes, failed: s.failures, pending: s.pending - notRun.length, notRun: notRun.length, notRunList: notRun, failures }));
      }
    });
  }
}
module.exports = CountReporter;
