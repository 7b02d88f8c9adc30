import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

  it('reading a kubeconfig and listing its contexts does not load it (the first render of the view); a connection does', function () {
    this.timeout(60_000);
    const dir = mkdtempSync(join(tmpdir(), 'homelab-lazy-'));
    const file = join(dir, 'config');
    writeFileSync(file, ['apiVersion: v1', 'kind: Config', 'current-context: a', 'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]',
      'users: [{name: u, user: {token: t}}]', 'contexts: [{name: a, context: {cluster: c, user: u, namespace: ns}}, {name: b, context: {cluster: c, user: u}}]'].join('\n'));
    try {
      const listed = JSON.parse(probe(`const cfg = require('./src/providers/kubernetes/kubeconfig').loadKubeconfig({ paths: [${JSON.stringify(file)}] });
        if (cfg.contexts.map((c) => c.name + ':' + c.server).join(',') !== 'a:https://127.0.0.1:1,b:https://127.0.0.1:1' || cfg.currentContext !== 'a') throw new Error('contexts: ' + JSON.stringify(cfg.contexts));`)) as string[];
      assert.deepEqual(listed, []);
      const connected = JSON.parse(probe(`const k = require('./src/providers/kubernetes/kubeconfig'); const c = k.connectionFor(k.loadKubeconfig({ paths: [${JSON.stringify(file)}] }), 'a');
        if (c.namespace !== 'ns' || c.server !== 'https://127.0.0.1:1') throw new Error(JSON.stringify(c));`)) as string[];
      assert.deepEqual(connected, ['@kubernetes/client-node']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('using the client loads it (the probe would see it)', function () {
    this.timeout(60_000);
    const seen = JSON.parse(probe(`const { KubeClient } = require('./src/providers/kubernetes/client');
      new KubeClient({ context: 'x', server: 'https://127.0.0.1:1', namespace: 'default' });`)) as string[];
    assert.deepEqual(seen, ['@kubernetes/client-node']);
  });
});
