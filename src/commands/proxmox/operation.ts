// What every Proxmox command shares: its dependencies, which guests it acts on, how a task's
// outcome becomes an error, and the activity report. The task path itself is the Operations
// service (src/services/operations.ts).
import * as vscode from 'vscode';
import type { TaskOutcome } from '../../providers/proxmox';
import type { ClusterResource } from '../../providers/proxmox/types';
import { CancelledError } from '../../providers/cancellation';
import type { ActivityRecord } from '../../services/activity';
import type { Operations } from '../../services/operations';
import type { ClusterConfig, ClusterStore } from '../../services/proxmox/clusters';
import type { Connections } from '../../services/proxmox/connections';
import type { ProxmoxSession } from '../../services/proxmox/session';
import type { ProxmoxElement } from '../../views/proxmox/tree';
import type { Prompts } from '../prompts';

export interface OperationDeps {
  /** The inventory commands read; `clusters` and `connections` are its parts. */
  session: ProxmoxSession;
  clusters: ClusterStore;
  connections: Connections;
  prompts: Prompts;
  log: vscode.LogOutputChannel;
  operations: Operations;
}

/** Reports a finished long operation to the activity log; never fails the command. */
export function reportActivity(deps: Pick<OperationDeps, 'operations'>, e: ActivityRecord): Promise<void> {
  return deps.operations.report(e);
}

/** Throws a user-facing error for a task that failed; a cancelled task ends the command quietly. */
export function expectOk(outcome: TaskOutcome, what: string): void {
  if (outcome.cancelled) {
    void vscode.window.showInformationMessage(vscode.l10n.t('{0} was cancelled: the task was stopped ({1}).', what, outcome.exitstatus));
    throw new CancelledError();
  }
  if (outcome.status === 'error') {
    const tail = outcome.logTail.filter((l) => !/^TASK ERROR/.test(l)).slice(-3);
    throw new Error(vscode.l10n.t('{0} failed: {1}', what, outcome.exitstatus) + (tail.length ? ` — ${tail.join(' / ')}` : ''));
  }
}

// ---- which guests a command acts on ----

export interface GuestTarget {
  cluster: ClusterConfig;
  guest: ClusterResource & { vmid: number; node: string };
}

type GuestFilter = (r: ClusterResource) => boolean;

function guestsOf(args: unknown[]): Extract<ProxmoxElement, { kind: 'guest' }>[] {
  // Tree context menus call (clicked, allSelected); the palette calls with nothing.
  const [clicked, selected] = args as [unknown, unknown];
  const list = Array.isArray(selected) && selected.length ? selected : clicked ? [clicked] : [];
  return list.filter((e): e is Extract<ProxmoxElement, { kind: 'guest' }> => (e as ProxmoxElement)?.kind === 'guest');
}

/**
 * The guests a command was invoked on: the tree selection (multi-select), one element, a
 * `{clusterId, vmid}` argument, or the user's pick among the guests that pass `filter`.
 */
export async function resolveGuests(
  deps: Pick<OperationDeps, 'clusters' | 'connections' | 'session' | 'prompts'>,
  args: unknown[],
  o: { many: boolean; filter: GuestFilter; title: string },
): Promise<GuestTarget[]> {
  const fromTree = guestsOf(args);
  if (fromTree.length) {
    return fromTree.map((e) => {
      const cluster = deps.clusters.get(e.clusterId);
      if (!cluster) throw new Error(vscode.l10n.t('No cluster with id "{0}".', e.clusterId));
      const fresh = e.resource.vmid === undefined ? undefined : deps.session.guest(e.clusterId, e.resource.vmid);
      return { cluster, guest: (fresh ?? e.resource) as GuestTarget['guest'] };
    });
  }
  const { resolveCluster } = await import('./clusters');
  const ref = args[0] as { clusterId?: string; vmid?: number } | undefined;
  const cluster = await resolveCluster(deps, ref?.clusterId ?? undefined);
  const client = await deps.connections.client(cluster);
  // Both guest types: each command's filter says which it acts on.
  const all = (await client.resources('vm')).filter((r) => (r.type === 'qemu' || r.type === 'lxc') && r.vmid !== undefined && r.node) as GuestTarget['guest'][];
  if (ref?.vmid !== undefined) {
    const g = all.find((r) => r.vmid === ref.vmid);
    if (!g) throw new Error(vscode.l10n.t('There is no VM {0} in {1}.', ref.vmid, cluster.name));
    return [{ cluster, guest: g }];
  }
  const candidates = all.filter(o.filter).sort((a, b) => a.vmid - b.vmid);
  if (!candidates.length) throw new Error(vscode.l10n.t('No VM in {0} fits: {1}', cluster.name, o.title));
  const items = candidates.map((g) => ({ label: g.name ?? `VM ${g.vmid}`, description: `${g.vmid} · ${g.node} · ${g.status ?? ''}`, id: String(g.vmid), guest: g }));
  const picked = o.many
    ? await deps.prompts.pickStep(items, { title: o.title, canPickMany: true }, { step: 1, totalSteps: 1, back: false })
    : [await deps.prompts.pick(items, { title: o.title })];
  if (!picked.length) throw new CancelledError();
  return picked.map((p) => ({ cluster, guest: p.guest }));
}

export const vmPath = (g: { node: string; vmid: number }) => `/nodes/${encodeURIComponent(g.node)}/qemu/${g.vmid}`;
export const label = (g: ClusterResource) => `${g.name ?? 'VM'} (${g.vmid})`;
