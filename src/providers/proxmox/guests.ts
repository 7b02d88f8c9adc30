// Guests of both types: a VM (`qemu`) and a container (`lxc`) live under different API paths and
// take different parameters for the same verb (clone names `name` vs `hostname`, migrate `online`
// vs `restart`). Everything that addresses a guest builds its path here, so no caller writes
// `/qemu/` for a container.
import { pathSegment } from './client';
import type { Params } from './transport';
import type { ClusterResource } from './types';

export type GuestType = 'qemu' | 'lxc';

/** Enough to address a guest: where it runs, what it is, its ID. */
export interface GuestRef {
  node: string;
  type: GuestType;
  vmid: number;
  /** For messages only (`VM 100 "web"`). */
  name?: string;
}

/** The calls these helpers make; `ProxmoxClient` satisfies it. */
export interface GuestApi {
  get<T = unknown>(path: string, params?: Params): Promise<T>;
  post<T = unknown>(path: string, params?: Params): Promise<T>;
  put<T = unknown>(path: string, params?: Params): Promise<T>;
  delete<T = unknown>(path: string, params?: Params): Promise<T>;
}

export function isGuestType(t: unknown): t is GuestType {
  return t === 'qemu' || t === 'lxc';
}

/** `/nodes/pve1/lxc/200` or, with `sub`, `/nodes/pve1/lxc/200/snapshot`. */
export function guestPath(g: Pick<GuestRef, 'node' | 'type' | 'vmid'>, sub?: string): string {
  if (!isGuestType(g.type)) throw new TypeError(`Unknown guest type "${String(g.type)}": expected qemu or lxc`);
  if (!Number.isInteger(g.vmid) || g.vmid < 100) throw new TypeError(`Invalid VM ID ${g.vmid}`);
  const base = `/nodes/${pathSegment(g.node)}/${g.type}/${g.vmid}`;
  return sub ? `${base}/${sub.replace(/^\/+/, '')}` : base;
}

/** A guest from a `/cluster/resources` row; undefined for nodes, storages and the like. */
export function guestRefOf(r: ClusterResource): GuestRef | undefined {
  if (!isGuestType(r.type) || r.vmid === undefined || !r.node) return undefined;
  return { node: r.node, type: r.type, vmid: r.vmid, name: r.name };
}

/** "VM 100 (web)" / "container 200 (ct-pihole)": how messages name a guest. */
export function describeGuest(g: GuestRef): string {
  return `${g.type === 'qemu' ? 'VM' : 'container'} ${g.vmid}${g.name ? ` (${g.name})` : ''}`;
}

export type PowerAction = 'start' | 'shutdown' | 'stop' | 'reboot' | 'suspend' | 'resume';

/** POST .../status/{action} -> UPID. `timeout` (s) for shutdown/reboot, `forceStop` for shutdown. */
export function powerGuest(api: GuestApi, g: GuestRef, action: PowerAction, o: { timeout?: number; forceStop?: boolean } = {}): Promise<string> {
  const p: Params = {};
  if (o.timeout !== undefined && (action === 'shutdown' || action === 'reboot')) p.timeout = o.timeout;
  if (o.forceStop !== undefined && action === 'shutdown') p.forceStop = o.forceStop;
  return api.post<string>(guestPath(g, `status/${action}`), p);
}

export interface GuestStatus {
  status: 'running' | 'stopped';
  /** qemu only: `paused` after suspend. */
  qmpstatus?: string;
  lock?: string;
  template?: 0 | 1;
  uptime?: number;
  name?: string;
  tags?: string;
}

export function guestStatus(api: GuestApi, g: GuestRef): Promise<GuestStatus> {
  return api.get<GuestStatus>(guestPath(g, 'status/current'));
}

/** The config with its `digest` (SHA-1 of the file: send it back to refuse a concurrent change). */
export type GuestConfig = Record<string, string | number | undefined> & { digest: string };

export function guestConfig(api: GuestApi, g: GuestRef): Promise<GuestConfig> {
  return api.get<GuestConfig>(guestPath(g, 'config'));
}

