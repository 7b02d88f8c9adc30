// The plan of a cluster deployment: every VM with its ID, name, node, role and address, computed
// and validated before anything is created. Pure, so every rule is unit-tested.
import { checkName } from '../names';
import { checkDnsLabel, checkGateway, hostRange, intToIpv4, ipv4ToInt, isIpv4, parseCidr } from '../proxmox/cloud-init';

export type Role = 'control-plane' | 'worker';

export interface RoleSize {
  cores: number;
  memoryMiB: number;
  diskGiB: number;
}

export interface PlanNode {
  name: string;
  online: boolean;
  /** Memory not used by running guests, MiB. */
  freeMemoryMiB: number;
}

export type NetworkPlan =
  | { kind: 'dhcp' }
  | { kind: 'static'; firstAddress: string /* 10.0.0.20/24 */; gateway: string; dns?: string; searchDomain?: string };

export interface PlanInput {
  name: string;
  template: { vmid: number; name: string; node: string; isTemplate: boolean; sharedStorage: boolean };
  controlPlanes: number;
  workers: number;
  sizes: Record<Role, RoleSize>;
  nodes: PlanNode[];
  /** VM name -> node, when the user pins a VM. */
  pins?: Record<string, string>;
  network: NetworkPlan;
  /** First VM ID to try; taken IDs are skipped. */
  firstVmid: number;
  takenVmids: ReadonlySet<number>;
  /** Addresses in use elsewhere in the lab (other clusters), never handed out. */
  takenAddresses?: ReadonlySet<string>;
}

export interface PlannedVm {
  vmid: number;
  name: string;
  node: string;
  role: Role;
  cores: number;
  memoryMiB: number;
  diskGiB: number;
  /** `ip=dhcp` or `ip=10.0.0.20/24,gw=10.0.0.1`, as Proxmox's ipconfig0 takes it. */
  ipconfig: string;
  /** The static address without prefix, if any. */
  address?: string;
}

export interface Plan {
  name: string;
  tag: string;
  template: PlanInput['template'];
  vms: PlannedVm[];
  network: NetworkPlan;
}

export class PlanError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/** The tag that marks the cluster's VMs in Proxmox: what destroy and the tree group by. */
export const clusterTag = (name: string) => `homelab-cluster-${name}`;

