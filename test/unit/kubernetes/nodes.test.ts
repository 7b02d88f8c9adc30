import { strict as assert } from 'node:assert';
import { memoryGiB, nodeSummary } from '../../../src/providers/kubernetes/nodes';

describe('kubernetes nodes: what the Nodes group shows', () => {
  const node = (o: { ready?: string; pressure?: string[]; unschedulable?: boolean; roles?: string[] }) => ({
    metadata: { name: 'n1', labels: Object.fromEntries((o.roles ?? []).map((r) => [`node-role.kubernetes.io/${r}`, 'true'])) },
    spec: o.unschedulable ? { unschedulable: true } : {},
    status: {
      nodeInfo: { kubeletVersion: 'v1.31.4+k3s1' },
      capacity: { cpu: '4', memory: '8148716Ki', pods: '110' }, allocatable: { cpu: '3800m', memory: '7Gi', pods: '110' },
      addresses: [{ type: 'InternalIP', address: '10.0.0.5' }, { type: 'Hostname', address: 'n1' }],
      conditions: [
        ...(o.ready ? [{ type: 'Ready', status: o.ready, reason: o.ready === 'True' ? 'KubeletReady' : 'KubeletNotReady', message: o.ready === 'True' ? '' : 'container runtime network not ready' }] : []),
        ...['MemoryPressure', 'DiskPressure', 'PIDPressure'].map((t) => ({ type: t, status: o.pressure?.includes(t) ? 'True' : 'False' })),
      ],
    },
  });

  it('Ready, roles, version, capacity, allocatable, address', () => {
    const s = nodeSummary(node({ ready: 'True', roles: ['master', 'control-plane', 'etcd'] }));
    assert.equal(s.ready, 'True');
    assert.deepEqual(s.roles, ['control-plane', 'etcd', 'master']);
    assert.equal(s.version, 'v1.31.4+k3s1');
    assert.deepEqual(s.capacity, { cpu: '4', memory: '8148716Ki', pods: '110' });
    assert.equal(s.allocatable.cpu, '3800m');
    assert.equal(s.internalIp, '10.0.0.5');
    assert.deepEqual(s.pressure, []);
    assert.equal(s.readyDetail, undefined);
  });

  it('NotReady with its reason, pressure conditions that are True, cordoned, no Ready condition yet', () => {
    const s = nodeSummary(node({ ready: 'False', pressure: ['DiskPressure'], unschedulable: true }));
    assert.equal(s.ready, 'False');
    assert.equal(s.readyDetail, 'KubeletNotReady: container runtime network not ready');
    assert.deepEqual(s.pressure, ['DiskPressure']);
    assert.equal(s.unschedulable, true);
    assert.equal(nodeSummary(node({})).ready, 'Unknown');
  });

  it('memory in GiB', () => {
    assert.equal(memoryGiB('8148716Ki'), '7.8 GiB');
    assert.equal(memoryGiB('7Gi'), '7.0 GiB');
    assert.equal(memoryGiB('1073741824'), '1.0 GiB');
    assert.equal(memoryGiB('odd'), 'odd');
    assert.equal(memoryGiB(undefined), undefined);
  });
});
