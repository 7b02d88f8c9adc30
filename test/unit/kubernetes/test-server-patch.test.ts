// The test server's patch semantics must match kube-apiserver's for the tests to mean anything.
import assert from 'node:assert/strict';
import { jsonPatch, leafPaths, mergePatch, strategicMergePatch } from '../../k8s-server/patch';
import { matchesLabels } from '../../k8s-server/server';

describe('k8s test server patch semantics', () => {
  it('merge patch (RFC 7386): maps merge, null deletes, lists replace', () => {
    assert.deepEqual(mergePatch({ a: 1, b: { c: 2, d: 3 }, l: [1, 2] }, { b: { c: null, e: 4 }, l: [3] }), { a: 1, b: { d: 3, e: 4 }, l: [3] });
  });

  it('strategic merge: containers merge by name, $patch delete removes one', () => {
    const cur = { spec: { containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }] } };
    assert.deepEqual(strategicMergePatch(cur, { spec: { containers: [{ name: 'b', image: 'b:2' }, { name: 'c', image: 'c:1' }] } }),
      { spec: { containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:2' }, { name: 'c', image: 'c:1' }] } });
    assert.deepEqual(strategicMergePatch(cur, { spec: { containers: [{ name: 'a', $patch: 'delete' }] } }), { spec: { containers: [{ name: 'b', image: 'b:1' }] } });
    assert.deepEqual(strategicMergePatch({ spec: { template: { metadata: { annotations: { x: '1' } } } } }, { spec: { template: { metadata: { annotations: { y: '2' } } } } }),
      { spec: { template: { metadata: { annotations: { x: '1', y: '2' } } } } });
  });

  it('json patch: add, replace, remove, test', () => {
    assert.deepEqual(jsonPatch({ a: [1, 2], b: 1 }, [{ op: 'add', path: '/a/-', value: 3 }, { op: 'replace', path: '/b', value: 2 }, { op: 'remove', path: '/a/0' }]), { a: [2, 3], b: 2 });
    assert.throws(() => jsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }]), /test failed/);
  });

  it('apply ownership: leaf paths, lists atomic, empty maps own nothing', () => {
    assert.deepEqual([...leafPaths({ metadata: {}, data: { a: '1' }, spec: { ports: [{ port: 80 }] } }).keys()], ['.data.a', '.spec.ports']);
  });

  it('label selectors', () => {
    assert.ok(matchesLabels('app=web,tier!=db', { app: 'web', tier: 'fe' }));
    assert.ok(!matchesLabels('app=web', { app: 'api' }));
    assert.ok(matchesLabels('env in (a, b),!legacy', { env: 'b' }));
    assert.ok(!matchesLabels('team', {}));
  });
});
