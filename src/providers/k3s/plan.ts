// The plan of a K3s bootstrap: which node is a server or an agent, who starts the cluster, where
// the others join, the API address, add-ons and CIDRs. Pure and validated before anything touches
// a node: every name and address that later becomes a line of a NixOS module or a command passes
// through here first.
import { checkDnsLabel, ipv4ToInt, isIpv4 } from '../proxmox/cloud-init';

export type K3sRole = 'control-plane' | 'worker';

/** K3s minor versions offered; the node's nixpkgs (pinned by its flake.lock) fixes the patch level. */
export const K3S_CHANNELS = ['1.30', '1.31', '1.32'] as const;
export type K3sChannel = (typeof K3S_CHANNELS)[number];

/** K3s' bundled add-ons the wizard lets the user keep or drop, by their `--disable` names. */
export const K3S_ADDONS = ['traefik', 'servicelb', 'local-storage'] as const;
export type K3sAddon = (typeof K3S_ADDONS)[number];

export const DEFAULT_CLUSTER_CIDR = '10.42.0.0/16';
export const DEFAULT_SERVICE_CIDR = '10.43.0.0/16';

export interface K3sNodeInput {
  /** The VM's name; becomes the Kubernetes node name. */
  name: string;
  role: K3sRole;
  /** IPv4 address the node is reached at (SSH, K3s API, node IP). */
  address: string;
  /** SSH port, default 22. */
  sshPort?: number;
}

export type ApiAddressChoice = { kind: 'first-control-plane' } | { kind: 'vip'; address: string };

export interface K3sPlanInput {
  /** The cluster's name (a DNS label): the kubeconfig context becomes homelab-<cluster>. */
  cluster: string;
  channel: string;
  /** Add-ons to keep; the others are disabled. */
  keep: readonly string[];
  clusterCidr?: string;
  serviceCidr?: string;
  api: ApiAddressChoice;
  /** Default 6443. */
  apiPort?: number;
  nodes: readonly K3sNodeInput[];
}

export interface PlannedK3sNode {
  name: string;
  role: K3sRole;
  address: string;
  sshPort: number;
  k3sRole: 'server' | 'agent';
  /** True on the first server of three: it starts the embedded etcd. */
  clusterInit: boolean;
  /** `https://<first control plane>:<port>` for every node but the first; '' for the first. */
  serverAddr: string;
}

export interface K3sPlan {
  cluster: string;
  /** `homelab-<cluster>`: the kubeconfig's cluster, user and context name. */
  contextName: string;
  channel: K3sChannel;
  disable: K3sAddon[];
  clusterCidr: string;
  serviceCidr: string;
  apiAddress: string;
  apiPort: number;
  /** `https://<api address>:<port>`: the kubeconfig's server. */
  apiUrl: string;
  /** Every control-plane address, then the VIP if any. */
  tlsSans: string[];
  nodes: PlannedK3sNode[];
}

