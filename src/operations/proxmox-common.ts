// What the Proxmox entries share: which cluster and guest an input names, how a guest is named in a
// confirmation ("VM "gitlab" (104) on pve2 (running 3 d)"), and how a task's end becomes a result.
import {
  describeGuest, guestRefOf, parseUpid, type ClusterResource, type GuestRef, type ProxmoxClient, type TaskOutcome,
} from '../providers/proxmox';
import { CancelledError } from '../providers/cancellation';
import { l10n } from './l10n';
import { OperationRefused, TaskFailed, type ClusterRef, type JsonSchema, type OperationHost, type ProxmoxAccess, type Progress } from './types';

export const clusterField: JsonSchema = { type: 'string', description: 'Cluster id or name (see proxmox_inventory). May be left out when only one cluster is configured.', maxLength: 100 };
export const vmidField: JsonSchema = { type: 'integer', minimum: 100, maximum: 999_999_999, description: 'VM ID of the guest (a VM or a container).' };

export function proxmoxOf(host: OperationHost): ProxmoxAccess {
  if (!host.proxmox) throw new OperationRefused(l10n.t('No Proxmox cluster is configured.'));
  return host.proxmox;
}

/** The cluster an input names (id or name, case-insensitive), or the only one. */
export function clusterOf(host: OperationHost, name?: string): ClusterRef {
  const list = proxmoxOf(host).clusters();
  if (!list.length) throw new OperationRefused(l10n.t('No Proxmox cluster is configured.'));
  if (name === undefined) {
    if (list.length === 1) return list[0];
    throw new OperationRefused(l10n.t('Several clusters are configured ({0}): name one in "cluster".', list.map((c) => c.id).join(', ')));
  }
  const n = name.toLowerCase();
  const c = list.find((x) => x.id.toLowerCase() === n) ?? list.find((x) => x.name.toLowerCase() === n);
  if (!c) throw new OperationRefused(l10n.t('There is no cluster "{0}"; configured: {1}.', name, list.map((x) => x.id).join(', ')));
  return c;
}

export type GuestRow = ClusterResource & GuestRef;

export interface Located {
  cluster: ClusterRef;
  client: ProxmoxClient;
  guest: GuestRow;
}

/** The guest with that VM ID, fresh from /cluster/resources (VMs and containers alike). */
export async function locateGuest(host: OperationHost, input: { cluster?: string; vmid: number }): Promise<Located> {
  const cluster = clusterOf(host, input.cluster);
  const client = await proxmoxOf(host).client(cluster.id);
  const row = (await client.resources('vm')).find((r) => r.vmid === input.vmid);
  const ref = row && guestRefOf(row);
  if (!row || !ref) throw new OperationRefused(l10n.t('There is no VM {0} in {1} (no VM or container has that ID).', input.vmid, cluster.name));
  return { cluster, client, guest: { ...row, ...ref } };
}

export function formatUptime(s: number): string {
  if (s < 60) return `${Math.floor(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86_400)} d`;
}

const kindOf = (g: { type: string; template?: number }) => (g.template ? l10n.t('template') : g.type === 'lxc' ? l10n.t('container') : l10n.t('VM'));

/** `VM "gitlab" (104) on pve2`. */
export function guestName(g: GuestRow): string {
  return l10n.t('{0} "{1}" ({2}) on {3}', kindOf(g), g.name ?? '', g.vmid, g.node);
}

/** `running 3 d`, `stopped`, `locked (backup)`. */
export function guestState(g: GuestRow): string {
  const parts = [g.status === 'running' && g.uptime ? l10n.t('running {0}', formatUptime(g.uptime)) : (g.status ?? 'unknown')];
  if (g.lock) parts.push(l10n.t('locked ({0})', g.lock));
  return parts.join(', ');
}

/** `VM "gitlab" (104) on pve2 (running 3 d)`: what a confirmation names. */
export function guestWithState(g: GuestRow): string {
  return `${guestName(g)} (${guestState(g)})`;
}

/** `gitlab (104)`: how the task titles name a guest. */
export const short = (g: { name?: string; vmid: number }) => `${g.name ?? 'VM'} (${g.vmid})`;

export { describeGuest };

/** Throws the user-facing error of a failed or cancelled task. */
export function expectTask(outcome: TaskOutcome, what: string): void {
  if (outcome.cancelled) throw new CancelledError(l10n.t('{0} was cancelled: the task was stopped ({1}).', what, outcome.exitstatus));
  if (outcome.status === 'error') {
    const tail = outcome.logTail.filter((l) => !/^TASK ERROR/.test(l)).slice(-3);
    throw new TaskFailed(l10n.t('{0} failed: {1}', what, outcome.exitstatus) + (tail.length ? ` — ${tail.join(' / ')}` : ''), outcome);
  }
}

/** Follows a task and turns its end into the result line (`OK`, `WARNINGS: 1`) or an error. */
export async function followTo(host: OperationHost, loc: { cluster: ClusterRef; client: ProxmoxClient }, upid: string, o: { vmName?: string; title: string; signal: AbortSignal; progress: Progress }): Promise<{ upid: string; exitstatus: string }> {
  const outcome = await proxmoxOf(host).followTask(loc.cluster.id, loc.client, upid, o);
  expectTask(outcome, o.title);
  return { upid, exitstatus: outcome.exitstatus };
}

export const taskType = (upid: string) => parseUpid(upid).type;
