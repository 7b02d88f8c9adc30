// Snapshots of VMs and containers: PVE's name rules, the tree of parents the web UI shows (with
// "current" — You are here — under the snapshot it descends from), and the calls. Create,
// rollback and delete return a UPID: PVE reports a missing snapshot or a lock inside the task.
import { InvalidInputError } from './errors';
import { guestPath, type GuestApi, type GuestRef } from './guests';
import type { Params } from './transport';

/** One row of GET .../snapshot. `current` is the pseudo-snapshot "You are here!". */
export interface SnapshotInfo {
  name: string;
  description?: string;
  snaptime?: number;
  vmstate?: 0 | 1;
  parent?: string;
  /** Only on `current`: the guest runs. */
  running?: 0 | 1;
}

export interface SnapshotNode {
  name: string;
  description: string;
  /** Unix seconds; undefined for `current`. */
  snaptime?: number;
  /** RAM included (a VM snapshot taken while running with vmstate). */
  vmstate: boolean;
  /** True for the `current` node (the guest's present state). */
  isCurrent: boolean;
  /** True for the snapshot the present state descends from (what a plain rollback returns to first). */
  isCurrentParent: boolean;
  children: SnapshotNode[];
}

export const SNAPSHOT_NAME_MAX = 40;
const CONFIG_ID = /^[a-z][a-z0-9_-]+$/i; // PVE::JSONSchema pve-configid
const RESERVED = ['current', 'pending'];

/** Why PVE would refuse `name` as a snapshot name (its words where it has them), or undefined. */
export function checkSnapshotName(name: string, existing: readonly string[] = []): string | undefined {
  if (!name) return 'Enter a snapshot name.';
  if (name.length > SNAPSHOT_NAME_MAX) return `"${name.slice(0, 20)}…" is ${name.length} characters long: a snapshot name has at most ${SNAPSHOT_NAME_MAX}.`;
  if (!/^[a-z]/i.test(name)) return `A snapshot name must start with a letter (invalid configuration ID '${name}').`;
  if (!CONFIG_ID.test(name)) {
    if (name.length < 2) return 'A snapshot name needs at least two characters.';
    const bad = name.match(/[^a-z0-9_-]/i)![0];
    return `"${bad === ' ' ? 'space' : bad}" is not allowed in a snapshot name: use letters, digits, "-" and "_".`;
  }
  if (name === 'current' || name.toLowerCase() === 'pending') return `unable to use snapshot name '${name}' (reserved name)`;
  if (existing.includes(name)) return `snapshot name '${name}' already used`;
  return undefined;
}

/** A default name PVE accepts (letter first, no spaces, at most 40 characters), unique among `taken`. */
export function suggestSnapshotName(prefix: string, taken: readonly string[], now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const base = `${prefix}-${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}`.slice(0, 36);
  let name = base;
  for (let i = 2; taken.includes(name); i++) name = `${base}-${i}`;
  return name;
}

/** Builds the parent tree; roots first, children by time. A snapshot whose parent is missing
 *  (deleted out of band) becomes a root rather than disappearing. */
export function buildSnapshotTree(list: readonly SnapshotInfo[]): SnapshotNode[] {
  const current = list.find((s) => s.name === 'current');
  const nodes = new Map<string, SnapshotNode>();
  for (const s of list) {
    nodes.set(s.name, {
      name: s.name, description: s.name === 'current' ? (s.description ?? 'You are here!') : (s.description ?? ''),
      snaptime: s.name === 'current' ? undefined : s.snaptime, vmstate: !!s.vmstate, isCurrent: s.name === 'current',
      isCurrentParent: !!current?.parent && current.parent === s.name, children: [],
    });
  }
  const roots: SnapshotNode[] = [];
  for (const s of list) {
    const node = nodes.get(s.name)!;
    const parent = s.parent && s.parent !== s.name ? nodes.get(s.parent) : undefined;
    (parent ? parent.children : roots).push(node);
  }
  // `current` last among its siblings (it is the newest state), the rest by time.
  const order = (a: SnapshotNode, b: SnapshotNode) => Number(a.isCurrent) - Number(b.isCurrent) || (a.snaptime ?? 0) - (b.snaptime ?? 0) || a.name.localeCompare(b.name);
  const sortAll = (xs: SnapshotNode[]) => {
    xs.sort(order);
    xs.forEach((x) => sortAll(x.children));
  };
  sortAll(roots);
  return roots;
}

