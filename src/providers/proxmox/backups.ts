// Backups: vzdump now, backup volumes per storage and per guest, restore (as a new guest or over
// the same one), protection and notes, and the cluster's scheduled jobs with their next run.
import { pathSegment } from './client';
import { InvalidInputError } from './errors';
import { guestPath, type GuestApi, type GuestRef, type GuestType } from './guests';
import type { Params } from './transport';

export type BackupMode = 'snapshot' | 'suspend' | 'stop';
export type BackupCompression = 'zstd' | 'gzip' | 'lzo' | '0';

/** A row of GET .../content?content=backup. */
export interface BackupVolume {
  volid: string; // nfs:backup/vzdump-qemu-100-2025_01_31-02_00_05.vma.zst
  content: 'backup';
  format: string; // vma.zst, tar.zst, ...
  size: number;
  ctime: number;
  vmid?: number;
  subtype?: GuestType;
  notes?: string;
  protected?: 0 | 1;
}

/** What a vzdump file name tells (PVE's own naming: vzdump-<type>-<vmid>-<YYYY_MM_DD-hh_mm_ss>.<ext>). */
export interface BackupName {
  storage: string;
  type: GuestType;
  vmid: number;
  /** Unix seconds (the name's local time read as UTC: good enough to sort and show). */
  time: number;
  compression: BackupCompression;
}

export function parseBackupVolid(volid: string): BackupName | undefined {
  const m = /^([^:]+):(?:backup\/)?vzdump-(qemu|lxc|openvz)-(\d+)-(\d{4})_(\d\d)_(\d\d)-(\d\d)_(\d\d)_(\d\d)\.(vma|tar|tgz)(?:\.(zst|gz|lzo))?$/.exec(volid);
  if (!m || m[2] === 'openvz') return undefined;
  const comp = m[11] === 'zst' ? 'zstd' : m[11] === 'gz' || m[10] === 'tgz' ? 'gzip' : m[11] === 'lzo' ? 'lzo' : '0';
  return {
    storage: m[1], type: m[2] as GuestType, vmid: Number(m[3]),
    time: Date.UTC(+m[4], +m[5] - 1, +m[6], +m[7], +m[8], +m[9]) / 1000, compression: comp,
  };
}

/** Storages of `node` that accept backups (content `backup`), active and enabled. */
export async function backupStorages(api: GuestApi, node: string): Promise<Array<{ storage: string; shared: boolean; avail?: number }>> {
  const list = await api.get<Array<{ storage: string; content?: string; shared?: number; active?: number; enabled?: number; avail?: number }>>(
    `/nodes/${pathSegment(node)}/storage`, { content: 'backup' });
  return list
    .filter((s) => String(s.content ?? '').split(',').includes('backup') && s.active !== 0 && s.enabled !== 0)
    .map((s) => ({ storage: s.storage, shared: !!s.shared, avail: s.avail }));
}

/** The backups on one storage, newest first; `vmid` narrows to one guest. */
export async function listBackups(api: GuestApi, node: string, storage: string, vmid?: number): Promise<BackupVolume[]> {
  const params: Params = { content: 'backup' };
  if (vmid !== undefined) params.vmid = vmid;
  const rows = await api.get<BackupVolume[]>(`/nodes/${pathSegment(node)}/storage/${pathSegment(storage)}/content`, params);
  return rows.filter((r) => r.content === 'backup' && (vmid === undefined || r.vmid === vmid)).sort((a, b) => b.ctime - a.ctime);
}

/** A guest's backups on every backup storage of its node (shared storages once), newest first. */
export async function listGuestBackups(api: GuestApi, g: GuestRef): Promise<BackupVolume[]> {
  const stores = await backupStorages(api, g.node);
  const seen = new Set<string>();
  const out: BackupVolume[] = [];
  for (const s of stores) {
    for (const b of await listBackups(api, g.node, s.storage, g.vmid)) {
      // A backup's type is in its name; a VM and a container never share an ID, but old files may.
      const t = b.subtype ?? parseBackupVolid(b.volid)?.type;
      if (t && t !== g.type) continue;
      if (!seen.has(b.volid)) out.push(b);
      seen.add(b.volid);
    }
  }
  return out.sort((a, b) => b.ctime - a.ctime);
}

export interface BackupOptions {
  storage: string;
  mode?: BackupMode;
  /** Default zstd, as the web UI's "Backup now". */
  compress?: BackupCompression;
  /** vzdump's notes-template: {{guestname}}, {{node}}, {{vmid}}, {{cluster}}. */
  notesTemplate?: string;
  protected?: boolean;
}

export const NOTES_TEMPLATE_MAX = 1024;

export function backupParams(g: GuestRef, o: BackupOptions): Params {
  if (!o.storage) throw new InvalidInputError('storage', 'Choose a storage that accepts backups.');
  const mode = o.mode ?? 'snapshot';
  if (!['snapshot', 'suspend', 'stop'].includes(mode)) throw new InvalidInputError('mode', `Unknown backup mode "${mode}": snapshot, suspend or stop.`);
  const p: Params = { vmid: String(g.vmid), storage: o.storage, mode, compress: o.compress ?? 'zstd' };
  if (o.notesTemplate) {
    if (o.notesTemplate.length > NOTES_TEMPLATE_MAX) throw new InvalidInputError('notesTemplate', `The notes template is ${o.notesTemplate.length} characters long: vzdump takes at most ${NOTES_TEMPLATE_MAX}.`);
    // vzdump reads a literal "\n" as a new line and refuses a real one in the template.
    p['notes-template'] = o.notesTemplate.replace(/\r?\n/g, '\\n');
  }
  if (o.protected) p.protected = 1;
  return p;
}

