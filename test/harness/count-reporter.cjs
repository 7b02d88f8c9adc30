// Mocha's spec reporter, plus the counts written to $HOMELAB_TEST_RESULTS for scripts/test.mjs.
const Mocha = require('mocha');
const { writeFileSync } = require('node:fs');

class CountReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const failures = [];
    runner.on('fail', (test, err) => failures.push(`${test.fullTitle()}: ${err && err.message}`));
    runner.once('end', () => {
      const s = runner.stats;
      if (process.env.HOMELAB_TEST_RESULTS) {
        writeFileSync(process.env.HOMELAB_TEST_RESULTS, JSON.stringify({ passed: s.passes, failed: s.failures, pending: s.pending, failures }));
      }
    });
  }
}
module.exports = CountReporter;
