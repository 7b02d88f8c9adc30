import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manifestFiles, parseManifests, parseReplicas, toYaml } from '../../../src/providers/kubernetes/actions';

describe('kubernetes manifests and action inputs', () => {
  it('accepts whole replica counts from 0 to 1000 only', () => {
    assert.equal(parseReplicas('0'), 0);
    assert.equal(parseReplicas(' 12 '), 12);
    assert.equal(parseReplicas(1000), 1000);
    for (const bad of ['-1', '1.5', 'abc', '', '1e3', 1001, -1, NaN, 2.5]) assert.throws(() => parseReplicas(bad as string), /whole number/, String(bad));
  });

  it('parses multi-document YAML, skips empty documents and flattens Lists', () => {
    const docs = parseManifests(`---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: b}\n`, 'x.yaml');
    assert.deepEqual(docs.map((d) => `${d.kind}/${d.metadata.name}`), ['ConfigMap/a', 'Secret/b']);
  });

  it('rejects documents that are not objects or lack a name, naming the file and document', () => {
    assert.throws(() => parseManifests('apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n', 'f.yaml'), /f\.yaml, document 1 \(ConfigMap\): metadata\.name is required/);
    assert.throws(() => parseManifests('---\napiVersion: v1\nkind: A\nmetadata: {name: a}\n---\n- just a list\n', 'g.yaml'), /g\.yaml, document 2: not a Kubernetes object/);
    assert.throws(() => parseManifests('a: [1,\n', 'h.yaml'), /h\.yaml is not valid YAML/);
  });

  it('finds manifest files in a folder, sorted and recursive, ignoring other files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'manifests-'));
    try {
      mkdirSync(join(dir, 'sub'));
      for (const f of ['b.yaml', 'a.yml', 'c.json', 'README.md', 'sub/d.yaml']) writeFileSync(join(dir, f), '');
      assert.deepEqual(manifestFiles(dir).map((p) => p.slice(dir.length + 1)), ['a.yml', 'b.yaml', 'c.json', 'sub/d.yaml']);
      assert.deepEqual(manifestFiles(join(dir, 'b.yaml')), [join(dir, 'b.yaml')]);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  it('hides Secret values (and the last-applied annotation) unless revealed; drops managedFields', () => {
    const secret = {
      apiVersion: 'v1', kind: 'Secret', type: 'Opaque',
      metadata: { name: 's', namespace: 'n', managedFields: [{ manager: 'x' }], annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"k":"c2VjcmV0"}}' } },
      data: { k: 'c2VjcmV0' }, stringData: { plain: 'secret' },
    };
    const hidden = toYaml('secrets', secret);
    assert.ok(!hidden.includes('c2VjcmV0') && !hidden.includes('plain: secret'), hidden);
    assert.ok(!hidden.includes('managedFields'));
    assert.match(hidden, /k: <redacted>/);
    assert.match(toYaml('secrets', secret, { reveal: true }), /k: c2VjcmV0/);
    assert.equal(secret.data.k, 'c2VjcmV0', 'input not mutated');
    assert.match(toYaml('configmaps', { metadata: { name: 'c' }, data: { k: 'visible' } }), /k: visible/);
  });
});