/** What a rollback to `target` throws away, for the confirmation: the present state since the
 *  snapshot it descends from (or since `target` when that is the same), and whether the guest runs. */
export function rollbackLoss(list: readonly SnapshotInfo[], target: string): { target: SnapshotInfo; currentParent?: SnapshotInfo; running: boolean; restoresRam: boolean } | undefined {
  const t = list.find((s) => s.name === target && s.name !== 'current');
  if (!t) return undefined;
  const current = list.find((s) => s.name === 'current');
  const currentParent = current?.parent ? list.find((s) => s.name === current.parent) : undefined;
  return { target: t, currentParent, running: !!current?.running, restoresRam: !!t.vmstate };
}

export function listSnapshots(api: GuestApi, g: GuestRef): Promise<SnapshotInfo[]> {
  return api.get<SnapshotInfo[]>(guestPath(g, 'snapshot'));
}

export interface CreateSnapshotOptions {
  name: string;
  description?: string;
  /** Include RAM: VMs only (PVE saves it only while the VM runs). */
  vmstate?: boolean;
  /** Names already taken, to refuse a duplicate before sending. */
  existing?: readonly string[];
}

/** Checks the inputs as PVE would and returns the POST parameters; throws InvalidInputError. */
export function snapshotParams(g: GuestRef, o: CreateSnapshotOptions): Params {
  const bad = checkSnapshotName(o.name, o.existing);
  if (bad) throw new InvalidInputError('snapname', bad);
  // pve-container's snapshot method has no vmstate parameter: PVE answers 400 "property is not defined in schema".
  if (o.vmstate && g.type === 'lxc') throw new InvalidInputError('vmstate', `Containers cannot save their RAM in a snapshot (container ${g.vmid}): take the snapshot without RAM.`);
  const p: Params = { snapname: o.name };
  if (o.description) p.description = o.description;
  if (o.vmstate) p.vmstate = 1;
  return p;
}

export function createSnapshot(api: GuestApi, g: GuestRef, o: CreateSnapshotOptions): Promise<string> {
  return api.post<string>(guestPath(g, 'snapshot'), snapshotParams(g, o));
}

export function rollbackSnapshot(api: GuestApi, g: GuestRef, name: string, o: { start?: boolean } = {}): Promise<string> {
  const bad = checkSnapshotName(name);
  if (bad) throw new InvalidInputError('snapname', bad);
  return api.post<string>(guestPath(g, `snapshot/${encodeURIComponent(name)}/rollback`), o.start ? { start: 1 } : {});
}

export function deleteSnapshot(api: GuestApi, g: GuestRef, name: string, o: { force?: boolean } = {}): Promise<string> {
  const bad = checkSnapshotName(name);
  if (bad) throw new InvalidInputError('snapname', bad);
  return api.delete<string>(guestPath(g, `snapshot/${encodeURIComponent(name)}`), o.force ? { force: 1 } : undefined);
}

export function setSnapshotDescription(api: GuestApi, g: GuestRef, name: string, description: string): Promise<null> {
  return api.put<null>(guestPath(g, `snapshot/${encodeURIComponent(name)}/config`), { description });
}

/** A snapshot's saved config (GET .../snapshot/{name}/config). */
export function snapshotConfig(api: GuestApi, g: GuestRef, name: string): Promise<Record<string, string | number | undefined>> {
  const bad = checkSnapshotName(name);
  if (bad) throw new InvalidInputError('snapname', bad);
  return api.get(guestPath(g, `snapshot/${encodeURIComponent(name)}/config`));
}

/** Keys whose value differs between the present config and a snapshot's: what a rollback undoes
 *  in the configuration (disk contents are lost too, but the API cannot list those). */
export function configChanges(current: Record<string, unknown>, snapshot: Record<string, unknown>): Array<{ key: string; now?: string; then?: string }> {
  // `description` of a snapshot section is the snapshot's own description, not the guest's notes.
  const skip = new Set(['digest', 'parent', 'snaptime', 'vmstate', 'lock', 'snapstate', 'runningmachine', 'runningcpu', 'description']);
  const keys = [...new Set([...Object.keys(current), ...Object.keys(snapshot)])].filter((k) => !skip.has(k)).sort();
  const str = (v: unknown) => (v === undefined || v === null ? undefined : String(v));
  return keys.filter((k) => str(current[k]) !== str(snapshot[k])).map((k) => ({ key: k, now: str(current[k]), then: str(snapshot[k]) }));
}
