import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { onTestServerOnly, setupEnv, TestEnv } from './env';
import { KubeClient } from '../../../src/providers/kubernetes/client';
import { isKubeError, KubeError } from '../../../src/providers/kubernetes/errors';
import { connectionFor, loadKubeconfig, setCurrentContext } from '../../../src/providers/kubernetes/kubeconfig';

// These tests build kubeconfigs pointing at the test server, so they need it.
onTestServerOnly(() => describe('kubernetes kubeconfig with broken inputs [test server only]', function () {
  let env: TestEnv;
  let paths: string[];
  before(async () => {
    env = await setupEnv();
    const s = env.server!;
    const good = s.writeKubeconfig(join(env.tmp, 'good.yaml'), { contexts: [{ name: 'good', server: s.url, caPem: s.caPem, token: s.token }] });
    const plugin = join(env.tmp, 'cred-ok.sh');
    writeFileSync(plugin, `#!/bin/sh\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"${s.token}"}}'\n`);
    chmodSync(plugin, 0o755);
    const failing = join(env.tmp, 'cred-fail.sh');
    writeFileSync(failing, '#!/bin/sh\necho "error: refresh token expired, run homelab-login" >&2\nexit 2\n');
    chmodSync(failing, 0o755);
    const mixed = s.writeKubeconfig(join(env.tmp, 'mixed.yaml'), {
      currentContext: 'exec-ok',
      contexts: [
        { name: 'exec-ok', server: s.url, caPem: s.caPem, exec: { command: './cred-ok.sh' } },
        { name: 'exec-fail', server: s.url, caPem: s.caPem, exec: { command: failing } },
        { name: 'exec-missing', server: s.url, caPem: s.caPem, exec: { command: 'homelab-no-such-plugin' } },
        { name: 'missing-ca', server: s.url, caFile: join(env.tmp, 'nope', 'ca.crt'), token: s.token },
      ],
    });
    const malformed = join(env.tmp, 'malformed.yaml');
    writeFileSync(malformed, 'apiVersion: v1\nclusters: [\n  - name: x\n    cluster: {server: "https://x"\ncontexts: :::\n');
    paths = [join(env.tmp, 'missing.yaml'), malformed, good, mixed];
  });
  after(async () => { await env.close(); });

  const load = () => loadKubeconfig({ env: { KUBECONFIG: paths.join(delimiter) } });
  async function caught(p: Promise<unknown> | (() => unknown)): Promise<KubeError> {
    try { await (typeof p === 'function' ? p() : p); } catch (e) { assert.ok(isKubeError(e), String(e)); return e; }
    assert.fail('expected an error');
  }

  it('loads the good contexts despite a missing file and a malformed file', () => {
    const cfg = load();
    assert.deepEqual(cfg.contexts.map((c) => c.name), ['good', 'exec-ok', 'exec-fail', 'exec-missing', 'missing-ca']);
    assert.equal(cfg.fileProblems.length, 2);
    assert.match(cfg.fileProblems[0].message, /missing\.yaml does not exist/);
    assert.match(cfg.fileProblems[1].message, /malformed\.yaml is not valid YAML/);
    // current-context comes from the first file that sets it
    assert.equal(cfg.currentContext, 'good');
  });

  it('flags a context whose referenced file is missing, and only that one', async () => {
    const cfg = load();
    const bad = cfg.contexts.find((c) => c.name === 'missing-ca')!;
    assert.equal(bad.error?.kind, 'config');
    assert.match(bad.error!.message, /certificate-authority file .*nope\/ca\.crt does not exist/);
    assert.equal(cfg.contexts.filter((c) => c.error).length, 1);
    assert.equal((await caught(() => connectionFor(cfg, 'missing-ca'))).kind, 'config');
  });

  it('connects with a working context and with an exec credential plugin', async () => {
    const cfg = load();
    for (const name of ['good', 'exec-ok']) {
      const c = new KubeClient(connectionFor(cfg, name));
      const list = await c.request<{ items: { metadata: { name: string } }[] }>('GET', '/api/v1/namespaces');
      assert.ok(list.items.some((n) => n.metadata.name === env.namespace), name);
      c.close();
    }
  });

  it('reports a failing exec plugin per context with its stderr, without breaking others', async () => {
    const cfg = load();
    const fail = new KubeClient(connectionFor(cfg, 'exec-fail'));
    const e = await caught(fail.request('GET', '/api/v1/namespaces'));
    assert.equal(e.kind, 'config');
    assert.match(e.message, /context "exec-fail" failed: exit code 2: error: refresh token expired/);
    const missing = new KubeClient(connectionFor(cfg, 'exec-missing'));
    assert.match((await caught(missing.request('GET', '/api/v1/namespaces'))).message, /homelab-no-such-plugin.*command not found/);
    const ok = new KubeClient(connectionFor(cfg, 'good'));
    await ok.request('GET', '/api/v1/namespaces');
    [fail, missing, ok].forEach((c) => c.close());
  });

  it('switches context by rewriting only the current-context line of the right file', () => {
    const cfg = load();
    const goodFile = paths[2];
    const before = readFileSync(goodFile, 'utf8');
    writeFileSync(goodFile, `# my comment\n${before}`);
    const written = setCurrentContext(cfg, 'exec-ok');
    assert.equal(written, goodFile, 'the first file that sets current-context');
    const after = readFileSync(goodFile, 'utf8');
    assert.equal(after, `# my comment\n${before}`.replace(/^current-context:.*$/m, 'current-context: "exec-ok"'));
    assert.equal(load().currentContext, 'exec-ok');
    assert.throws(() => setCurrentContext(cfg, 'no-such-context'), /not defined/);
  });
}));
