// Which guests (VMs and containers alike) a Proxmox command acts on, and how its messages name them:
// from a tree element (the guest, its Snapshots/Backups group, a snapshot, a backup, a multi-
// selection), a `{clusterId, vmid}` argument, or the user's pick. A single guest's live state is
// checked against the capability table before anything is sent, and the typed refusals of the guest
// providers are said in the user's language, naming the guest and what to do, as PVE's would.
import * as vscode from 'vscode';
import { CancelledError } from '../../providers/cancellation';
import { GUEST_CAPABILITIES, refusal, configFacts, factsOf, type GuestAction, type GuestFacts } from '../../providers/proxmox/capabilities';
import { classifyGuestError, ConfigChangedError, ConsoleUnavailableError, GuestLockedError, lockOf } from '../../providers/proxmox/guest-errors';
import { guestConfig, guestStatus, isGuestType, type GuestConfig, type GuestRef, type GuestType } from '../../providers/proxmox/guests';
import type { ProxmoxClient, TaskOutcome } from '../../providers/proxmox';
import type { ClusterResource } from '../../providers/proxmox/types';
import type { ClusterConfig } from '../../services/proxmox/clusters';
import type { ProxmoxElement } from '../../views/proxmox/tree';
import { resolveCluster } from './clusters';
import { expectOk, type OperationDeps } from './operation';
import { guestName } from '../../services/proxmox/guest-label';

type Deps = Pick<OperationDeps, 'session' | 'clusters' | 'connections' | 'prompts'>;

export interface GuestCommandTarget {
  cluster: ClusterConfig;
  client: ProxmoxClient;
  ref: GuestRef;
  /** As the inventory last reported it (the palette's pick, the tree's item), with the live status and lock. */
  resource: ClusterResource;
  /** The guest's config, read for the check when the action depends on it (serial port, cloud-init drive). */
  config?: GuestConfig;
}

export { guestName };

