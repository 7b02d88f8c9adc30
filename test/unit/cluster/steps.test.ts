import * as assert from 'node:assert/strict';
import { clusterGroups, roleOf } from '../../../src/providers/cluster/groups';
import { clusterFiles } from '../../../src/providers/cluster/inventory';
import { UnsafeNameError } from '../../../src/providers/names';
import { destroyTaggedVm, type StepsApi } from '../../../src/providers/cluster/proxmox-steps';
import { hostRange, intToIpv4, ipv4ToInt } from '../../../src/providers/proxmox/cloud-init';
import { buildInventory } from '../../../src/providers/proxmox/inventory';
import type { ClusterResource } from '../../../src/providers/proxmox/types';

const upid = (type: string, id: number) => `UPID:pve1:00001234:00005678:6B000000:${type}:${id}:root@pam:`;

/** A fake API: one VM, tasks that end OK at once, every call recorded. */
function fakeApi(vm: { vmid: number; node: string; status: string; tags?: string } | undefined) {
  const calls: string[] = [];
  const api: StepsApi = {
    async get<T>(path: string) {
      calls.push(`GET ${path}`);
      if (path === '/cluster/resources') return (vm ? [{ id: `qemu/${vm.vmid}`, type: 'qemu', vmid: vm.vmid, node: vm.node }] : []) as T;
      if (path.endsWith('/config')) return { name: 'k-cp-1', tags: vm?.tags } as T;
      if (path.endsWith('/status/current')) return { status: vm?.status } as T;
      if (path.endsWith('/status')) return { status: 'stopped', exitstatus: 'OK' } as T;
      if (path.endsWith('/log')) return [] as T;
      throw new Error(`unexpected GET ${path}`);
    },
    async post<T>(path: string) {
      calls.push(`POST ${path}`);
      return upid('qmstop', vm!.vmid) as T;
    },
    async put<T>(path: string) {
      calls.push(`PUT ${path}`);
      return null as T;
    },
    async delete<T>(path: string, params?: Record<string, unknown>) {
      calls.push(`DELETE ${path} ${JSON.stringify(params ?? {})}`);
      return upid('qmdestroy', vm!.vmid) as T;
    },
  };
  return { api, calls };
}

describe('cluster steps: destroy only what carries the tag', () => {
  const signal = new AbortController().signal;

  it('stops a running tagged VM, then deletes it with purge, on the node the cluster reports', async () => {
    const f = fakeApi({ vmid: 201, node: 'pve2', status: 'running', tags: 'homelab-cluster-k;control-plane' });
    assert.equal(await destroyTaggedVm(f.api, { vmid: 201, name: 'k-cp-1' }, 'homelab-cluster-k', signal, () => {}, 1), 'deleted');
    const writes = f.calls.filter((c) => !c.startsWith('GET'));
    assert.deepEqual(writes, ['POST /nodes/pve2/qemu/201/status/stop', 'DELETE /nodes/pve2/qemu/201 {"purge":1}']);
  });

  it('refuses a VM without the tag (or with a look-alike tag) and changes nothing', async () => {
    for (const tags of [undefined, 'worker', 'homelab-cluster-kx;worker', 'homelab-cluster-k-old']) {
      const f = fakeApi({ vmid: 202, node: 'pve1', status: 'stopped', tags });
      await assert.rejects(destroyTaggedVm(f.api, { vmid: 202, name: 'k-worker-1' }, 'homelab-cluster-k', signal), /does not carry the tag homelab-cluster-k: not deleting it/);
      assert.deepEqual(f.calls.filter((c) => !c.startsWith('GET')), [], `tags ${tags}`);
    }
  });

  it('a VM that is gone already is nothing to do; an untagged VM is deleted only when the caller vouches for it', async () => {
    const gone = fakeApi(undefined);
    assert.equal(await destroyTaggedVm(gone.api, { vmid: 203, name: 'x' }, 'homelab-cluster-k', signal), 'gone');
    const own = fakeApi({ vmid: 204, node: 'pve1', status: 'stopped' });
    assert.equal(await destroyTaggedVm(own.api, { vmid: 204, name: 'k-cp-1' }, 'homelab-cluster-k', signal, () => {}, 1, (c) => !c.tags && c.name === 'k-cp-1'), 'deleted');
    assert.deepEqual(own.calls.filter((c) => c.startsWith('DELETE')), ['DELETE /nodes/pve1/qemu/204 {"purge":1}']);
  });
});

