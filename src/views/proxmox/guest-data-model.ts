// How snapshots, backups and backup jobs read in the tree. No `vscode` import (unit-tested); the
// strings the tree shows around these are localised by the caller.
import { parseBackupVolid, type BackupJob, type BackupVolume } from '../../providers/proxmox/backups';
import type { SnapshotNode } from '../../providers/proxmox/snapshots';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

/** 512.0 MiB / 3.2 GiB: backups are often below a GiB. */
export function size(bytes?: number): string {
  const b = bytes ?? 0;
  return b >= GiB ? `${(b / GiB).toFixed(1)} GiB` : `${(b / MiB).toFixed(1)} MiB`;
}

/** 2025-01-31 02:00 in local time: sortable, short, no locale surprises in a tree line. */
export function shortDate(unixSeconds?: number): string {
  if (!unixSeconds) return '';
  const d = new Date(unixSeconds * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

export interface SnapshotLine {
  label: string;
  description: string;
  icon: string;
  /** `snapshot` (roll back / delete) or `snapshot-now` (the present state: no action). */
  contextValue: 'snapshot' | 'snapshot-now';
}

/** A snapshot row as the web UI shows it: name, date, RAM, description; `current` as "NOW". */
export function snapshotLine(s: SnapshotNode, nowLabel = 'NOW'): SnapshotLine {
  if (s.isCurrent) return { label: nowLabel, description: s.description, icon: 'location', contextValue: 'snapshot-now' };
  const parts = [shortDate(s.snaptime), s.vmstate ? 'RAM' : '', s.description.split('\n')[0]].filter(Boolean);
  return { label: s.name, description: parts.join(' · '), icon: s.vmstate ? 'device-camera-video' : 'device-camera', contextValue: 'snapshot' };
}

export interface BackupLine {
  label: string;
  description: string;
  icon: string;
  /** Protected backups cannot be deleted (PVE refuses): the menu offers Unprotect instead. */
  contextValue: 'backup' | 'backup-protected';
}

/** A backup row: date (from PVE's ctime, else the name), size, guest when listed per storage, notes. */
export function backupLine(b: BackupVolume, o: { withGuest?: boolean } = {}): BackupLine {
  const parsed = parseBackupVolid(b.volid);
  const when = shortDate(b.ctime || parsed?.time);
  const type = b.subtype ?? parsed?.type;
  const vmid = b.vmid ?? parsed?.vmid;
  const guest = o.withGuest && vmid !== undefined ? `${type === 'lxc' ? 'CT' : 'VM'} ${vmid}` : '';
  const label = guest ? `${guest} · ${when}` : when || b.volid;
  const notes = (b.notes ?? '').split('\n')[0];
  const description = [size(b.size), b.volid.split(':')[0], notes].filter(Boolean).join(' · ');
  return { label, description, icon: b.protected ? 'shield' : 'archive', contextValue: b.protected ? 'backup-protected' : 'backup' };
}

/** Which guests a job backs up, in a few words. */
export function jobScope(j: BackupJob): string {
  const where = j.node ? ` on ${j.node}` : '';
  if (j.all) return `all guests${where}`;
  if (j.pool) return `pool ${j.pool}`;
  const ids = String(j.vmid ?? '').split(/[,;\s]+/).filter(Boolean);
  return `${ids.length === 1 ? 'guest' : 'guests'} ${ids.join(', ')}${where}`;
}

export interface JobLine {
  label: string;
  description: string;
  enabled: boolean;
}

/** A scheduled job: its schedule and scope, where it writes, and the next run PVE computed. */
export function jobLine(j: BackupJob, text: { next: string; disabled: string } = { next: 'next', disabled: 'disabled' }): JobLine {
  const enabled = j.enabled !== 0;
  const next = enabled && j['next-run'] ? `${text.next} ${shortDate(j['next-run'])}` : text.disabled;
  return {
    label: `${j.schedule ?? '?'} · ${jobScope(j)}`,
    description: [next, j.storage, j.mode, j.comment].filter(Boolean).join(' · '),
    enabled,
  };
}
