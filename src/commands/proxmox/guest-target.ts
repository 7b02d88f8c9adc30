// The guest a snapshot, backup or container command acts on, for VMs and containers alike: from a
// tree element (the guest, its Snapshots/Backups group, a snapshot, a backup), a `{clusterId, vmid}`
// argument, or the user's pick. Before anything is sent the guest's live state is checked against
// the capability table, so a refusal names the guest and says what to do, as PVE's would.
import * as vscode from 'vscode';
import { CancelledError } from '../../providers/cancellation';
import { refusal, factsOf, type GuestAction, type GuestFacts } from '../../providers/proxmox/capabilities';
import { GuestLockedError, lockOf } from '../../providers/proxmox/guest-errors';
import { describeGuest, guestStatus, isGuestType, type GuestRef } from '../../providers/proxmox/guests';
import type { ProxmoxClient, TaskOutcome } from '../../providers/proxmox';
import type { ClusterResource } from '../../providers/proxmox/types';
import type { ClusterConfig } from '../../services/proxmox/clusters';
import type { ProxmoxElement } from '../../views/proxmox/tree';
import { expectOk, type OperationDeps } from './operation';

export interface GuestCommandTarget {
  cluster: ClusterConfig;
  client: ProxmoxClient;
  ref: GuestRef;
  /** As the inventory last reported it (the palette's pick, the tree's item). */
  resource: ClusterResource;
}

/** "VM 100 (web)": how messages name a guest. */
export const guestName = (g: GuestRef) => describeGuest(g);
const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The guest and cluster an element or argument names, without asking. */
export function guestOfArgument(deps: Pick<OperationDeps, 'session'>, arg: unknown): { clusterId: string; vmid: number } | undefined {
  const e = arg as (ProxmoxElement & { guest?: GuestRef }) | { clusterId?: string; vmid?: number } | undefined;
  if (!e || typeof e !== 'object') return undefined;
  if ('kind' in e) {
    if (e.kind === 'guest' && e.resource.vmid !== undefined) return { clusterId: e.clusterId, vmid: e.resource.vmid };
    if ('guest' in e && e.guest) return { clusterId: (e as { clusterId: string }).clusterId, vmid: e.guest.vmid };
    if (e.kind === 'backup') {
      const vmid = e.backup.vmid;
      return vmid !== undefined ? { clusterId: e.clusterId, vmid } : undefined;
    }
    return undefined;
  }
  if (typeof e.clusterId === 'string' && typeof e.vmid === 'number') return { clusterId: e.clusterId, vmid: e.vmid };
  return undefined;
}

/**
 * The guest `args[0]` names, or the user's pick among the guests for which `action` is allowed.
 * Refuses (with PVE's reason) a guest whose live state does not allow `action`.
 */
export async function resolveGuest(
  deps: Pick<OperationDeps, 'session' | 'clusters' | 'connections' | 'prompts'>,
  arg: unknown,
  o: { action: GuestAction; title: string; facts?: Partial<GuestFacts> },
): Promise<GuestCommandTarget> {
  const named = guestOfArgument(deps, arg);
  const { resolveCluster } = await import('./clusters');
  const cluster = named ? deps.clusters.get(named.clusterId) : await resolveCluster(deps, (arg as { clusterId?: string } | undefined)?.clusterId);
  if (!cluster) throw new Error(vscode.l10n.t('No cluster with id "{0}".', named?.clusterId ?? ''));
  const client = await deps.connections.client(cluster);
  const all = (await client.resources('vm')).filter((r) => isGuestType(r.type) && r.vmid !== undefined && r.node);
  let resource: ClusterResource | undefined;
  if (named) {
    resource = all.find((r) => r.vmid === named.vmid);
    if (!resource) throw new Error(vscode.l10n.t('There is no guest {0} in {1} any more.', named.vmid, cluster.name));
  } else {
    const candidates = all.filter((r) => refusal(o.action, { ...factsOf(r), ...o.facts }) === undefined).sort((a, b) => a.vmid! - b.vmid!);
    if (!candidates.length) throw new Error(vscode.l10n.t('No guest in {0} fits: {1}', cluster.name, o.title));
    const items = candidates.map((r) => ({
      label: `$(${r.type === 'lxc' ? 'terminal-linux' : 'vm'}) ${r.name ?? r.vmid}`,
      description: `${r.vmid} · ${r.node} · ${r.status ?? ''}`,
      id: String(r.vmid),
      r,
    }));
    resource = (await deps.prompts.pick(items, { title: o.title, matchOnDescription: true })).r;
  }
  const ref: GuestRef = { node: resource.node!, type: resource.type as GuestRef['type'], vmid: resource.vmid!, name: resource.name };
  // The node's word, not the (possibly stale) inventory: a lock or a power change since the last refresh counts.
  const live = await guestStatus(client, ref);
  const facts = factsOf({ type: ref.type, status: live.status, template: live.template ?? resource.template, lock: live.lock }, { qmpstatus: live.qmpstatus, ...o.facts });
  checkAllowed(ref, o.action, facts);
  return { cluster, client, ref, resource: { ...resource, status: live.status, lock: live.lock } };
}

/** Throws the refusal PVE would give, naming the guest; a lock as GuestLockedError. */
export function checkAllowed(g: GuestRef, action: GuestAction, facts: GuestFacts): void {
  const why = refusal(action, facts);
  if (!why) return;
  if (facts.lock && why.startsWith('it is locked')) throw new GuestLockedError(g, facts.lock);
  throw new Error(vscode.l10n.t('{0}: not possible now, {1}.', capital(describeGuest(g)), why));
}

/** Like expectOk, but a task that failed on the guest's lock says so as GuestLockedError. */
export function expectGuestOk(outcome: TaskOutcome, g: GuestRef, what: string): void {
  if (outcome.status === 'error' && !outcome.cancelled) {
    const lock = lockOf(outcome.exitstatus) ?? outcome.logTail.map((l) => lockOf(l)).find(Boolean);
    if (lock) throw new GuestLockedError(g, lock);
  }
  expectOk(outcome, what);
}

/** Follows a task of `t` in its terminal and throws on failure. */
export async function runGuestTask(deps: Pick<OperationDeps, 'operations'>, t: GuestCommandTarget, upid: string, what: string): Promise<void> {
  const outcome = await deps.operations.follow(t.cluster, t.client, upid, { vmName: t.ref.name, title: what });
  expectGuestOk(outcome, t.ref, what);
}

export { CancelledError };

/** Sends a request for `t`; PVE's synchronous refusals (a lock, a stale digest) come back typed. */
export async function send<T>(t: Pick<GuestCommandTarget, 'ref'>, request: () => Promise<T>, what?: string): Promise<T> {
  const { classifyGuestError } = await import('../../providers/proxmox/guest-errors');
  try {
    return await request();
  } catch (e) {
    throw classifyGuestError(e, t.ref, what);
  }
}
