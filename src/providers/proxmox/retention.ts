// Which NixOS ISOs to keep on a storage: the newest K of the ones Homelab uploaded (by name
// pattern); anything else on the storage is never touched. Pure: deleting is the caller's job,
// after the user confirmed the list.
import { pathSegment } from './client';
import { followTask, type TaskApi } from './tasks';
import type { StorageContentItem } from './types';

/** Names Homelab gives the ISOs it uploads: homelab-nixos-<stamp>.iso */
export const HOMELAB_ISO_RE = /^homelab-nixos-[A-Za-z0-9._-]+\.iso$/;

export function isoFileName(volid: string): string {
  return volid.replace(/^[^:]+:(iso\/)?/, '');
}

/** The name an upload gets: sortable UTC stamp. */
export function homelabIsoName(date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `homelab-nixos-${date.getUTCFullYear()}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}-${p(date.getUTCHours())}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}.iso`;
}

export interface RetentionPlan {
  keep: StorageContentItem[];
  remove: StorageContentItem[];
}

/** Newest `keep` (>= 1) matching ISOs stay, plus every volid in `protect` (e.g. one still attached). */
export function planIsoRetention(items: readonly StorageContentItem[], o: { keep: number; protect?: readonly string[]; pattern?: RegExp }): RetentionPlan {
  const keepN = Math.max(1, Math.floor(Number.isFinite(o.keep) ? o.keep : 1));
  const re = o.pattern ?? HOMELAB_ISO_RE;
  const protect = new Set(o.protect ?? []);
  const ours = items.filter((i) => i.content === 'iso' && re.test(isoFileName(i.volid)));
  // Newest first; the name (a timestamp) breaks ties in ctime.
  ours.sort((a, b) => (b.ctime ?? 0) - (a.ctime ?? 0) || isoFileName(b.volid).localeCompare(isoFileName(a.volid)));
  const keep: StorageContentItem[] = [];
  const remove: StorageContentItem[] = [];
  for (const i of ours) (keep.length < keepN || protect.has(i.volid) ? keep : remove).push(i);
  return { keep, remove };
}

/** Deletes the given ISO volumes one by one (each a task, followed). Call only with a list the
 *  user confirmed. Returns what was removed; the first failure stops and names the volume. */
export async function deleteIsos(client: TaskApi, node: string, storage: string, volids: readonly string[],
  o: { signal?: AbortSignal; onLog?: (lines: string[]) => void; pollMs?: number } = {}): Promise<string[]> {
  const removed: string[] = [];
  for (const volid of volids) {
    o.signal?.throwIfAborted();
    const upid = await client.delete<string>(`/nodes/${pathSegment(node)}/storage/${pathSegment(storage)}/content/${pathSegment(volid)}`);
    const t = await followTask(client, upid, { signal: o.signal, onLog: o.onLog, pollMs: o.pollMs });
    if (t.status === 'error') throw new Error(`Deleting ${volid} failed: ${t.exitstatus} (removed before it: ${removed.join(', ') || 'none'})`);
    removed.push(volid);
  }
  return removed;
}
