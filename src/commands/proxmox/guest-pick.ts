// The one guest a console / notes / tags / cloud-init command acts on, for VMs and containers alike
// (operation.ts's resolveGuests offers only VMs from the palette), and the typed refusals of the
// guest providers said in the user's language, naming the guest and what to do.
import * as vscode from 'vscode';
import type { GuestAction, GuestFacts } from '../../providers/proxmox/capabilities';
import type { GuestRef, GuestType } from '../../providers/proxmox/guests';
import type { ClusterResource } from '../../providers/proxmox/types';
import type { ClusterConfig } from '../../services/proxmox/clusters';
import { resolveCluster } from './clusters';
import { resolveGuests, type GuestTarget, type OperationDeps } from './operation';

export interface OneGuest extends GuestTarget {
  ref: GuestRef;
}

type Deps = Pick<OperationDeps, 'clusters' | 'connections' | 'session' | 'prompts'>;

/** "VM 101 (web)" / "container 200 (ct-pihole)", localized. */
export function guestLabel(g: { type?: string; vmid?: number; name?: string }): string {
  const name = g.name ? ` (${g.name})` : '';
  return g.type === 'lxc' ? vscode.l10n.t('container {0}{1}', g.vmid ?? '?', name) : vscode.l10n.t('VM {0}{1}', g.vmid ?? '?', name);
}

export const refOf = (g: ClusterResource & { vmid: number; node: string }): GuestRef => ({ node: g.node, type: g.type === 'lxc' ? 'lxc' : 'qemu', vmid: g.vmid, name: g.name });

/**
 * The guest of a tree element, a `{clusterId, vmid}` argument, or the user's pick among the guests
 * of `types` that pass `filter`. The type is checked for tree elements too (a menu is a hint).
 */
export async function resolveGuest(deps: Deps, args: unknown[], o: { types: GuestType[]; filter?: (r: ClusterResource) => boolean; title: string }): Promise<OneGuest> {
  const el = args[0] as { kind?: string; clusterId?: string; vmid?: number } | undefined;
  let target: GuestTarget;
  if (el?.kind === 'guest') {
    [target] = await resolveGuests(deps, args.slice(0, 1), { many: false, filter: () => true, title: o.title });
  } else {
    const cluster = await resolveCluster(deps, el?.clusterId);
    const client = await deps.connections.client(cluster);
    const all = (await client.resources('vm')).filter((r) => (r.type === 'qemu' || r.type === 'lxc') && r.vmid !== undefined && r.node) as GuestTarget['guest'][];
    if (el?.vmid !== undefined) {
      const g = all.find((r) => r.vmid === el.vmid);
      if (!g) throw new Error(vscode.l10n.t('There is no guest {0} in {1}.', el.vmid, cluster.name));
      target = { cluster, guest: g };
    } else {
      const candidates = all.filter((r) => o.types.includes(r.type as GuestType) && (o.filter?.(r) ?? true)).sort((a, b) => a.vmid - b.vmid);
      if (!candidates.length) throw new Error(vscode.l10n.t('No guest in {0} fits: {1}', cluster.name, o.title));
      const items = candidates.map((g) => ({ label: g.name ?? guestLabel(g), description: `${g.type === 'lxc' ? 'CT' : 'VM'} ${g.vmid} · ${g.node} · ${g.status ?? ''}`, id: String(g.vmid), guest: g }));
      target = { cluster, guest: (await deps.prompts.pick(items, { title: o.title })).guest };
    }
  }
  if (!o.types.includes(target.guest.type as GuestType)) {
    throw new Error(target.guest.type === 'lxc'
      ? vscode.l10n.t('{0} is a container: this works on VMs only.', guestLabel(target.guest))
      : vscode.l10n.t('{0} is a VM: this works on containers only.', guestLabel(target.guest)));
  }
  return { ...target, ref: refOf(target.guest) };
}

/** The node of a tree element, a `{clusterId, node}` argument, or the user's pick among the online nodes. */
export async function resolveNode(deps: Deps, args: unknown[], title: string): Promise<{ cluster: ClusterConfig; node: string }> {
  const el = args[0] as { kind?: string; clusterId?: string; node?: string } | undefined;
  const cluster = await resolveCluster(deps, el?.clusterId);
  if (el?.node) return { cluster, node: el.node };
  await deps.session.ensureLoaded(cluster.id);
  const nodes = (deps.session.inventory(cluster.id)?.nodes ?? []).filter((n) => n.online).map((n) => n.name);
  if (!nodes.length) throw new Error(vscode.l10n.t('No node of {0} is online.', cluster.name));
  if (nodes.length === 1) return { cluster, node: nodes[0] };
  const picked = await deps.prompts.pick(nodes.map((n) => ({ label: n, id: n })), { title });
  return { cluster, node: picked.id };
}

/** Refuses what PVE would refuse (capabilities.ts), in a sentence naming the guest. */
export async function checkAllowed(action: GuestAction, g: OneGuest, facts: GuestFacts): Promise<void> {
  const { refusal } = await import('../../providers/proxmox/capabilities');
  const why = refusal(action, facts);
  if (why) throw new Error(vscode.l10n.t('Not possible for {0}: {1}.', guestLabel(g.ref), why));
}

/** The typed refusals of the guest providers, localized; anything else unchanged. */
export async function explain(e: unknown, g: GuestRef): Promise<unknown> {
  const ge = await import('../../providers/proxmox/guest-errors');
  if (e instanceof ge.ConfigChangedError) {
    return new Error(vscode.l10n.t('{0} was changed by someone else since you opened it, so your change was not saved and nothing was overwritten. Reload it, re-apply your change and save again.', guestLabel(g)));
  }
  if (e instanceof ge.GuestLockedError) {
    return new Error(vscode.l10n.t('{0} is locked ({1}): another operation is running on it. Try again when it has finished.', guestLabel(g), e.lock));
  }
  if (e instanceof ge.ConsoleUnavailableError && e.reason === 'no-serial') {
    return new Error(vscode.l10n.t('{0} has no serial port, so it has no text console. Add one (Hardware → Add → Serial Port, or `qm set {1} -serial0 socket`), reboot the VM and let its OS use it (console=ttyS0); or use Open Web Console for the graphical console.', guestLabel(g), g.vmid));
  }
  return e;
}