export interface CloneOptions {
  newid: number;
  /** Becomes `name` for a VM, `hostname` for a container. */
  name?: string;
  /** Full copy; containers that are not templates can only be cloned in full. */
  full?: boolean;
  target?: string;
  storage?: string;
  pool?: string;
  description?: string;
}

export function cloneParams(g: GuestRef, o: CloneOptions): Params {
  const p: Params = { newid: o.newid };
  if (o.name !== undefined) p[g.type === 'qemu' ? 'name' : 'hostname'] = o.name;
  if (o.full !== undefined) p.full = o.full;
  if (o.target !== undefined) p.target = o.target;
  if (o.storage !== undefined) p.storage = o.storage;
  if (o.pool !== undefined) p.pool = o.pool;
  if (o.description !== undefined) p.description = o.description;
  return p;
}

export function cloneGuest(api: GuestApi, g: GuestRef, o: CloneOptions): Promise<string> {
  return api.post<string>(guestPath(g, 'clone'), cloneParams(g, o));
}

export interface MigrateOptions {
  target: string;
  /** The guest runs: a VM migrates live (`online`), a container in restart mode (`restart`),
   *  the only way PVE moves a running container. Left out: taken from `running`. */
  running?: boolean;
  withLocalDisks?: boolean;
  targetStorage?: string;
  /** Container restart mode: seconds to wait for the shutdown. */
  timeout?: number;
}

export function migrateParams(g: GuestRef, o: MigrateOptions): Params {
  const p: Params = { target: o.target };
  if (g.type === 'qemu') {
    if (o.running) p.online = 1;
    if (o.withLocalDisks) p['with-local-disks'] = 1;
    if (o.targetStorage) p.targetstorage = o.targetStorage;
  } else {
    if (o.running) p.restart = 1;
    if (o.running && o.timeout !== undefined) p.timeout = o.timeout;
    if (o.targetStorage) p['target-storage'] = o.targetStorage;
  }
  return p;
}

export function migrateGuest(api: GuestApi, g: GuestRef, o: MigrateOptions): Promise<string> {
  return api.post<string>(guestPath(g, 'migrate'), migrateParams(g, o));
}

export function convertToTemplate(api: GuestApi, g: GuestRef): Promise<string> {
  return api.post<string>(guestPath(g, 'template'));
}

export function deleteGuest(api: GuestApi, g: GuestRef, o: { purge?: boolean; destroyUnreferencedDisks?: boolean } = {}): Promise<string> {
  const p: Params = {};
  if (o.purge) p.purge = 1;
  if (o.destroyUnreferencedDisks) p['destroy-unreferenced-disks'] = 1;
  return api.delete<string>(guestPath(g), p);
}

/** GET .../migrate, the same shape for both types (qemu answers `allowed_nodes`, PVE 9's
 *  container endpoint `allowed-nodes`). `localDisks` is empty for containers (PVE does not list them). */
export interface MigrateCheck {
  running: boolean;
  allowedNodes: string[];
  notAllowedNodes: Record<string, unknown>;
  localDisks: Array<{ volid: string; size?: number; cdrom?: number }>;
  localResources: string[];
}

export async function migrateCheck(api: GuestApi, g: GuestRef, target?: string): Promise<MigrateCheck> {
  const raw = await api.get<Record<string, unknown>>(guestPath(g, 'migrate'), target ? { target } : undefined);
  const pick = <T>(a: string, b: string, d: T): T => (raw[a] ?? raw[b] ?? d) as T;
  return {
    running: !!raw.running,
    allowedNodes: pick('allowed_nodes', 'allowed-nodes', [] as string[]),
    notAllowedNodes: pick('not_allowed_nodes', 'not-allowed-nodes', {} as Record<string, unknown>),
    localDisks: pick('local_disks', 'local-disks', [] as MigrateCheck['localDisks']),
    localResources: pick('local_resources', 'local-resources', [] as string[]),
  };
}
