// homelab/clusters/<name>.yaml as the K3s bootstrap reads and extends it: the nodes (name, role,
// address) the cluster deploy wrote, and a `k3s:` section with the K3s version, the API address and
// where the kubeconfig is (never its contents). The section is replaced as text, so every other
// line of the file (comments, keys Homelab does not know) stays as the user left it.
import type { K3sNodeInput } from './plan';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml: { load(s: string): unknown } = require('js-yaml');

export interface ClusterFileNode {
  name: string;
  role: 'control-plane' | 'worker';
  ip?: string;
  vmid?: number;
  proxmoxNode?: string;
}

export interface K3sSection {
  channel: string;
  /** The kubelet version the nodes reported, e.g. v1.31.4+k3s1. */
  version?: string;
  apiUrl: string;
  context: string;
  /** extension: Homelab's own 0600 file; kubeconfig: merged into a user kubeconfig. */
  storage: 'extension' | 'kubeconfig';
  kubeconfig: string;
  keep: string[];
  clusterCidr: string;
  serviceCidr: string;
  /** The virtual IP when the API address is one. */
  vip?: string;
  bootstrappedAt: string;
}

export interface ClusterFile {
  name: string;
  proxmoxCluster?: string;
  sshUser?: string;
  template?: { vmid?: number; name?: string };
  nodes: ClusterFileNode[];
  k3s?: K3sSection;
}

export class ClusterFileError extends Error {
  override name = 'ClusterFileError';
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

/** Reads a cluster file; throws ClusterFileError with what is wrong. */
export function parseClusterFile(text: string, where: string): ClusterFile {
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch (e) {
    throw new ClusterFileError(`${where} is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!isObj(doc)) throw new ClusterFileError(`${where} is not a cluster file (expected name, nodes, ...).`);
  const name = str(doc.name);
  if (!name) throw new ClusterFileError(`${where} has no "name".`);
  const nodes: ClusterFileNode[] = [];
  for (const n of Array.isArray(doc.nodes) ? doc.nodes : []) {
    if (!isObj(n) || !str(n.name)) continue;
    nodes.push({
      name: str(n.name)!, role: n.role === 'worker' ? 'worker' : 'control-plane', ip: str(n.ip) || undefined,
      vmid: typeof n.vmid === 'number' ? n.vmid : undefined, proxmoxNode: str(n.proxmoxNode),
    });
  }
  if (!nodes.length) throw new ClusterFileError(`${where} lists no nodes.`);
  const out: ClusterFile = { name, proxmoxCluster: str(doc.proxmoxCluster), sshUser: str(doc.sshUser), nodes };
  if (isObj(doc.template)) out.template = { vmid: typeof doc.template.vmid === 'number' ? doc.template.vmid : undefined, name: str(doc.template.name) };
  const k = doc.k3s;
  if (isObj(k) && str(k.apiUrl) && str(k.context) && str(k.kubeconfig)) {
    out.k3s = {
      channel: str(k.channel) ?? '', version: str(k.version), apiUrl: str(k.apiUrl)!, context: str(k.context)!,
      storage: k.storage === 'kubeconfig' ? 'kubeconfig' : 'extension', kubeconfig: str(k.kubeconfig)!,
      keep: Array.isArray(k.keep) ? k.keep.map(String) : [], clusterCidr: str(k.clusterCidr) ?? '', serviceCidr: str(k.serviceCidr) ?? '',
      vip: str(k.vip), bootstrappedAt: str(k.bootstrappedAt) ?? '',
    };
  }
  return out;
}

/** The plan's node inputs: every node needs an address (the deploy records what the guest agent reported). */
export function nodeInputs(file: ClusterFile): K3sNodeInput[] {
  const missing = file.nodes.filter((n) => !n.ip).map((n) => n.name);
  if (missing.length) throw new ClusterFileError(`No address is known for ${missing.join(', ')}: start the VMs, then open "Refresh" in the Proxmox view or redeploy so the cluster file records their addresses.`);
  return file.nodes.map((n) => ({ name: n.name, role: n.role, address: n.ip! }));
}

/** A YAML scalar that reads back as exactly this string. */
const q = (s: string) => JSON.stringify(s);

function sectionText(k: K3sSection): string {
  return [
    '# Written by Homelab: K3s on this cluster (the kubeconfig itself is not here, only where it is).',
    'k3s:',
    `  channel: ${q(k.channel)}`,
    ...(k.version ? [`  version: ${q(k.version)}`] : []),
    `  apiUrl: ${q(k.apiUrl)}`,
    ...(k.vip ? [`  vip: ${q(k.vip)}`] : []),
    `  context: ${q(k.context)}`,
    `  storage: ${k.storage}`,
    `  kubeconfig: ${q(k.kubeconfig)}`,
    `  keep: [${k.keep.map(q).join(', ')}]`,
    `  clusterCidr: ${q(k.clusterCidr)}`,
    `  serviceCidr: ${q(k.serviceCidr)}`,
    `  bootstrappedAt: ${q(k.bootstrappedAt)}`,
  ].join('\n') + '\n';
}

/** The text without the k3s section (and the comment line Homelab writes above it). */
export function withoutK3sSection(text: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (/^k3s:\s*$/.test(lines[i])) {
      if (out.length && out[out.length - 1].startsWith('# Written by Homelab: K3s')) out.pop();
      while (i + 1 < lines.length && (/^\s+\S/.test(lines[i + 1]) || /^\s*$/.test(lines[i + 1]) && i + 2 < lines.length && /^\s+\S/.test(lines[i + 2]))) i++;
      continue;
    }
    out.push(lines[i]);
  }
  return out.join('\n');
}

/** The file with its k3s section set to `k` (replaced in place when there was one, else appended). */
export function withK3sSection(text: string, k: K3sSection): string {
  const base = withoutK3sSection(text);
  return (base.endsWith('\n') || !base ? base : base + '\n') + sectionText(k);
}
