// The cluster's inventory from ONE `GET /cluster/resources` answer: nodes with their guests,
// templates and ISO-capable storages. Pure, so the tree and the benchmark share it.
import type { ClusterResource } from './types';

export type GuestState = 'running' | 'stopped' | 'paused' | 'locked' | 'template' | 'unknown';

export interface NodeInventory {
  name: string;
  online: boolean;
  resource: ClusterResource;
  guests: ClusterResource[];
  templates: ClusterResource[];
  /** Storages on this node that can hold ISO images (content includes "iso"). */
  isoStorages: string[];
}

export interface Inventory {
  nodes: NodeInventory[];
  guests: number;
}

export function buildInventory(resources: readonly ClusterResource[]): Inventory {
  const nodes = new Map<string, NodeInventory>();
  const nodeOf = (name: string, r?: ClusterResource): NodeInventory => {
    let n = nodes.get(name);
    if (!n) {
      n = { name, online: false, resource: r ?? { id: `node/${name}`, type: 'node', node: name }, guests: [], templates: [], isoStorages: [] };
      nodes.set(name, n);
    }
    return n;
  };
  let guests = 0;
  for (const r of resources) {
    if (!r.node) continue;
    if (r.type === 'node') {
      const n = nodeOf(r.node, r);
      n.resource = r;
      n.online = r.status === 'online';
    } else if (r.type === 'qemu' || r.type === 'lxc') {
      guests++;
      const n = nodeOf(r.node);
      (r.template === 1 ? n.templates : n.guests).push(r);
    } else if (r.type === 'storage' && r.storage && (r.content ?? '').split(',').includes('iso')) {
      nodeOf(r.node).isoStorages.push(r.storage);
    }
  }
  const byId = (a: ClusterResource, b: ClusterResource) => (a.vmid ?? 0) - (b.vmid ?? 0);
  const list = [...nodes.values()].sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
  for (const n of list) {
    n.guests.sort(byId);
    n.templates.sort(byId);
    n.isoStorages.sort();
  }
  return { nodes: list, guests };
}

export function guestState(r: ClusterResource): GuestState {
  if (r.template === 1) return 'template';
  if (r.lock) return 'locked';
  if (r.status === 'running' || r.status === 'stopped' || r.status === 'paused') return r.status;
  if (r.status === 'suspended') return 'paused';
  return 'unknown';
}

/** Tags as PVE stores them: separated by ";" (older versions also "," or spaces). */
export function guestTags(r: ClusterResource): string[] {
  return (r.tags ?? '').split(/[;, ]+/).filter(Boolean);
}