/** For a guest's name at the start of a sentence. */
const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The guest and cluster an element or argument names, without asking. */
export function guestOfArgument(arg: unknown): { clusterId: string; vmid: number } | undefined {
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

type GuestRow = ClusterResource & { vmid: number; node: string };

/** The cluster an argument names (or the user's pick), its client, and its guests fresh from /cluster/resources. */
async function guestsOfCluster(deps: Deps, clusterId: string | undefined): Promise<{ cluster: ClusterConfig; client: ProxmoxClient; all: GuestRow[] }> {
  const cluster = await resolveCluster(deps, clusterId);
  const client = await deps.connections.client(cluster);
  const all = (await client.resources('vm')).filter((r): r is GuestRow => isGuestType(r.type) && r.vmid !== undefined && !!r.node);
  return { cluster, client, all };
}

function noSuchGuest(vmid: number, cluster: ClusterConfig): Error {
  return new Error(vscode.l10n.t('There is no guest {0} in {1}.', vmid, cluster.name));
}

function noneFits(cluster: ClusterConfig, title: string): Error {
  return new Error(vscode.l10n.t('No guest in {0} fits: {1}', cluster.name, title));
}

function pickItem<T extends GuestRow>(r: T) {
  return { label: `$(${r.type === 'lxc' ? 'terminal-linux' : 'vm'}) ${r.name ?? r.vmid}`, description: `${r.vmid} · ${r.node} · ${r.status ?? ''}`, id: String(r.vmid), r };
}

/**
 * The one guest `arg` names, or the user's pick among the guests (of `types`, default both) for which
 * `action` is allowed. Refuses (with PVE's reason) a guest whose live state does not allow `action`;
 * when the action depends on the config (a serial port, a cloud-init drive) the config is read for
 * the check and returned.
 */
export async function resolveGuest(deps: Deps, arg: unknown, o: { action: GuestAction; title: string; types?: GuestType[]; facts?: Partial<GuestFacts> }): Promise<GuestCommandTarget> {
  const named = guestOfArgument(arg);
  const { cluster, client, all } = await guestsOfCluster(deps, named?.clusterId ?? (arg as { clusterId?: string } | undefined)?.clusterId);
  const rule = GUEST_CAPABILITIES[o.action];
  const types = o.types ?? rule.types;
  let resource: GuestRow | undefined;
  if (named) {
    resource = all.find((r) => r.vmid === named.vmid);
    if (!resource) throw noSuchGuest(named.vmid, cluster);
  } else {
    // What only the config tells (a serial port, a cloud-init drive) is checked once a guest is picked.
    const unknown: Partial<GuestFacts> = { hasSerial: true, hasCloudInit: true };
    const candidates = all
      .filter((r) => types.includes(r.type as GuestType) && refusal(o.action, { ...factsOf(r), ...unknown, ...o.facts }) === undefined)
      .sort((a, b) => a.vmid - b.vmid);
    if (!candidates.length) throw noneFits(cluster, o.title);
    resource = (await deps.prompts.pick(candidates.map(pickItem), { title: o.title, matchOnDescription: true })).r;
  }
  const ref: GuestRef = { node: resource.node, type: resource.type as GuestType, vmid: resource.vmid, name: resource.name };
  if (!types.includes(ref.type)) throw wrongType(ref);
  // The node's word, not the (possibly stale) inventory: a lock or a power change since the last refresh counts.
  const needsConfig = rule.needs === 'serial' || rule.needs === 'cloudinit';
  const [live, config] = await Promise.all([guestStatus(client, ref), needsConfig ? guestConfig(client, ref) : undefined]);
  const facts = factsOf(
    { type: ref.type, status: live.status, template: live.template ?? resource.template, lock: live.lock },
    { qmpstatus: live.qmpstatus, ...(config ? configFacts(config) : {}), ...o.facts },
  );
  checkAllowed(ref, o.action, facts);
  return { cluster, client, ref, resource: { ...resource, status: live.status, lock: live.lock }, config };
}

/** `g` is of a type the command does not act on. */
function wrongType(g: GuestRef): Error {
  return new Error(g.type === 'lxc'
    ? vscode.l10n.t('{0} is a container: this works on VMs only.', capital(guestName(g)))
    : vscode.l10n.t('{0} is a VM: this works on containers only.', capital(guestName(g))));
}

/** Throws the refusal PVE would give, naming the guest: a wrong type, a lock, a missing serial port said as such. */
export function checkAllowed(g: GuestRef, action: GuestAction, facts: GuestFacts): void {
  const why = refusal(action, facts);
  if (!why) return;
  const rule = GUEST_CAPABILITIES[action];
  if (!rule.types.includes(g.type)) throw wrongType(g);
  if (facts.lock && why === `it is locked (${facts.lock})`) throw explain(new GuestLockedError(g, facts.lock), g);
  if (rule.needs === 'serial' && g.type === 'qemu' && facts.power === 'running' && !facts.template && !facts.hasSerial) {
    throw explain(new ConsoleUnavailableError(g, 'no serial port', 'no-serial'), g);
  }
  throw new Error(vscode.l10n.t('Not possible for {0}: {1}.', guestName(g), why));
}

/** Why a lock is there, as the user would say it (PVE's lock names). */
function lockHint(lock: string): string {
  switch (lock) {
    case 'backup': return vscode.l10n.t('a backup of it is running');
    case 'snapshot': return vscode.l10n.t('a snapshot is being taken');
    case 'snapshot-delete': return vscode.l10n.t('a snapshot is being deleted');
    case 'rollback': return vscode.l10n.t('a snapshot rollback is running');
    case 'migrate': return vscode.l10n.t('it is being migrated');
    case 'clone': return vscode.l10n.t('it is being cloned');
    case 'create': return vscode.l10n.t('it is being created or restored');
    case 'disk': return vscode.l10n.t('a disk operation is running');
    case 'suspended': return vscode.l10n.t('it is hibernated; resume it first');
    case 'suspending': return vscode.l10n.t('it is being hibernated');
    default: return vscode.l10n.t('another operation is running on it');
  }
}

/** The typed refusals of the guest providers, localized and naming `g`; anything else unchanged. */
export function explain(e: unknown, g: GuestRef): unknown {
  if (e instanceof ConfigChangedError) {
    return new Error(vscode.l10n.t('The configuration of {0} was changed by someone else since you opened it, so your change was not saved and nothing was overwritten. Reload it, re-apply your change and save again.', guestName(g)), { cause: e });
  }
  if (e instanceof GuestLockedError) {
    const unlock = `${g.type === 'qemu' ? 'qm' : 'pct'} unlock ${g.vmid}`;
    return new Error(vscode.l10n.t('{0} is locked ({1}): {2}. Try again when it has finished, or remove a stale lock on the node with `{3}`.', capital(guestName(g)), e.lock, lockHint(e.lock), unlock), { cause: e });
  }
  if (e instanceof ConsoleUnavailableError && e.reason === 'no-serial') {
    return new Error(vscode.l10n.t('{0} has no serial port, so it has no text console. Add one (Hardware → Add → Serial Port, or `qm set {1} -serial0 socket`), reboot the VM and let its OS use it (console=ttyS0); or use Open Web Console for the graphical console.', capital(guestName(g)), g.vmid), { cause: e });
  }
  return e;
}

/** Like expectOk, but a task that failed on the guest's lock says so, naming the lock. */
export function expectGuestOk(outcome: TaskOutcome, g: GuestRef, what: string): void {
  if (outcome.status === 'error' && !outcome.cancelled) {
    const lock = lockOf(outcome.exitstatus) ?? outcome.logTail.map((l) => lockOf(l)).find(Boolean);
    if (lock) throw explain(new GuestLockedError(g, lock), g);
  }
  expectOk(outcome, what);
}

/** Follows a task of `t` in its terminal and throws on failure. */
export async function runGuestTask(deps: Pick<OperationDeps, 'operations'>, t: Pick<GuestCommandTarget, 'cluster' | 'client' | 'ref'>, upid: string, what: string): Promise<void> {
  const outcome = await deps.operations.follow(t.cluster, t.client, upid, { vmName: t.ref.name, title: what });
  expectGuestOk(outcome, t.ref, what);
}

export { CancelledError };

/** Sends a request for `t`; PVE's synchronous refusals (a lock, a stale digest) come back explained. */
export async function send<T>(t: Pick<GuestCommandTarget, 'ref'>, request: () => Promise<T>, what?: string): Promise<T> {
  try {
    return await request();
  } catch (e) {
    throw explain(classifyGuestError(e, t.ref, what), t.ref);
  }
}

// ---- several guests, and nodes ----

/** A guest as the inventory reported it, in its cluster (lifecycle, clone, migrate, shell). */
export interface GuestTarget {
  cluster: ClusterConfig;
  guest: GuestRow;
}

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
export async function resolveGuests(deps: Deps, args: unknown[], o: { many: boolean; filter: (r: ClusterResource) => boolean; title: string }): Promise<GuestTarget[]> {
  const fromTree = guestsOf(args);
  if (fromTree.length) {
    return fromTree.map((e) => {
      const cluster = deps.clusters.get(e.clusterId);
      if (!cluster) throw new Error(vscode.l10n.t('No cluster with id "{0}".', e.clusterId));
      const fresh = e.resource.vmid === undefined ? undefined : deps.session.guest(e.clusterId, e.resource.vmid);
      return { cluster, guest: (fresh ?? e.resource) as GuestRow };
    });
  }
  const ref = args[0] as { clusterId?: string; vmid?: number } | undefined;
  // Both guest types: each command's filter says which it acts on.
  const { cluster, all } = await guestsOfCluster(deps, ref?.clusterId);
  if (ref?.vmid !== undefined) {
    const g = all.find((r) => r.vmid === ref.vmid);
    if (!g) throw noSuchGuest(ref.vmid, cluster);
    return [{ cluster, guest: g }];
  }
  const candidates = all.filter(o.filter).sort((a, b) => a.vmid - b.vmid);
  if (!candidates.length) throw noneFits(cluster, o.title);
  const items = candidates.map(pickItem);
  const picked = o.many
    ? await deps.prompts.pickStep(items, { title: o.title, canPickMany: true }, { step: 1, totalSteps: 1, back: false })
    : [await deps.prompts.pick(items, { title: o.title, matchOnDescription: true })];
  if (!picked.length) throw new CancelledError();
  return picked.map((p) => ({ cluster, guest: p.r }));
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