describe('cluster groups in the tree', () => {
  const r = (vmid: number, tags: string, extra: Partial<ClusterResource> = {}): ClusterResource => ({ id: `qemu/${vmid}`, type: 'qemu', vmid, node: 'pve1', status: 'running', tags, ...extra });

  it('groups VMs by homelab-cluster-<name>, sorted, ignoring templates and bare prefixes', () => {
    const inv = buildInventory([
      { id: 'node/pve1', type: 'node', node: 'pve1', status: 'online' },
      r(305, 'homelab-cluster-b;worker'),
      r(301, 'homelab-cluster-a;worker'),
      r(300, 'homelab-cluster-a;control-plane'),
      r(9000, 'homelab-cluster-a', { template: 1 }),
      r(310, 'homelab-cluster-'),
      r(311, 'other'),
    ]);
    const groups = clusterGroups(inv);
    assert.deepEqual([...groups.keys()], ['a', 'b']);
    assert.deepEqual(groups.get('a')!.map((g) => g.vmid), [300, 301]);
    assert.equal(roleOf(groups.get('a')![0]), 'control-plane');
    assert.equal(roleOf(groups.get('b')![0]), 'worker');
  });
});

describe('cluster names from tags become paths only when safe (issue 12 item 3)', () => {
  const r = (vmid: number, tags: string): ClusterResource => ({ id: `qemu/${vmid}`, type: 'qemu', vmid, node: 'pve1', status: 'running', tags });

  it('a tag naming "..", ".", a path or an upper-case name is not a cluster', () => {
    const inv = buildInventory([
      { id: 'node/pve1', type: 'node', node: 'pve1', status: 'online' },
      r(300, 'homelab-cluster-..'), r(301, 'homelab-cluster-.'), r(302, 'homelab-cluster-a/../../x'),
      r(303, 'homelab-cluster-Lab'), r(304, 'homelab-cluster-ok'),
    ]);
    assert.deepEqual([...clusterGroups(inv).keys()], ['ok']);
  });

  it('cluster files stay inside homelab/clusters whatever the name', () => {
    const f = clusterFiles('/ws', 'lab');
    assert.deepEqual(f, { folder: '/ws/homelab/clusters', yaml: '/ws/homelab/clusters/lab.yaml', dir: '/ws/homelab/clusters/lab', ini: '/ws/homelab/clusters/lab/inventory.ini' });
    for (const bad of ['..', '.', '', 'a/../..', '../clusters', 'x\\..']) assert.throws(() => clusterFiles('/ws', bad), UnsafeNameError, bad);
  });
});

describe('IPv4 helpers for static plans', () => {
  it('host ranges exclude network and broadcast addresses except on /31 and /32', () => {
    const range = (cidr: string, prefix: number) => {
      const r = hostRange({ address: cidr, prefix });
      return [intToIpv4(r.first), intToIpv4(r.last)];
    };
    assert.deepEqual(range('10.0.0.10', 24), ['10.0.0.1', '10.0.0.254']);
    assert.deepEqual(range('192.168.1.130', 25), ['192.168.1.129', '192.168.1.254']);
    assert.deepEqual(range('10.0.0.4', 31), ['10.0.0.4', '10.0.0.5']);
    assert.equal(intToIpv4(ipv4ToInt('255.254.0.1')), '255.254.0.1');
  });
});
