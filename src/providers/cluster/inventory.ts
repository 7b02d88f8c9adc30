// What a deployed cluster leaves in the workspace: homelab/clusters/<name>.yaml and an Ansible
// inventory with the groups control_plane and workers.
import * as path from 'node:path';
import { isIP } from 'node:net';
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

/**
 * A YAML scalar for `s`: plain when it can only read back as that string, else a double-quoted
 * (JSON) string, which escapes newlines and quotes, so no value can start a new key.
 */
const yamlString = (s: string) => (/^[A-Za-z0-9._\/-]+$/.test(s) && !YAML_SPECIAL.test(s) ? s : JSON.stringify(s));
const YAML_SPECIAL = /^(?:true|false|yes|no|on|off|y|n|null|~|[-+]?(?:\d[\d_]*)?\.?\d*(?:e[-+]?\d+)?|\.inf|\.nan|-.*)$/i;

export class GeneratedValueError extends Error {
  override name = 'GeneratedValueError';
}

/** An IP address as written to the cluster file and inventory: it must parse as one. */
function ipValue(field: string, ip: string): string {
  if (isIP(ip) === 0) throw new GeneratedValueError(`${field}: ${JSON.stringify(ip.slice(0, 60))} is not an IP address; nothing was written.`);
  return ip;
}

/**
 * An Ansible INI value: host names, node names and user names are single tokens, so a value with
 * a space, "=", "#", ";", a quote or a line break (which Ansible would read as another variable,
 * a comment or a new host) is refused rather than quoted.
 */
function iniToken(field: string, v: string): string {
  if (!/^[A-Za-z0-9_][A-Za-z0-9._@:-]*$/.test(v)) throw new GeneratedValueError(`${field}: ${JSON.stringify(v.slice(0, 60))} cannot be written to the Ansible inventory (use letters, digits, ".", "_", "-").`);
  return v;
}

export function clusterYaml(c: ClusterRecord): string {
  assertName('cluster', c.name);
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
    lines.push(`  - name: ${yamlString(vm.name)}`, `    vmid: ${Math.trunc(vm.vmid)}`, `    proxmoxNode: ${yamlString(vm.node)}`, `    role: ${vm.role === 'worker' ? 'worker' : 'control-plane'}`, `    ip: ${vm.ip ? ipValue(`IP of ${vm.name}`, vm.ip) : 'null'}`);
  }
  return lines.join('\n') + '\n';
}

export function ansibleInventory(c: ClusterRecord): string {
  const host = (vm: DeployedVm) => `${iniToken('VM name', vm.name)}${vm.ip ? ` ansible_host=${ipValue(`IP of ${vm.name}`, vm.ip)}` : ''} proxmox_vmid=${Math.trunc(vm.vmid)} proxmox_node=${iniToken('Proxmox node', vm.node)}`;
  assertName('cluster', c.name);
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
    `ansible_user=${iniToken('SSH user', c.sshUser)}`,
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
