import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

// Activation must not pay for @kubernetes/client-node (it is large): importing the providers may
// not load it; only using them does. Checked in a fresh process, since this one has loaded it.
describe('kubernetes providers load @kubernetes/client-node lazily', () => {
  const root = join(__dirname, '..', '..', '..');
  const probe = (body: string) => execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', `
    const Module = require('node:module');
    const seen = [];
    const load = Module._load;
    Module._load = function (request, ...rest) { if (String(request).includes('@kubernetes/client-node')) seen.push(request); return load.call(this, request, ...rest); };
    ${body}
    process.stdout.write(JSON.stringify(seen));
  `], { cwd: root, encoding: 'utf8', timeout: 60_000 });

  it('importing every provider module does not load it', function () {
    this.timeout(60_000);
    const seen = JSON.parse(probe(`for (const m of ['actions', 'client', 'errors', 'informer', 'kubeconfig', 'resources', 'lib']) require('./src/providers/kubernetes/' + m);
      require('./src/providers/kubernetes/resources').summarize('pods', { metadata: { name: 'p' } });`)) as string[];
    assert.deepEqual(seen, []);
  });

  it('using the client loads it (the probe would see it)', function () {
    this.timeout(60_000);
    const seen = JSON.parse(probe(`const { KubeClient } = require('./src/providers/kubernetes/client');
      new KubeClient({ context: 'x', server: 'https://127.0.0.1:1', namespace: 'default' });`)) as string[];
    assert.deepEqual(seen, ['@kubernetes/client-node']);
  });
});
