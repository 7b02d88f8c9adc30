// What a deployed cluster leaves in the workspace: homelab/clusters/<name>.yaml and an Ansible
// inventory with the groups control_plane and workers.
import * as path from 'node:path';
import { assertName, joinInside } from '../names';
import type { Plan } from './plan';

/**
 * Where a cluster's files go under the workspace root (a URI path, so posix): homelab/clusters/<name>.yaml
 * and homelab/clusters/<name>/inventory.ini. Throws UnsafeNameError for a name that is not a cluster
 * name or a path that would leave homelab/clusters.
 */
export function clusterFiles(root: string, name: string): { folder: string; yaml: string; dir: string; ini: string } {
  assertName('cluster', name);
  const folder = path.posix.join(root, 'homelab', 'clusters');
  const dir = joinInside(folder, [name], path.posix);
  return { folder, yaml: joinInside(folder, [`${name}.yaml`], path.posix), dir, ini: joinInside(dir, ['inventory.ini'], path.posix) };
}

export interface DeployedVm {
  vmid: number;
  name: string;
  node: string;
  role: 'control-plane' | 'worker';
  /** The address the guest agent reported (or the planned static one). */
  ip?: string;
}

export interface ClusterRecord {
  name: string;
  tag: string;
  template: { vmid: number; name: string };
  proxmoxCluster: string;
  sshUser: string;
  createdAt: string;
  vms: DeployedVm[];
}

const yamlString = (s: string) => (/^[A-Za-z0-9._\/-]+$/.test(s) ? s : JSON.stringify(s));

export function clusterYaml(c: ClusterRecord): string {
  const lines = [
    `# Written by Homelab: the cluster ${c.name} and the VMs it is made of.`,
    `name: ${yamlString(c.name)}`,
    `tag: ${yamlString(c.tag)}`,
    `proxmoxCluster: ${yamlString(c.proxmoxCluster)}`,
    `template:`,
    `  vmid: ${c.template.vmid}`,
    `  name: ${yamlString(c.template.name)}`,
    `sshUser: ${yamlString(c.sshUser)}`,
    `createdAt: ${yamlString(c.createdAt)}`,
    `nodes:`,
  ];
  for (const vm of c.vms) {
    lines.push(`  - name: ${yamlString(vm.name)}`, `    vmid: ${vm.vmid}`, `    proxmoxNode: ${yamlString(vm.node)}`, `    role: ${vm.role}`, `    ip: ${vm.ip ? yamlString(vm.ip) : 'null'}`);
  }
  return lines.join('\n') + '\n';
}

export function ansibleInventory(c: ClusterRecord): string {
  const host = (vm: DeployedVm) => `${vm.name}${vm.ip ? ` ansible_host=${vm.ip}` : ''} proxmox_vmid=${vm.vmid} proxmox_node=${vm.node}`;
  return [
    `# Written by Homelab for the cluster ${c.name}.`,
    '[control_plane]',
    ...c.vms.filter((v) => v.role === 'control-plane').map(host),
    '',
    '[workers]',
    ...c.vms.filter((v) => v.role === 'worker').map(host),
    '',
    `[${c.name.replace(/-/g, '_')}:children]`,
    'control_plane',
    'workers',
    '',
    `[${c.name.replace(/-/g, '_')}:vars]`,
    `ansible_user=${c.sshUser}`,
    '',
  ].join('\n');
}

export function recordFromPlan(plan: Plan, proxmoxCluster: string, sshUser: string, ips: ReadonlyMap<number, string>, now = new Date()): ClusterRecord {
  return {
    name: plan.name,
    tag: plan.tag,
    template: { vmid: plan.template.vmid, name: plan.template.name },
    proxmoxCluster,
    sshUser,
    createdAt: now.toISOString(),
    vms: plan.vms.map((v) => ({ vmid: v.vmid, name: v.name, node: v.node, role: v.role, ip: ips.get(v.vmid) ?? v.address })),
  };
}
