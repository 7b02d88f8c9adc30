// Clone planning and the clone request itself. Pure rules (which nodes and storages can take a
// clone, whether a plan is complete and valid) and the one place a clone POST may be repeated:
// only when the server said the clone did NOT happen, and only after checking the VM ID is free.
import { pathSegment } from './client';
import { checkDnsLabel, checkVmid, encodeSshKeys, ipconfigValue, type IpConfig } from './cloud-init';
import { ProxmoxError } from './errors';

export interface CloneSourceDisk {
  key: string; // scsi0
  volid: string; // local-lvm:base-9000-disk-0
  storage: string;
  sizeBytes: number;
}

export interface StorageInfo {
  storage: string;
  node: string;
  shared: boolean;
  content: string[];
  available: boolean;
}

export interface CloneContext {
  source: { vmid: number; node: string; name?: string; template: boolean; disks: CloneSourceDisk[] };
  nodes: { name: string; online: boolean }[];
  /** From `/cluster/resources?type=storage`: one entry per node and storage. */
  storages: StorageInfo[];
}

export interface ClonePlan {
  name: string;
  /** Undefined: ask `/cluster/nextid` (and take another one on a race). */
  newid?: number;
  full: boolean;
  target: string;
  /** Full clones only. */
  storage?: string;
  cores?: number;
  memoryMiB?: number;
  /** New size of the first disk, GiB (grow only). */
  diskGiB?: number;
  ciuser?: string;
  sshKeys: string[];
  ip: IpConfig;
  start: boolean;
}

const isShared = (ctx: CloneContext, storage: string) => ctx.storages.some((s) => s.storage === storage && s.shared);

/** Storages of the source disks that live on the source node only. */
export function localStorages(ctx: CloneContext): string[] {
  return [...new Set(ctx.source.disks.map((d) => d.storage).filter((s) => !isShared(ctx, s)))];
}

/** Nodes that can take the clone: linked clones and disks on local storage stay on the source node. */
export function cloneTargets(ctx: CloneContext, full: boolean, storage?: string): string[] {
  const online = ctx.nodes.filter((n) => n.online).map((n) => n.name);
  const staysLocal = !full || localStorages(ctx).length > 0 || (storage !== undefined && !isShared(ctx, storage));
  if (staysLocal) return online.filter((n) => n === ctx.source.node);
  return online;
}

/** Storages a full clone can be written to on `node` (images content, available there). */
export function cloneStorages(ctx: CloneContext, node: string): string[] {
  return [...new Set(ctx.storages.filter((s) => s.node === node && s.available && s.content.includes('images')).map((s) => s.storage))].sort();
}

/** Every problem with a plan, each a sentence the user can act on; [] when it can be sent. */
export function validateClonePlan(plan: ClonePlan, ctx: CloneContext): string[] {
  const problems: string[] = [];
  const name = checkDnsLabel(plan.name ?? '');
  if (name) problems.push(name);
  if (plan.newid !== undefined) {
    const id = checkVmid(String(plan.newid));
    if (id) problems.push(id);
  }
  if (!ctx.source.template && !plan.full) problems.push(`VM ${ctx.source.vmid} is not a template: only a full clone can copy it (a linked clone needs a template).`);
  if (!plan.full && plan.storage) problems.push('A linked clone stays on the storage of its template: choose a full clone to pick a storage.');
  const node = ctx.nodes.find((n) => n.name === plan.target);
  if (!node) problems.push(`There is no node "${plan.target}" in this cluster.`);
  else if (!node.online) problems.push(`Node ${plan.target} is offline: pick an online node.`);
  else if (!cloneTargets(ctx, plan.full, plan.storage).includes(plan.target)) {
    const local = localStorages(ctx);
    problems.push(
      !plan.full
        ? `A linked clone stays on the template's node ${ctx.source.node}: it cannot be created on ${plan.target}. Choose a full clone on shared storage to place it elsewhere.`
        : `Cannot clone to ${plan.target}: the template's disks are on storage local to ${ctx.source.node} (${local.join(', ') || plan.storage}), which ${plan.target} cannot read. Clone on ${ctx.source.node}, or keep the template on shared storage.`,
    );
  }
  if (plan.full && plan.storage && node?.online && !cloneStorages(ctx, plan.target).includes(plan.storage)) {
    problems.push(`Storage ${plan.storage} cannot hold VM disks on ${plan.target}.`);
  }
  if (plan.cores !== undefined && (!Number.isInteger(plan.cores) || plan.cores < 1 || plan.cores > 512)) problems.push('Cores must be a whole number from 1 to 512.');
  if (plan.memoryMiB !== undefined && (!Number.isInteger(plan.memoryMiB) || plan.memoryMiB < 16)) problems.push('Memory must be a whole number of MiB, at least 16.');
  const disk = ctx.source.disks.find((d) => !/cloudinit/.test(d.volid));
  if (plan.diskGiB !== undefined) {
    if (!(plan.diskGiB > 0) || !Number.isInteger(plan.diskGiB)) problems.push('The disk size must be a whole number of GiB.');
    else if (disk && plan.diskGiB * 2 ** 30 < disk.sizeBytes) problems.push(`Disks only grow: ${disk.key} already has ${Math.ceil(disk.sizeBytes / 2 ** 30)} GiB.`);
  }
  if (plan.ciuser !== undefined && !/^[a-z_][a-z0-9_-]{0,31}$/.test(plan.ciuser)) problems.push(`"${plan.ciuser}" is not a valid Linux user name (lowercase letters, digits, "_" and "-").`);
  try {
    encodeSshKeys(plan.sshKeys ?? []);
  } catch (e) {
    problems.push((e as Error).message);
  }
  try {
    ipconfigValue(plan.ip);
  } catch (e) {
    problems.push((e as Error).message);
  }
  return problems;
}