/** POST /nodes/{node}/vzdump -> UPID (a `vzdump` task; a locked guest fails inside it). */
export function startBackup(api: GuestApi, g: GuestRef, o: BackupOptions): Promise<string> {
  return api.post<string>(`/nodes/${pathSegment(g.node)}/vzdump`, backupParams(g, o));
}

export interface RestoreOptions {
  /** Target ID: a new one, or the backup's own guest (then `force` is required). */
  vmid: number;
  /** Overwrite an existing guest with this ID (it must be stopped). */
  force?: boolean;
  /** Where the disks go; default: where they were. */
  storage?: string;
  /** New MAC addresses (and a new UUID) so the copy can run beside the original. */
  unique?: boolean;
  start?: boolean;
}

/** POST /nodes/{node}/qemu {archive} for a VM backup, POST /nodes/{node}/lxc {ostemplate, restore} for a container's. */
export function restoreParams(backup: Pick<BackupVolume, 'volid' | 'subtype'>, o: RestoreOptions): { type: GuestType; params: Params } {
  const type = backup.subtype ?? parseBackupVolid(backup.volid)?.type;
  if (!type) throw new InvalidInputError('archive', `"${backup.volid}" is not a vzdump backup of a VM or container.`);
  if (!Number.isInteger(o.vmid) || o.vmid < 100 || o.vmid > 999_999_999) throw new InvalidInputError('vmid', `VM ID ${o.vmid} is out of range: Proxmox uses 100–999999999.`);
  const params: Params = type === 'qemu' ? { vmid: o.vmid, archive: backup.volid } : { vmid: o.vmid, ostemplate: backup.volid, restore: 1 };
  if (o.force) params.force = 1;
  if (o.storage) params.storage = o.storage;
  if (o.unique) params.unique = 1;
  if (o.start) params.start = 1;
  return { type, params };
}

export function restoreBackup(api: GuestApi, node: string, backup: Pick<BackupVolume, 'volid' | 'subtype'>, o: RestoreOptions): Promise<string> {
  const { type, params } = restoreParams(backup, o);
  return api.post<string>(`/nodes/${pathSegment(node)}/${type}`, params);
}

const volumePath = (node: string, volid: string) => `/nodes/${pathSegment(node)}/storage/${pathSegment(volid.split(':')[0])}/content/${pathSegment(volid)}`;

export function setBackupProtected(api: GuestApi, node: string, volid: string, on: boolean): Promise<null> {
  return api.put<null>(volumePath(node, volid), { protected: on ? 1 : 0 });
}

export function setBackupNotes(api: GuestApi, node: string, volid: string, notes: string): Promise<null> {
  return api.put<null>(volumePath(node, volid), { notes });
}

/** DELETE -> UPID (an `imgdel` task; a protected backup fails inside it). */
export function deleteBackup(api: GuestApi, node: string, volid: string): Promise<string> {
  return api.delete<string>(volumePath(node, volid));
}

/** A scheduled job of /cluster/backup (read-only here). */
export interface BackupJob {
  id: string;
  schedule?: string;
  storage?: string;
  mode?: BackupMode;
  compress?: string;
  enabled?: 0 | 1;
  all?: 0 | 1;
  vmid?: string;
  node?: string;
  pool?: string;
  comment?: string;
  'notes-template'?: string;
  /** Unix seconds of the next run, as PVE computes it; absent for disabled jobs. */
  'next-run'?: number;
}

export function backupJobs(api: GuestApi): Promise<BackupJob[]> {
  return api.get<BackupJob[]>('/cluster/backup');
}

/** Whether a job backs up `g` (all guests of the node/cluster, or a listed VMID). */
export function jobCovers(job: BackupJob, g: Pick<GuestRef, 'node' | 'vmid'>): boolean {
  if (job.all) return !job.node || job.node === g.node;
  return String(job.vmid ?? '').split(/[,;\s]+/).includes(String(g.vmid)) && (!job.node || job.node === g.node);
}

/** The jobs that back up `g` and the soonest next run among the enabled ones. */
export function nextBackupOf(jobs: readonly BackupJob[], g: Pick<GuestRef, 'node' | 'vmid'>): { jobs: BackupJob[]; nextRun?: number } {
  const mine = jobs.filter((j) => jobCovers(j, g));
  const runs = mine.filter((j) => j.enabled !== 0 && j['next-run'] !== undefined).map((j) => j['next-run']!);
  return { jobs: mine, nextRun: runs.length ? Math.min(...runs) : undefined };
}

export function guestsWithoutBackup(api: GuestApi): Promise<Array<{ vmid: number; type: GuestType; name?: string }>> {
  return api.get('/cluster/backup-info/not-backed-up');
}

/** The guest's path, re-exported for callers that build restore targets. */
export { guestPath };
