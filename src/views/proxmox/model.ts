// How inventory entries read in the tree: labels, descriptions, icons, menus. No `vscode` import,
// so the benchmark measures the same code the tree runs.
import { guestState, guestTags, type GuestState, type NodeInventory } from '../../providers/proxmox/inventory';
import type { ClusterResource } from '../../providers/proxmox/types';

export interface ItemModel {
  label: string;
  description: string;
  icon: string;
  /** ThemeColor id for the icon, if any. */
  color?: string;
  contextValue: string;
  /** What the item shows; a change of it is a change worth an event. Volatile figures stay out. */
  signature: string;
}

const GiB = 1024 ** 3;
export const gib = (bytes?: number) => `${((bytes ?? 0) / GiB).toFixed(1)} GiB`;
const percent = (x?: number) => `${Math.round((x ?? 0) * 100)}%`;

const stateIcons: Record<GuestState, [string, string | undefined]> = {
  running: ['vm-running', 'testing.iconPassed'],
  stopped: ['vm-outline', undefined],
  paused: ['debug-pause', 'list.warningForeground'],
  locked: ['lock', 'list.warningForeground'],
  template: ['file-code', undefined],
  unknown: ['question', 'list.warningForeground'],
};

/** Containers: the Linux penguin where a VM shows its screen; paused, locked and template read as for VMs. */
const containerIcons: Partial<Record<GuestState, [string, string | undefined]>> = {
  running: ['terminal-linux', 'testing.iconPassed'],
  stopped: ['terminal-linux', undefined],
};

/** VMs: `vm-<state>` or `template`; containers: `ct-<state>` or `ct-template` (menus key on these). */
export function guestContextValue(r: ClusterResource): string {
  const state = guestState(r);
  if (r.type === 'lxc') return `ct-${state}`;
  return state === 'template' ? 'template' : `vm-${state}`;
}

export function guestModel(r: ClusterResource): ItemModel {
  const state = guestState(r);
  const [icon, color] = (r.type === 'lxc' ? containerIcons[state] : undefined) ?? stateIcons[state];
  const description = `${r.vmid} · ${gib(r.maxmem)} · ${r.maxcpu ?? '?'} ${r.type !== 'lxc' ? 'vCPU' : r.maxcpu === 1 ? 'core' : 'cores'}${r.lock ? ` · ${r.lock}` : ''}`;
  const label = r.name || `${r.type === 'lxc' ? 'CT' : 'VM'} ${r.vmid}`;
  const contextValue = guestContextValue(r);
  const tags = guestTags(r).join(';');
  return { label, description, icon, color, contextValue, signature: `${label}|${description}|${state}|${r.node}|${tags}|${r.hastate ?? ''}` };
}

export function nodeModel(n: NodeInventory): ItemModel {
  const r = n.resource;
  const description = n.online ? `CPU ${percent(r.cpu)} · ${gib(r.mem)} / ${gib(r.maxmem)}` : 'offline';
  return {
    label: n.name,
    description,
    icon: 'server',
    color: n.online ? 'testing.iconPassed' : 'disabledForeground',
    contextValue: n.online ? 'node-online' : 'node-offline',
    signature: `${n.online}|${description}`,
  };
}

export function guestTooltip(r: ClusterResource): string {
  const lines = [
    `**${r.name ?? `VM ${r.vmid}`}** (${r.vmid}) — ${r.type === 'lxc' ? 'container, ' : ''}${guestState(r)}`,
    '',
    `- Node: ${r.node}`,
    `- Memory: ${gib(r.mem)} of ${gib(r.maxmem)}`,
    `- CPU: ${r.maxcpu ?? '?'} vCPU, ${percent(r.cpu)} used`,
  ];
  if (r.uptime) lines.push(`- Uptime: ${formatDuration(r.uptime)}`);
  const tags = guestTags(r);
  if (tags.length) lines.push(`- Tags: ${tags.map((t) => `\`${t}\``).join(' ')}`);
  if (r.lock) lines.push(`- Lock: ${r.lock}`);
  if (r.hastate) lines.push(`- HA: ${r.hastate}`);
  if (r.pool) lines.push(`- Pool: ${r.pool}`);
  return lines.join('\n');
}

export function formatDuration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return d ? `${d}d ${h}h` : h ? `${h}h ${m}m` : `${m}m`;
}
