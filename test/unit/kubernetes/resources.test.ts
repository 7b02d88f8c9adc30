import assert from 'node:assert/strict';
import { collectionPath, failingCondition, KubeObject, objectPath, podStatusText, summarize } from '../../../src/providers/kubernetes/resources';

const obj = (extra: Partial<KubeObject>): KubeObject => ({ metadata: { name: 'x', namespace: 'ns' }, ...extra });

describe('kubernetes resources', () => {
  it('builds API paths for core, grouped and cluster-scoped kinds', () => {
    assert.equal(collectionPath('pods', 'ns'), '/api/v1/namespaces/ns/pods');
    assert.equal(collectionPath('pods'), '/api/v1/pods');
    assert.equal(collectionPath('ingresses', 'ns'), '/apis/networking.k8s.io/v1/namespaces/ns/ingresses');
    assert.equal(objectPath('deployments', 'ns', 'web', 'scale'), '/apis/apps/v1/namespaces/ns/deployments/web/scale');
    assert.equal(objectPath('namespaces', undefined, 'ns'), '/api/v1/namespaces/ns');
    assert.equal(objectPath('configmaps', 'a b', 'c/d'), '/api/v1/namespaces/a%20b/configmaps/c%2Fd');
    assert.throws(() => objectPath('pods', undefined, 'p'), /needs a namespace/);
  });

  it('summarizes deployments: ready/desired, progressing, failing rollout', () => {
    assert.deepEqual(
      (({ description, health }) => ({ description, health }))(summarize('deployments', obj({ spec: { replicas: 3 }, status: { readyReplicas: 3 } }))),
      { description: '3/3 ready', health: 'ok' });
    const prog = summarize('deployments', obj({ spec: { replicas: 3 }, status: { readyReplicas: 1 } }));
    assert.equal(prog.description, '1/3 ready');
    assert.equal(prog.health, 'progressing');
    const failing = obj({ spec: { replicas: 2 }, status: { conditions: [{ type: 'Available', status: 'False' }, { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "x-1" has timed out progressing.' }] } });
    const f = summarize('deployments', failing);
    assert.equal(f.health, 'failing');
    assert.equal(f.description, '0/2 ready · ProgressDeadlineExceeded');
    assert.match(f.problem!, /timed out/);
    assert.equal(failingCondition(obj({ status: { conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate' }] } }))?.reason, 'FailedCreate');
    assert.equal(summarize('statefulsets', obj({ spec: {}, status: {} })).description, '0/1 ready', 'replicas default to 1');
    assert.equal(summarize('daemonsets', obj({ status: { numberReady: 2, desiredNumberScheduled: 3 } })).description, '2/3 ready');
  });

  it('summarizes pods with phase, waiting reasons and restarts', () => {
    const running = summarize('pods', obj({ spec: { containers: [{}, {}] }, status: { phase: 'Running', containerStatuses: [{ ready: true, restartCount: 1 }, { ready: true, restartCount: 3 }] } }));
    assert.equal(running.description, 'Running · 2/2 · 4 restarts');
    assert.equal(running.health, 'ok');
    const crash = obj({ spec: { containers: [{}] }, status: { phase: 'Running', containerStatuses: [{ ready: false, restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s' } } }] } });
    assert.equal(podStatusText(crash), 'CrashLoopBackOff');
    const c = summarize('pods', crash);
    assert.equal(c.description, 'CrashLoopBackOff · 0/1 · 1 restart');
    assert.equal(c.health, 'failing');
    assert.equal(c.problem, 'back-off 5m0s');
    assert.equal(summarize('pods', obj({ spec: { containers: [{}] }, status: { phase: 'Pending' } })).health, 'progressing');
    assert.equal(podStatusText(obj({ metadata: { name: 'p', deletionTimestamp: '2026-01-01T00:00:00Z' }, status: { phase: 'Running' } })), 'Terminating');
  });

  it('summarizes services, ingresses, PVCs, configmaps and secrets', () => {
    assert.equal(summarize('services', obj({ spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }, { port: 53, protocol: 'UDP' }] } })).description, 'NodePort 80:30080/TCP, 53/UDP');
    const lb = summarize('services', obj({ spec: { type: 'LoadBalancer', ports: [{ port: 443 }] }, status: { loadBalancer: {} } }));
    assert.equal(lb.description, 'LoadBalancer 443/TCP (external IP pending)');
    assert.equal(lb.health, 'progressing');
    assert.equal(summarize('services', obj({ spec: { type: 'LoadBalancer', ports: [{ port: 443 }] }, status: { loadBalancer: { ingress: [{ ip: '192.168.1.240' }] } } })).description, 'LoadBalancer 443/TCP → 192.168.1.240');
    assert.equal(summarize('ingresses', obj({ spec: { rules: [{ host: 'a.lan' }, { host: 'b.lan' }], tls: [{}] } })).description, 'a.lan, b.lan (TLS)');
    assert.equal(summarize('persistentvolumeclaims', obj({ spec: { storageClassName: 'local-path', resources: { requests: { storage: '1Gi' } } }, status: { phase: 'Bound', capacity: { storage: '2Gi' } } })).description, 'Bound · 2Gi · local-path');
    const pending = summarize('persistentvolumeclaims', obj({ spec: { resources: { requests: { storage: '5Gi' } } }, status: { phase: 'Pending' } }));
    assert.equal(pending.description, 'Pending · 5Gi');
    assert.equal(pending.health, 'progressing');
    assert.equal(summarize('configmaps', obj({ data: { a: '1', b: '2' } })).description, '2 keys');
    assert.equal(summarize('secrets', obj({ type: 'kubernetes.io/tls', data: { 'tls.crt': 'x', 'tls.key': 'y' } })).description, 'kubernetes.io/tls · 2 keys');
    assert.equal(summarize('secrets', obj({ type: 'Opaque', data: { a: 'x' } })).description, '1 key');
  });
});
