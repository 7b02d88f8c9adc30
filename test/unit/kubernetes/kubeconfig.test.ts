import assert from 'node:assert/strict';
import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { connectionFor, kubeconfigPaths, loadKubeconfig, setCurrentContext } from '../../../src/providers/kubernetes/kubeconfig';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('kubernetes kubeconfig (files only)', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'kubeconfig-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => { const p = join(dir, name); writeFileSync(p, text); return p; };

  it('uses KUBECONFIG (deduplicated) or ~/.kube/config', () => {
    assert.deepEqual(kubeconfigPaths({ KUBECONFIG: ['/a', '', '/b', '/a'].join(delimiter) }, '/home/u'), ['/a', '/b']);
    assert.deepEqual(kubeconfigPaths({}, '/home/u'), ['/home/u/.kube/config']);
  });

  it('merges files: the first definition of a name and the first current-context win', () => {
    const a = file('a', `current-context: one\nclusters:\n- name: c\n  cluster: {server: "https://first:6443/", certificate-authority-data: ${b64('CA1')}}\nusers:\n- name: u\n  user: {token: t1}\ncontexts:\n- name: one\n  context: {cluster: c, user: u, namespace: apps}\n`);
    const b = file('b', `current-context: two\nclusters:\n- name: c\n  cluster: {server: "https://second:6443"}\n- name: d\n  cluster: {server: "https://d:6443"}\nusers:\n- name: u\n  user: {token: t2}\ncontexts:\n- name: two\n  context: {cluster: d, user: u}\n- name: one\n  context: {cluster: d, user: u}\n`);
    const cfg = loadKubeconfig({ paths: [a, b] });
    assert.equal(cfg.currentContext, 'one');
    const one = connectionFor(cfg);
    assert.deepEqual({ server: one.server, ca: one.caPem, token: one.token, ns: one.namespace }, { server: 'https://first:6443', ca: 'CA1', token: 't1', ns: 'apps' });
    const two = connectionFor(cfg, 'two');
    assert.equal(two.server, 'https://d:6443');
    assert.equal(two.token, 't1', 'user u from the first file');
    assert.equal(two.namespace, 'default');
  });

  it('resolves referenced files relative to the kubeconfig that names them', () => {
    file('ca.crt', 'CA-PEM');
    file('tok', 'file-token\n');
    const a = file('a', `clusters:\n- name: c\n  cluster: {server: "https://x", certificate-authority: ca.crt}\nusers:\n- name: u\n  user: {tokenFile: tok}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n`);
    const conn = connectionFor(loadKubeconfig({ paths: [a] }), 'x');
    assert.equal(conn.caPem, 'CA-PEM');
    assert.equal(conn.token, 'file-token');
  });

  it('reports per-context problems: unknown cluster or user, insecure TLS, cert without key', () => {
    const a = file('a', [
      'clusters:',
      '- {name: ok, cluster: {server: "https://ok"}}',
      '- {name: insecure, cluster: {server: "https://i", insecure-skip-tls-verify: true}}',
      'users:',
      `- {name: halfcert, user: {client-certificate-data: ${b64('CERT')}}}`,
      'contexts:',
      '- {name: no-cluster, context: {cluster: ghost, user: x}}',
      '- {name: no-user, context: {cluster: ok, user: ghost}}',
      '- {name: insecure, context: {cluster: insecure}}',
      '- {name: halfcert, context: {cluster: ok, user: halfcert}}',
      '- {name: anonymous, context: {cluster: ok}}',
    ].join('\n'));
    const cfg = loadKubeconfig({ paths: [a] });
    const err = (n: string) => cfg.contexts.find((c) => c.name === n)!.error?.message;
    assert.match(err('no-cluster')!, /cluster "ghost" is not defined/);
    assert.match(err('no-user')!, /user "ghost" is not defined/);
    assert.match(err('insecure')!, /insecure-skip-tls-verify/);
    assert.equal(err('halfcert'), undefined);
    assert.throws(() => connectionFor(cfg, 'halfcert'), /client certificate without its key/);
    assert.equal(connectionFor(cfg, 'anonymous').token, undefined);
    assert.throws(() => connectionFor(cfg), /No current context/);
    assert.throws(() => connectionFor(cfg, 'nope'), /Context "nope" is not defined/);
  });

  it('treats an empty file as empty and a non-mapping as a file problem', () => {
    const empty = file('empty', '');
    const list = file('list', '- 1\n- 2\n');
    const cfg = loadKubeconfig({ paths: [empty, list] });
    assert.equal(cfg.contexts.length, 0);
    assert.deepEqual(cfg.fileProblems.map((p) => p.file), [list]);
  });

  it('adds current-context to the first file when no file sets it, keeping the text', () => {
    const text = `# keep me\nclusters:\n- {name: c, cluster: {server: "https://x"}}\ncontexts:\n- {name: "weird: name", context: {cluster: c}}\n`;
    const a = file('a', text);
    const cfg = loadKubeconfig({ paths: [a] });
    setCurrentContext(cfg, 'weird: name');
    assert.equal(readFileSync(a, 'utf8'), `${text}current-context: "weird: name"\n`);
    assert.equal(loadKubeconfig({ paths: [a] }).currentContext, 'weird: name');
  });

  it('switching the context rewrites the file atomically: same mode, a backup of the first version, the symlink kept (issue 12 item 9)', () => {
    const text = `clusters:\n- {name: c, cluster: {server: "https://x"}}\ncontexts:\n- {name: a, context: {cluster: c}}\n- {name: b, context: {cluster: c}}\ncurrent-context: a\n`;
    const real = file('real-config', text);
    chmodSync(real, 0o600);
    const link = real + '-link';
    symlinkSync(real, link);
    const cfg = loadKubeconfig({ paths: [link] });
    setCurrentContext(cfg, 'b');
    assert.ok(lstatSync(link).isSymbolicLink(), 'the symlink is kept');
    assert.equal(statSync(real).mode & 0o777, 0o600);
    assert.equal(readFileSync(real, 'utf8'), text.replace('current-context: a', 'current-context: "b"'));
    const backup = real + '.homelab-backup';
    assert.equal(readFileSync(backup, 'utf8'), text, 'the first version is kept');
    assert.equal(statSync(backup).mode & 0o077, 0, 'the backup is private');
    setCurrentContext(cfg, 'a');
    assert.equal(readFileSync(backup, 'utf8'), text, 'a later switch keeps the first backup');
    assert.deepEqual(readdirSync(dirname(real)).filter((n) => n.endsWith('.homelab-tmp')), []);
  });
});
