import * as assert from 'node:assert/strict';
import { summarize, type KubeObject } from '../../../src/providers/kubernetes/resources';
import { conditionRows, CONTEXT_VALUES, healthIcon, objectTooltip, podContainers, visibleNamespaces, type Translate } from '../../../src/views/kubernetes/items';

const t: Translate = (m, ...a) => m.replace(/\{(\d+)\}/g, (_, i) => String(a[Number(i)]));

const failingDeployment: KubeObject = {
  metadata: { name: 'api', namespace: 'apps', labels: { app: 'api' }, creationTimestamp: '2026-11-21T10:00:00Z' },
  spec: { replicas: 3 },
  status: {
    readyReplicas: 1,
    conditions: [
      { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' },
      { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "api-7d" has timed out progressing.' },
    ],
  },
};

describe('Kubernetes tree items (pure presentation)', () => {
  it('marks the conditions of a failing rollout as not ok, ReplicaFailure=True as bad', () => {
    assert.deepEqual(conditionRows(failingDeployment).map((r) => [r.type, r.ok]), [['Available', false], ['Progressing', false]]);
    const rf = conditionRows({ metadata: { name: 'x' }, status: { conditions: [{ type: 'ReplicaFailure', status: 'True' }, { type: 'Available', status: 'True' }] } });
    assert.deepEqual(rf.map((r) => r.ok), [false, true]);
    assert.deepEqual(conditionRows({ metadata: { name: 'x' } }), []);
  });

  it('writes a markdown tooltip with the failing condition, a conditions table and labels', () => {
    const md = objectTooltip('deployments', failingDeployment, summarize('deployments', failingDeployment), t);
    assert.match(md, /\*\*Deployment api\*\*/);
    assert.match(md, /Namespace: apps/);
    assert.match(md, /1\/3 ready · ProgressDeadlineExceeded/);
    assert.match(md, /\$\(error\) ReplicaSet "api\\-7d" has timed out progressing\\\./);
    assert.match(md, /\| Progressing \| \$\(error\) False \| ProgressDeadlineExceeded \|/);
    assert.match(md, /`app=api`/);
  });

  it('escapes markdown in names so an object cannot inject links', () => {
    const obj: KubeObject = { metadata: { name: '[x](http://evil)', namespace: 'n' }, data: {} };
    const md = objectTooltip('configmaps', obj, summarize('configmaps', obj), t);
    assert.doesNotMatch(md, /\[x\]\(http/);
  });

  it('lists pod containers and their state in the tooltip', () => {
    const pod: KubeObject = {
      metadata: { name: 'p', namespace: 'n' },
      spec: { nodeName: 'k3s-1', containers: [{ name: 'app' }, { name: 'sidecar' }] },
      status: { phase: 'Running', containerStatuses: [{ name: 'app', image: 'nginx', ready: true, restartCount: 2 }, { name: 'sidecar', image: 'envoy', ready: false }] },
    };
    const md = objectTooltip('pods', pod, summarize('pods', pod), t);
    assert.match(md, /app `nginx` ready · 2 restarts/);
    assert.match(md, /sidecar `envoy` not ready/);
    assert.match(md, /Node: k3s\\-1/);
    assert.deepEqual(podContainers(pod), ['app', 'sidecar']);
  });

  it('chooses icons by health and context values per kind', () => {
    assert.equal(healthIcon('failing').icon, 'error');
    assert.equal(healthIcon('ok').icon, 'pass');
    assert.equal(healthIcon('progressing').icon, 'sync');
    assert.equal(healthIcon('unknown').color, undefined);
    assert.equal(CONTEXT_VALUES.deployments, 'k8s-deployment');
    assert.equal(CONTEXT_VALUES.persistentvolumeclaims, 'k8s-pvc');
  });

  it('shows the namespace filter in its order, else all sorted, else the context namespace', () => {
    assert.deepEqual(visibleNamespaces(['b', 'a', 'c'], ['c', 'a', 'c'], 'default'), ['c', 'a']);
    assert.deepEqual(visibleNamespaces(['b', 'a'], [], 'default'), ['a', 'b']);
    assert.deepEqual(visibleNamespaces(undefined, [], 'team'), ['team']);
  });
});
