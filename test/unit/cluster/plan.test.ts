import * as assert from 'node:assert/strict';
import { ansibleInventory, clusterYaml, recordFromPlan } from '../../../src/providers/cluster/inventory';
import { parseCidr } from '../../../src/providers/cluster/network';
import { planCluster, PlanError, validateDnsLabel, type PlanInput } from '../../../src/providers/cluster/plan';

const base = (over: Partial<PlanInput> = {}): PlanInput => ({
  name: 'k3s',
  template: { vmid: 9000, name: 'nixos-template', node: 'pve1', isTemplate: true, sharedStorage: true },
  controlPlanes: 1,
  workers: 2,
  sizes: { 'control-plane': { cores: 2, memoryMiB: 4096, diskGiB: 20 }, worker: { cores: 2, memoryMiB: 4096, diskGiB: 20 } },
  nodes: [
    { name: 'pve1', online: true, freeMemoryMiB: 16384 },
    { name: 'pve2', online: true, freeMemoryMiB: 32768 },
    { name: 'pve3', online: true, freeMemoryMiB: 8192 },
  ],
  network: { kind: 'dhcp' },
  firstVmid: 200,
  takenVmids: new Set([201]),
  ...over,
});

function problems(input: PlanInput): string {
  try {
    planCluster(input);
  } catch (e) {
    assert.ok(e instanceof PlanError, `expected a PlanError, got ${e}`);
    return e.message;
  }
  assert.fail('the plan should have been refused');
}

describe('cluster plan', () => {
  it('names, numbers and places every VM, skipping taken IDs and spreading by free memory', () => {
    const plan = planCluster(base());
    assert.deepEqual(plan.vms.map((v) => [v.vmid, v.name, v.role, v.node]), [
      [200, 'k3s-cp-1', 'control-plane', 'pve2'],
      [202, 'k3s-worker-1', 'worker', 'pve1'],
      [203, 'k3s-worker-2', 'worker', 'pve3'],
    ]);
    assert.equal(plan.tag, 'homelab-cluster-k3s');
    assert.ok(plan.vms.every((v) => v.ipconfig === 'ip=dhcp'));
  });

  it('3+5 with static addresses: consecutive, skipping the gateway, no two alike', () => {
    const plan = planCluster(base({ controlPlanes: 3, workers: 5, nodes: base().nodes.map((n) => ({ ...n, freeMemoryMiB: 65536 })), network: { kind: 'static', firstAddress: '10.0.0.10/24', gateway: '10.0.0.12' } }));
    const ips = plan.vms.map((v) => v.address);
    assert.equal(new Set(ips).size, 8);
    assert.deepEqual(ips.slice(0, 3), ['10.0.0.10', '10.0.0.11', '10.0.0.13']);
    assert.equal(plan.vms[0].ipconfig, 'ip=10.0.0.10/24,gw=10.0.0.12');
    assert.deepEqual(new Set(plan.vms.map((v) => v.node)), new Set(['pve1', 'pve2', 'pve3']));
  });

  it('honours pins and keeps a local-storage template on its own node', () => {
    const pinned = planCluster(base({ pins: { 'k3s-worker-2': 'pve3' } }));
    assert.equal(pinned.vms.find((v) => v.name === 'k3s-worker-2')!.node, 'pve3');
    const local = planCluster(base({ template: { ...base().template, sharedStorage: false }, nodes: base().nodes.map((n) => ({ ...n, freeMemoryMiB: 65536 })) }));
    assert.ok(local.vms.every((v) => v.node === 'pve1'));
    assert.match(problems(base({ template: { ...base().template, sharedStorage: false }, pins: { 'k3s-cp-1': 'pve2' } })), /local storage of pve1/);
  });

  const bad: Array<[string, Partial<PlanInput>, RegExp]> = [
    ['a name that is not a DNS label', { name: 'K3s_lab' }, /not a DNS label/],
    ['a VM that is not a template', { template: { ...base().template, isTemplate: false } }, /not a template/],
    ['two control planes', { controlPlanes: 2 }, /1 or 3/],
    ['more than the nodes have memory for', { workers: 14 }, /No online node has 4096 MiB of memory left for k3s-worker-14/],
    ['pins that overfill a node', { pins: { 'k3s-cp-1': 'pve3', 'k3s-worker-1': 'pve3', 'k3s-worker-2': 'pve3' } }, /pve3 would be short of 4096 MiB/],
    ['a CIDR without prefix', { network: { kind: 'static', firstAddress: '10.0.0.10', gateway: '10.0.0.1' } }, /no prefix/],
    ['a gateway outside the subnet', { network: { kind: 'static', firstAddress: '10.0.0.10/24', gateway: '10.0.1.1' } }, /outside 10\.0\.0\.0\/24/],
    ['a range running out of the subnet', { network: { kind: 'static', firstAddress: '10.0.0.253/24', gateway: '10.0.0.1' } }, /Only 2 addresses fit from 10\.0\.0\.253\/24/],
    ['an address already used in the lab', { network: { kind: 'static', firstAddress: '10.0.0.10/24', gateway: '10.0.0.1' }, takenAddresses: new Set(['10.0.0.11']) }, /10\.0\.0\.11 is already used/],
    ['a pin to an offline node', { nodes: [...base().nodes.slice(0, 2), { name: 'pve3', online: false, freeMemoryMiB: 1 }], pins: { 'k3s-cp-1': 'pve3' } }, /pinned to pve3, which is not online/],
    ['no node online', { nodes: base().nodes.map((n) => ({ ...n, online: false })) }, /No Proxmox node is online/],
  ];
  for (const [what, over, expected] of bad) {
    it(`refuses ${what} before anything is created`, () => assert.match(problems(base(over)), expected));
  }

  it('validates DNS labels and CIDRs with messages naming the problem', () => {
    assert.equal(validateDnsLabel('k3s-lab'), undefined);
    assert.match(validateDnsLabel('-lab')!, /DNS label/);
    assert.match(validateDnsLabel('a'.repeat(64))!, /longer than 63/);
    assert.match(String(parseCidr('10.0.0.300/24')), /not an IPv4 address/);
    assert.match(String(parseCidr('10.0.0.1/33')), /out of range/);
  });

  it('writes the cluster file and an Ansible inventory with control_plane and workers', () => {
    const plan = planCluster(base());
    const record = recordFromPlan(plan, 'lab', 'ops', new Map([[200, '10.0.0.5']]), new Date('2026-01-02T03:04:05Z'));
    const yaml = clusterYaml(record);
    assert.match(yaml, /name: k3s\n/);
    assert.match(yaml, /  - name: k3s-cp-1\n    vmid: 200\n    proxmoxNode: pve2\n    role: control-plane\n    ip: 10.0.0.5\n/);
    assert.match(yaml, /ip: null/);
    const ini = ansibleInventory(record);
    assert.match(ini, /\[control_plane\]\nk3s-cp-1 ansible_host=10\.0\.0\.5 proxmox_vmid=200 proxmox_node=pve2\n/);
    assert.match(ini, /\[workers\]\nk3s-worker-1 proxmox_vmid=202 proxmox_node=pve1\nk3s-worker-2 proxmox_vmid=203 proxmox_node=pve3\n/);
    assert.match(ini, /\[k3s:vars\]\nansible_user=ops/);
  });
});