export function planCluster(input: PlanInput): Plan {
  const problems: string[] = [];
  // The name becomes host names (<name>-cp-1) and a Proxmox tag: a lowercase DNS label, with room for the suffix.
  const nameProblem = checkDnsLabel(input.name) ?? (input.name !== input.name.toLowerCase() ? `The cluster name "${input.name}" has capital letters: use lowercase (it becomes host names and a Proxmox tag).` : undefined)
    ?? (input.name.length > 50 ? `The cluster name "${input.name}" is too long: at most 50 characters, so "-worker-NN" still fits a host name.` : undefined);
  const nameWhy = nameProblem ?? checkName('cluster', input.name);
  if (nameWhy) problems.push(`Cluster name: ${nameWhy}`);
  if (!input.template.isTemplate) problems.push(`VM ${input.template.vmid} (${input.template.name}) is not a template: convert it first.`);
  if (![1, 3].includes(input.controlPlanes)) problems.push(`Use 1 or 3 control-plane nodes (etcd needs an odd number), not ${input.controlPlanes}.`);
  if (!Number.isInteger(input.workers) || input.workers < 0 || input.workers > 50) problems.push(`Use 0 to 50 workers, not ${input.workers}.`);
  for (const [role, s] of Object.entries(input.sizes)) {
    if (!(s.cores >= 1 && s.cores <= 128)) problems.push(`${role}: cores must be 1 to 128.`);
    if (!(s.memoryMiB >= 512)) problems.push(`${role}: at least 512 MiB of memory.`);
    if (!(s.diskGiB >= 4)) problems.push(`${role}: at least 4 GiB of disk.`);
  }
  if (problems.length) throw new PlanError(problems);

  const roles: Array<{ role: Role; name: string }> = [
    ...Array.from({ length: input.controlPlanes }, (_, i) => ({ role: 'control-plane' as const, name: `${input.name}-cp-${i + 1}` })),
    ...Array.from({ length: input.workers }, (_, i) => ({ role: 'worker' as const, name: `${input.name}-worker-${i + 1}` })),
  ];

  const online = input.nodes.filter((n) => n.online);
  // A template on local storage can only be cloned on its own node.
  const allowed = input.template.sharedStorage ? online : online.filter((n) => n.name === input.template.node);
  if (!allowed.length) {
    throw new PlanError([input.template.sharedStorage ? 'No Proxmox node is online.' : `The template is on local storage of ${input.template.node}, which is offline: clones can only be made there.`]);
  }
  const free = new Map(allowed.map((n) => [n.name, n.freeMemoryMiB]));
  const placed = new Map<string, string>();
  for (const [vm, node] of Object.entries(input.pins ?? {})) {
    if (!roles.some((r) => r.name === vm)) problems.push(`Pinned VM "${vm}" is not part of this plan.`);
    else if (!free.has(node)) {
      problems.push(input.template.sharedStorage || !online.some((n) => n.name === node)
        ? `${vm} is pinned to ${node}, which is not online.`
        : `${vm} is pinned to ${node}, but the template is on local storage of ${input.template.node}: clones stay on that node.`);
    } else placed.set(vm, node);
  }
  // Pinned VMs take their memory first. The rest spread out: each goes to the node with the fewest
  // VMs of this cluster that still has room (so one node failing takes few), then the most free memory.
  const count = new Map(allowed.map((n) => [n.name, 0]));
  for (const r of roles) {
    const pinned = placed.get(r.name);
    if (!pinned) continue;
    free.set(pinned, free.get(pinned)! - input.sizes[r.role].memoryMiB);
    count.set(pinned, count.get(pinned)! + 1);
  }
  for (const r of roles) {
    if (placed.has(r.name)) continue;
    const need = input.sizes[r.role].memoryMiB;
    const fits = [...free.entries()].filter(([, left]) => left >= need);
    if (!fits.length) {
      problems.push(`No online node has ${need} MiB of memory left for ${r.name}: use fewer or smaller VMs, or more nodes.`);
      break;
    }
    const [best] = fits.sort((a, b) => count.get(a[0])! - count.get(b[0])! || b[1] - a[1] || a[0].localeCompare(b[0]));
    placed.set(r.name, best[0]);
    free.set(best[0], best[1] - need);
    count.set(best[0], count.get(best[0])! + 1);
  }
  for (const [node, left] of free) {
    if (left < 0) problems.push(`Node ${node} would be short of ${Math.ceil(-left)} MiB of memory for the VMs pinned to it.`);
  }

  const addresses = allocateAddresses(input, roles.length, problems);
  if (problems.length) throw new PlanError(problems);

  let vmid = input.firstVmid;
  const vms = roles.map((r, i): PlannedVm => {
    while (input.takenVmids.has(vmid)) vmid++;
    const size = input.sizes[r.role];
    const address = addresses?.[i];
    const ipconfig = address && input.network.kind === 'static' ? `ip=${address.cidr},gw=${input.network.gateway}` : 'ip=dhcp';
    return { vmid: vmid++, name: r.name, node: placed.get(r.name)!, role: r.role, ...size, ipconfig, address: address?.ip };
  });
  return { name: input.name, tag: clusterTag(input.name), template: input.template, vms, network: input.network };
}

function allocateAddresses(input: PlanInput, count: number, problems: string[]): Array<{ ip: string; cidr: string }> | undefined {
  const net = input.network;
  if (net.kind === 'dhcp') return undefined;
  const cidr = parseCidr(net.firstAddress);
  if (typeof cidr === 'string') {
    problems.push(cidr);
    return undefined;
  }
  const gatewayProblem = checkGateway(cidr, net.gateway);
  if (gatewayProblem) problems.push(gatewayProblem);
  const gateway = isIpv4(net.gateway) ? ipv4ToInt(net.gateway.trim()) : undefined;
  if (net.dns) {
    for (const d of net.dns.split(/[ ,]+/).filter(Boolean)) if (!isIpv4(d)) problems.push(`DNS server "${d}" is not an IPv4 address.`);
  }
  const taken = new Set([...(input.takenAddresses ?? [])].filter(isIpv4).map((a) => ipv4ToInt(a.trim())));
  const { last } = hostRange(cidr);
  const out: Array<{ ip: string; cidr: string }> = [];
  for (let ip = ipv4ToInt(cidr.address); out.length < count; ip++) {
    if (ip > last) {
      problems.push(`Only ${out.length} addresses fit from ${net.firstAddress} to the end of the subnet; ${count} are needed.`);
      return undefined;
    }
    if (ip === gateway) continue;
    if (taken.has(ip)) {
      problems.push(`${intToIpv4(ip)} is already used in the lab: start the range elsewhere.`);
      return undefined;
    }
    out.push({ ip: intToIpv4(ip), cidr: `${intToIpv4(ip)}/${cidr.prefix}` });
  }
  return out;
}