/** The `PUT .../config` parameters that apply the plan's hardware and cloud-init choices. */
export function cloneConfigParams(plan: ClonePlan): Record<string, string | number> {
  const p: Record<string, string | number> = { sshkeys: encodeSshKeys(plan.sshKeys), ipconfig0: ipconfigValue(plan.ip) };
  if (plan.cores !== undefined) p.cores = plan.cores;
  if (plan.memoryMiB !== undefined) p.memory = plan.memoryMiB;
  if (plan.ciuser) p.ciuser = plan.ciuser;
  return p;
}

// ---- the clone request ----

export type CloneRefusal = 'id-taken' | 'lock-timeout';

const text = (e: ProxmoxError) => [e.reason, e.pveMessage, e.message, ...Object.values(e.errors ?? {})].join(' ');

/** When the server says the clone did NOT happen and why; undefined for anything else. */
export function cloneRefusal(e: unknown): CloneRefusal | undefined {
  if (!(e instanceof ProxmoxError)) return undefined;
  if ((e.kind === 'parameter' || e.kind === 'server') && /VM \d+ already exists/i.test(text(e))) return 'id-taken';
  if (e.kind === 'server' && /can't lock file .* got timeout/i.test(text(e))) return 'lock-timeout';
  return undefined;
}

export interface CloneApi {
  get<T>(path: string, params?: Record<string, unknown>): Promise<T>;
  post<T>(path: string, params?: Record<string, unknown>): Promise<T>;
}

export interface StartCloneOptions {
  node: string;
  vmid: number;
  /** Everything but `newid`. */
  params: Record<string, string | number | boolean | undefined>;
  /** The user's own choice: a race for it is an error, not a reason to take another one. */
  newid?: number;
  maxAttempts?: number; // default 6
  baseDelayMs?: number; // default 500, doubled per lock timeout, capped at 8 s
  sleep?: (ms: number) => Promise<void>;
  onRetry?: (info: { attempt: number; reason: CloneRefusal; newid: number; delayMs: number }) => void;
  signal?: AbortSignal;
}

export class CloneAbandonedError extends Error {
  override readonly name = 'CloneAbandonedError';
}

/** Free according to the cluster: `GET /cluster/nextid?vmid=X` answers 400 when X exists. */
export async function vmidIsFree(api: CloneApi, vmid: number): Promise<boolean> {
  try {
    await api.get('/cluster/nextid', { vmid });
    return true;
  } catch (e) {
    if (e instanceof ProxmoxError && e.kind === 'parameter' && /already exists/i.test(text(e))) return false;
    throw e;
  }
}

async function nextId(api: CloneApi): Promise<number> {
  const raw = await api.get<unknown>('/cluster/nextid');
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 100) throw new Error(`/cluster/nextid answered ${JSON.stringify(raw)}`);
  return n;
}

/**
 * POSTs the clone and returns its UPID and the VM ID it got. Repeats the POST only when the
 * server refused it without creating anything (the ID was taken meanwhile, or the template's
 * config lock timed out), and checks before each repeat that the ID is still free.
 */
export async function startClone(api: CloneApi, o: StartCloneOptions): Promise<{ upid: string; newid: number; attempts: number }> {
  const max = o.maxAttempts ?? 6;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const path = `/nodes/${pathSegment(o.node)}/qemu/${pathSegment(o.vmid)}/clone`;
  let id = o.newid ?? (await nextId(api));
  let delay = o.baseDelayMs ?? 500;
  for (let attempt = 1; ; attempt++) {
    o.signal?.throwIfAborted();
    try {
      const upid = await api.post<string>(path, { ...o.params, newid: id });
      return { upid, newid: id, attempts: attempt };
    } catch (e) {
      const why = cloneRefusal(e);
      if (!why) throw e; // anything else (a 5xx mid-request, a timeout) may have cloned: never repeat
      if (why === 'id-taken' && o.newid !== undefined) {
        throw new CloneAbandonedError(`VM ID ${id} is already taken: choose another ID. Nothing was created.`);
      }
      if (attempt >= max) {
        throw new CloneAbandonedError(
          why === 'lock-timeout'
            ? `The template ${o.vmid} stayed locked by other operations through ${attempt} attempts: try again when they have finished. Nothing was created.`
            : `Every free VM ID was taken by parallel creations through ${attempt} attempts. Nothing was created.`,
        );
      }
      let wait = 0;
      if (why === 'lock-timeout') {
        wait = Math.min(delay, 8000) * (0.75 + Math.random() * 0.5);
        delay *= 2;
        await sleep(wait);
        o.signal?.throwIfAborted();
        // The clone did not happen; if the ID got taken meanwhile it is someone else's VM.
        if (!(await vmidIsFree(api, id))) {
          if (o.newid !== undefined) throw new CloneAbandonedError(`VM ID ${id} was taken by another operation while waiting for the template lock. Nothing was created.`);
          id = await nextId(api);
        }
      } else {
        const previous = id;
        id = await nextId(api);
        if (id === previous) id++; // nextid can lag behind a creation that just happened
      }
      o.onRetry?.({ attempt, reason: why, newid: id, delayMs: Math.round(wait) });
    }
  }
}
