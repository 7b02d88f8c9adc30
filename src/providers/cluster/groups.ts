// The deployed clusters of a Proxmox cluster, found by their VMs' tag homelab-cluster-<name>.
import { guestTags, type Inventory } from '../proxmox/inventory';
import type { ClusterResource } from '../proxmox/types';
import { isSafeName } from '../names';

const PREFIX = 'homelab-cluster-';

/**
 * Cluster name -> its VMs (sorted by VM ID), from tags; templates never belong to one. Anyone who
 * may edit a VM's tags picks the name, and it becomes a folder of the workspace: a tag whose name
 * is not a valid cluster name (`homelab-cluster-..`) is not a cluster.
 */
export function clusterGroups(inv: Inventory): Map<string, ClusterResource[]> {
  const groups = new Map<string, ClusterResource[]>();
  for (const n of inv.nodes) {
    for (const g of n.guests) {
      for (const tag of guestTags(g)) {
        if (!tag.startsWith(PREFIX) || tag.length === PREFIX.length) continue;
        const name = tag.slice(PREFIX.length);
        if (!isSafeName('cluster', name)) continue;
        groups.set(name, [...(groups.get(name) ?? []), g]);
      }
    }
  }
  for (const list of groups.values()) list.sort((a, b) => (a.vmid ?? 0) - (b.vmid ?? 0));
  return new Map([...groups.entries()].sort((a, b) => a[0].localeCompare(b[0])));
}

/** The role a cluster VM was tagged with. */
export function roleOf(g: ClusterResource): 'control-plane' | 'worker' | undefined {
  const tags = guestTags(g);
  return tags.includes('control-plane') ? 'control-plane' : tags.includes('worker') ? 'worker' : undefined;
}