export class K3sPlanError extends Error {
  override name = 'K3sPlanError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

interface Net { base: number; prefix: number; text: string }

/** A network in CIDR form (`10.42.0.0/16`), host bits zero; a message when it is not one. */
export function parseNetwork(text: string, what: string): Net | string {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(text);
  if (!m || !isIpv4(m[1])) return `${what} "${text}" is not an IPv4 network such as 10.42.0.0/16.`;
  const prefix = Number(m[2]);
  if (prefix < 8 || prefix > 28) return `${what} ${text}: use a prefix from /8 to /28 (K3s gives every node a /24 of the cluster CIDR).`;
  const base = ipv4ToInt(m[1]);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  if (((base & mask) >>> 0) !== base) return `${what} ${text} has host bits set: the network is ${intToIp((base & mask) >>> 0)}/${prefix}.`;
  return { base, prefix, text };
}

const intToIp = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
const inNet = (ip: number, n: Net) => ip >>> (32 - n.prefix) === n.base >>> (32 - n.prefix);
const overlaps = (a: Net, b: Net) => {
  const p = Math.min(a.prefix, b.prefix);
  return a.base >>> (32 - p) === b.base >>> (32 - p);
};

/** Kubernetes node names are DNS-1123 subdomains; ours are labels (VM host names), lowercase. */
export function checkNodeName(name: string): string | undefined {
  const p = checkDnsLabel(name);
  if (p) return p;
  if (name !== name.toLowerCase()) return `"${name}" has capital letters: a Kubernetes node name is lowercase.`;
  return undefined;
}

export function isK3sChannel(s: string): s is K3sChannel {
  return (K3S_CHANNELS as readonly string[]).includes(s);
}

/** `https://host:port`. */
export const apiUrlFor = (address: string, port: number) => `https://${address}:${port}`;

export function planK3s(input: K3sPlanInput): K3sPlan {
  const problems: string[] = [];
  const clusterProblem = checkNodeName(input.cluster);
  if (clusterProblem) problems.push(`Cluster name: ${clusterProblem}`);
  if (!isK3sChannel(input.channel)) problems.push(`K3s channel "${input.channel}" is not one of ${K3S_CHANNELS.join(', ')}.`);
  for (const a of input.keep) if (!(K3S_ADDONS as readonly string[]).includes(a)) problems.push(`Unknown add-on "${a}": choose from ${K3S_ADDONS.join(', ')}.`);
  const apiPort = input.apiPort ?? 6443;
  if (!Number.isInteger(apiPort) || apiPort < 1 || apiPort > 65535) problems.push(`API port ${apiPort} is not a TCP port (1-65535).`);

  const cps = input.nodes.filter((n) => n.role === 'control-plane');
  const workers = input.nodes.filter((n) => n.role === 'worker');
  if (cps.length !== 1 && cps.length !== 3) problems.push(`A K3s cluster here has 1 or 3 control planes (etcd needs an odd number), not ${cps.length}.`);
  const names = new Set<string>();
  const addresses = new Set<string>();
  for (const n of input.nodes) {
    const p = checkNodeName(n.name);
    if (p) problems.push(`Node "${n.name}": ${p}`);
    if (names.has(n.name)) problems.push(`Node name ${n.name} appears twice.`);
    names.add(n.name);
    if (n.role !== 'control-plane' && n.role !== 'worker') problems.push(`Node ${n.name}: role "${String(n.role)}" is neither control-plane nor worker.`);
    if (!isIpv4(n.address) || n.address !== n.address.trim()) problems.push(`Node ${n.name}: "${n.address}" is not an IPv4 address (the VM needs a known address; start it and let the guest agent report it).`);
    else if (addresses.has(n.address)) problems.push(`Address ${n.address} is given to two nodes.`);
    addresses.add(n.address);
    if (n.sshPort !== undefined && (!Number.isInteger(n.sshPort) || n.sshPort < 1 || n.sshPort > 65535)) problems.push(`Node ${n.name}: SSH port ${n.sshPort} is not a TCP port.`);
  }

  const clusterCidr = input.clusterCidr ?? DEFAULT_CLUSTER_CIDR;
  const serviceCidr = input.serviceCidr ?? DEFAULT_SERVICE_CIDR;
  const cn = parseNetwork(clusterCidr, 'Cluster CIDR');
  const sn = parseNetwork(serviceCidr, 'Service CIDR');
  if (typeof cn === 'string') problems.push(cn);
  if (typeof sn === 'string') problems.push(sn);
  const nets = [cn, sn].filter((x): x is Net => typeof x !== 'string');
  if (nets.length === 2 && overlaps(nets[0], nets[1])) problems.push(`The cluster CIDR ${clusterCidr} and the service CIDR ${serviceCidr} overlap: pod and service addresses must not collide.`);

  let apiAddress = cps[0]?.address ?? '';
  const sans = cps.map((c) => c.address);
  if (input.api.kind === 'vip') {
    const vip = input.api.address;
    if (!isIpv4(vip) || vip !== vip.trim()) problems.push(`Virtual IP "${vip}" is not an IPv4 address.`);
    else if (addresses.has(vip)) problems.push(`Virtual IP ${vip} is the address of a node: pick a free address in the nodes' subnet.`);
    apiAddress = vip;
    if (!sans.includes(vip)) sans.push(vip);
  } else if (input.api.kind !== 'first-control-plane') {
    problems.push('Choose the API address: the first control plane or a virtual IP.');
  }
  for (const ip of [...addresses, ...(input.api.kind === 'vip' ? [input.api.address] : [])]) {
    if (!isIpv4(ip)) continue;
    for (const n of nets) if (inNet(ipv4ToInt(ip), n)) problems.push(`${ip} lies inside ${n.text}: pod and service networks must not contain node addresses.`);
  }
  if (problems.length) throw new K3sPlanError(problems);

  const first = cps[0];
  const join = apiUrlFor(first.address, apiPort);
  const ordered = [...cps, ...workers];
  return {
    cluster: input.cluster,
    contextName: `homelab-${input.cluster}`,
    channel: input.channel as K3sChannel,
    disable: K3S_ADDONS.filter((a) => !input.keep.includes(a)),
    clusterCidr,
    serviceCidr,
    apiAddress,
    apiPort,
    apiUrl: apiUrlFor(apiAddress, apiPort),
    tlsSans: sans,
    nodes: ordered.map((n) => {
      const isFirst = n === first;
      return {
        name: n.name,
        role: n.role,
        address: n.address,
        sshPort: n.sshPort ?? 22,
        k3sRole: n.role === 'control-plane' ? 'server' : 'agent',
        clusterInit: isFirst && cps.length === 3,
        serverAddr: isFirst ? '' : join,
      };
    }),
  };
}
