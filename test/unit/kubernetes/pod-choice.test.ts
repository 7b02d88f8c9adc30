import { strict as assert } from 'node:assert';
import type { KubeObject } from '../../../src/providers/kubernetes/resources';
import { isReady, pickPod, targetPort } from '../../../src/services/kubernetes/pod-choice';

const pod = (name: string, o: { app?: string; ready?: boolean; phase?: string; deleting?: boolean; ports?: { name?: string; containerPort: number }[] } = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, namespace: 'default', labels: o.app ? { app: o.app } : {}, ...(o.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
  spec: { containers: [{ name: 'main', ports: o.ports ?? [] }] },
  status: { phase: o.phase ?? 'Running', conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
} as unknown as KubeObject);

describe('port-forward: which pod a service forward goes to', () => {
  it('ready means running, Ready=True and not being deleted', () => {
    assert.equal(isReady(pod('a')), true);
    assert.equal(isReady(pod('a', { ready: false })), false);
    assert.equal(isReady(pod('a', { phase: 'Pending' })), false);
    assert.equal(isReady(pod('a', { deleting: true })), false);
  });

  it('picks a ready pod matching the selector, keeps the current one while it is ready', () => {
    const pods = [pod('web-c', { app: 'web' }), pod('web-a', { app: 'web', ready: false }), pod('web-b', { app: 'web' }), pod('db-a', { app: 'db' })];
    assert.equal(pickPod(pods, { app: 'web' })?.metadata.name, 'web-b');
    assert.equal(pickPod(pods, { app: 'web' }, 'web-c')?.metadata.name, 'web-c');
    assert.equal(pickPod(pods, { app: 'web' }, 'web-a')?.metadata.name, 'web-b', 'an unready current pod is left');
    assert.equal(pickPod(pods, { app: 'web' }, 'gone')?.metadata.name, 'web-b');
    assert.equal(pickPod(pods, { app: 'cache' }), undefined);
    assert.equal(pickPod(pods, {}), undefined, 'an empty selector selects nothing');
  });

  it('resolves the target port: number, numeric string, container port name, else the service port', () => {
    const p = pod('a', { ports: [{ name: 'http', containerPort: 8080 }, { containerPort: 9090 }] });
    assert.equal(targetPort(p, { port: 80, targetPort: 3000 }), 3000);
    assert.equal(targetPort(p, { port: 80, targetPort: '3001' }), 3001);
    assert.equal(targetPort(p, { port: 80, targetPort: 'http' }), 8080);
    assert.equal(targetPort(p, { port: 80, targetPort: 'metrics' }), 80);
    assert.equal(targetPort(p, { port: 80 }), 80);
  });
});
