// Backups as pve-manager's vzdump and pve-storage serve them: POST /nodes/{node}/vzdump (a
// `vzdump` task; the storage's `backup` content and the guest's lock are checked inside it, as
// PVE::VZDump->new and the per-guest loop do), backup volumes in the storage content, their notes
// and protection (PUT .../content/{volume}), restore (POST .../qemu with `archive`, POST .../lxc
// with `ostemplate` + `restore=1`), the scheduled jobs of /etc/pve/jobs.cfg with their next run,
// and /cluster/options (tag-style).
import { checkPerm } from './auth';
import { guestWord, stepMs, type SimCore } from './core';
import { ApiError } from './http';
import { checkGuestLock } from './locks';
import { bootGuest, stopGuest } from './qemu';
import type { Ctx, Route } from './router';
import { diskEntries, snapshotsOf, type ClusterState, type BackupJob, type Guest, type GuestConfig, type GuestType, type Volume } from './state';

const EXT: Record<string, string> = { '0': '', '1': '.lzo', gzip: '.gz', lzo: '.lzo', zstd: '.zst' };

/** `2025_01_31-02_00_05` as vzdump names its files (local time there; UTC here). */
function stamp(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}_${p(d.getUTCMonth() + 1)}_${p(d.getUTCDate())}-${p(d.getUTCHours())}_${p(d.getUTCMinutes())}_${p(d.getUTCSeconds())}`;
}

/** vzdump's notes-template: {{cluster}}, {{guestname}}, {{node}}, {{vmid}}; `\n` starts a new line. */
export function expandNotes(template: string, g: Guest): string {
  const name = String((g.type === 'lxc' ? g.conf.hostname : g.conf.name) ?? '');
  return template.replace(/\\n/g, '\n').replace(/\{\{(cluster|guestname|node|vmid)\}\}/g, (_m, k: string) =>
    k === 'cluster' ? 'homelab' : k === 'guestname' ? name : k === 'node' ? g.node : String(g.vmid));
}

/** Adds a finished backup volume of `g` (used by vzdump and by the seed). */
export function addBackupVolume(state: ClusterState, g: Guest, storage: string, o: { compress?: string; ctimeMs?: number; notes?: string; protected?: boolean } = {}): Volume {
  const def = state.storage(storage);
  if (!def) throw new Error(`no such storage '${storage}'`);
  const ms = o.ctimeMs ?? Date.now();
  const ext = EXT[o.compress ?? 'zstd'] ?? '.zst';
  const kind = g.type === 'qemu' ? 'vma' : 'tar';
  const disks = diskEntries(g.conf).filter((d) => !d.cdrom && !d.volid.includes('cloudinit'));
  const size = Math.max(1, Math.round(disks.reduce((a, d) => a + d.size, 0) * (ext ? 0.18 : 0.4)));
  const vol: Volume = {
    volid: `${storage}:backup/vzdump-${g.type}-${g.vmid}-${stamp(ms)}.${kind}${ext}`,
    storage, node: def.shared ? undefined : g.node, content: 'backup', format: `${kind}${ext}`,
    size, ctime: Math.floor(ms / 1000), vmid: g.vmid, subtype: g.type, notes: o.notes, protected: o.protected,
    backupConf: { ...g.conf },
  };
  delete vol.backupConf!.lock;
  delete vol.backupConf!.parent;
  state.volumes.push(vol);
  return vol;
}

/** Where a volume lives on disk (shown in error messages, as PVE shows paths). */
export function volumePath(v: Volume): string {
  const base = v.storage === 'local' ? '/var/lib/vz' : `/mnt/pve/${v.storage}`;
  const rel = v.volid.split(':')[1];
  return `${base}/${rel.replace(/^backup\//, 'dump/').replace(/^iso\//, 'template/iso/').replace(/^vztmpl\//, 'template/cache/')}`;
}

function vzdump(ctx: Ctx): string {
  const { core, p } = ctx;
  const node = String(p.node);
  const storage = p.storage !== undefined ? String(p.storage) : 'local';
  const def = core.state.storage(storage);
  if (!def) throw new ApiError(500, `storage '${storage}' does not exist`);
  const ids = p.all ? [...core.state.guests.values()].filter((g) => g.node === node).map((g) => g.vmid) : String(p.vmid ?? '').split(/[,;\s]+/).filter(Boolean).map(Number);
  if (!ids.length) throw new ApiError(400, 'Parameter verification failed.', { vmid: 'property is missing and it is not optional' });
  const mode = String(p.mode ?? 'snapshot');
  const compress = String(p.compress ?? '0');
  return core.tasks.start(node, 'vzdump', ids.length === 1 ? String(ids[0]) : '', ctx.who.id, async (t) => {
    // PVE::VZDump->new: the storage must take backups, else the whole job fails at once.
    if (!def.content.includes('backup')) {
      throw new Error(`could not get storage information for '${storage}': can't use storage '${storage}' for backups - wrong content type`);
    }
    let failed = 0;
    for (const vmid of ids) {
      const g = core.state.guests.get(vmid);
      if (!g || g.node !== node) {
        t.log(`ERROR: Backup of VM ${vmid} failed - unable to find VM '${vmid}' on node '${node}'`);
        failed++;
        continue;
      }
      const word = guestWord(g);
      try {
        checkGuestLock(g);
      } catch (e) {
        t.log(`ERROR: Backup of VM ${vmid} failed - ${(e as Error).message}`);
        failed++;
        continue;
      }
      t.log(`Starting Backup of VM ${vmid} (${g.type})`);
      t.log(`Backup started at ${new Date().toISOString().replace('T', ' ').slice(0, 19)}`);
      t.log(`${word} Name: ${String((g.type === 'lxc' ? g.conf.hostname : g.conf.name) ?? '')}`);
      t.log(`Backup mode: ${mode}`);
      const wasRunning = g.status === 'running';
      g.conf.lock = 'backup';
      core.state.touch();
      try {
        if (mode === 'stop' && wasRunning) {
          t.log(`stopping ${word === 'VM' ? 'virtual guest' : 'container'}`);
          stopGuest(core, g);
        }
        if (mode === 'suspend' && wasRunning) g.paused = true;
        for (const pct of [33, 66, 100]) {
          await t.sleep(stepMs(core, 3 * ids.length));
          t.log(`INFO: ${pct}% done`);
        }
        const notes = p['notes-template'] !== undefined ? expandNotes(String(p['notes-template']), g) : undefined;
        delete g.conf.lock;
        const vol = addBackupVolume(core.state, g, storage, { compress, notes, protected: !!p.protected });
        t.log(`creating vzdump archive '${volumePath(vol)}'`);
        t.log(`Finished Backup of VM ${vmid} (00:00:0${Math.min(9, ids.length)})`);
      } finally {
        delete g.conf.lock;
        if (mode === 'stop' && wasRunning && g.status !== 'running') {
          t.log(`restarting ${word === 'VM' ? 'vm' : 'container'}`);
          bootGuest(core, g);
        }
        if (mode === 'suspend') g.paused = false;
        core.state.touch();
      }
    }
    if (failed) throw new Error('job errors');
  }).upid;
}

/** POST /nodes/{node}/qemu with `archive`, POST /nodes/{node}/lxc with `restore=1`. */
export function restoreGuest(ctx: Ctx, type: GuestType, archive: string): string {
  const { core, p } = ctx;
  const node = String(p.node);
  const vmid = Number(p.vmid);
  const force = !!p.force;
  const word = type === 'qemu' ? 'VM' : 'CT';
  const emsg = `unable to restore ${word} ${vmid} -`;
  const vol = core.state.volumes.find((v) => v.volid === archive && v.content === 'backup' && (v.node === undefined || v.node === node));
  if (!vol) throw new ApiError(500, `volume '${archive}' does not exist`);
  if (vol.subtype !== type) throw new ApiError(500, `${emsg} archive '${archive}' is a ${vol.subtype === 'qemu' ? 'VM' : 'container'} backup, not a ${type === 'qemu' ? 'VM' : 'container'} backup`);
  const existing = core.state.guests.get(vmid);
  if (existing) {
    // check_vmid_unused with allow_existing: only a guest of the same type on this node may be overwritten, and only with force.
    if (!force || existing.node !== node || existing.type !== type) {
      throw new ApiError(500, `${emsg} ${guestWord(existing)} ${vmid} already exists on node '${existing.node}'`);
    }
    checkGuestLock(existing);
    if (existing.conf.protection) throw new ApiError(500, `${emsg} protection mode enabled`);
    if (existing.status === 'running') throw new ApiError(500, type === 'qemu' ? `${emsg} vm is running` : `can't overwrite running container`);
  }
  if (p.storage !== undefined) {
    const s = core.state.storage(String(p.storage));
    if (!s) throw new ApiError(500, `storage '${p.storage}' does not exist`);
    if (!s.content.includes(type === 'qemu' ? 'images' : 'rootdir')) throw new ApiError(500, `storage '${p.storage}' does not support ${type === 'qemu' ? "content-type 'images'" : 'container directories'}`);
  }
  const g = existing ?? core.state.addGuest(vmid, node, {}, type);
  const before = { ...g.conf };
  g.conf.lock = 'create';
  core.state.touch();
  return core.tasks.start(node, type === 'qemu' ? 'qmrestore' : 'vzrestore', String(vmid), ctx.who.id, async (t) => {
    try {
      t.log(`restore vma archive: ${volumePath(vol)}`);
      await t.sleep(stepMs(core, 2));
      const conf: GuestConfig = { ...(vol.backupConf ?? {}) };
      for (const d of diskEntries(conf)) {
        const store = p.storage !== undefined ? String(p.storage) : d.volid.split(':')[0];
        const to = `${store}:vm-${vmid}-${d.volid.includes('cloudinit') ? 'cloudinit' : `disk-${d.key === 'rootfs' ? 0 : d.key.replace(/\D/g, '') || 0}`}`;
        conf[d.key] = String(conf[d.key]).replace(d.volid, to);
        t.log(`new volume ID is '${to}'`);
      }
      if (p.unique) {
        for (const k of Object.keys(conf)) if (/^net\d+$/.test(k)) conf[k] = String(conf[k]).replace(/[0-9A-F]{2}(:[0-9A-F]{2}){5}/i, core.state.mac());
      }
      await t.sleep(stepMs(core, 2));
      for (const k of Object.keys(g.conf)) delete g.conf[k];
      Object.assign(g.conf, conf);
      snapshotsOf(g).clear();
      core.state.touch();
      t.log(`restore of ${archive} finished`);
      if (p.start) bootGuest(core, g);
    } catch (e) {
      if (existing) {
        for (const k of Object.keys(g.conf)) delete g.conf[k];
        Object.assign(g.conf, before);
      } else core.state.removeGuest(vmid);
      throw e;
    } finally {
      delete g.conf.lock;
      core.state.touch();
    }
  }).upid;
}

// --- calendar events (a subset of systemd.time as PVE parses it) -> next run -----------------
const DOW = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function dowSet(spec: string): Set<number> {
  const out = new Set<number>();
  for (const part of spec.split(',')) {
    const [a, b] = part.split('..');
    const i = DOW.indexOf(a.slice(0, 3));
    const j = b === undefined ? i : DOW.indexOf(b.slice(0, 3));
    if (i < 0 || j < 0) throw new Error(`unable to parse calendar event '${spec}'`);
    for (let d = i; ; d = (d + 1) % 7) {
      out.add(d);
      if (d === j) break;
    }
  }
  return out;
}

function numSet(spec: string, max: number): Set<number> {
  const out = new Set<number>();
  for (const part of spec.split(',')) {
    const [range, step] = part.split('/');
    const [a, b] = range === '*' ? ['0', String(max - 1)] : range.split('..');
    const lo = Number(a);
    const hi = b === undefined ? (step ? max - 1 : lo) : Number(b);
    for (let n = lo; n <= hi; n += step ? Number(step) : 1) out.add(n);
  }
  return out;
}

/** Next run (Unix seconds, UTC) of a PVE calendar event: `daily`, `weekly`, `hourly`,
 *  `[DOW[..DOW][,..]] [HH:MM]`, `*:0/15` and friends; undefined for what this subset cannot read. */
export function nextRun(schedule: string, afterMs: number): number | undefined {
  const s = schedule.trim().toLowerCase();
  const alias: Record<string, string> = { daily: '00:00', weekly: 'mon 00:00', hourly: '*:00', minutely: '*:*' };
  const ev = alias[s] ?? s;
  const parts = ev.split(/\s+/);
  let days = new Set([0, 1, 2, 3, 4, 5, 6]);
  if (parts.length === 2 || /^[a-z]/.test(parts[0])) days = dowSet(parts.shift()!);
  const [h = '0', m = '0'] = (parts[0] ?? '00:00').split(':');
  let hours: Set<number>;
  let mins: Set<number>;
  try {
    hours = numSet(h, 24);
    mins = numSet(m, 60);
  } catch {
    return undefined;
  }
  const start = Math.floor(afterMs / 60000) * 60000 + 60000;
  for (let t = start; t < start + 8 * 86400_000; t += 60000) {
    const d = new Date(t);
    if (days.has(d.getUTCDay()) && hours.has(d.getUTCHours()) && mins.has(d.getUTCMinutes())) return t / 1000;
  }
  return undefined;
}

function jobJson(j: BackupJob): Record<string, unknown> {
  const o: Record<string, unknown> = { id: j.id, type: 'vzdump', schedule: j.schedule, storage: j.storage, mode: j.mode, compress: j.compress, enabled: j.enabled ? 1 : 0 };
  if (j.all) o.all = 1;
  if (j.vmid) o.vmid = j.vmid;
  if (j.node) o.node = j.node;
  if (j.comment) o.comment = j.comment;
  if (j['notes-template']) o['notes-template'] = j['notes-template'];
  const next = j.enabled ? nextRun(j.schedule, Date.now()) : undefined;
  if (next !== undefined) o['next-run'] = next;
  return o;
}

function backupVolume(ctx: Ctx): Volume {
  const { core, p } = ctx;
  const volid = String(p.volume).includes(':') ? String(p.volume) : `${p.storage}:${p.volume}`;
  const vol = core.state.volumesOn(String(p.node), String(p.storage ?? volid.split(':')[0])).find((v) => v.volid === volid);
  if (!vol) throw new ApiError(500, `volume '${volid}' does not exist`);
  return vol;
}

export const backupRoutes: Route[] = [
  {
    key: 'POST /nodes/{node}/vzdump',
    perm: (ctx, params) => {
      for (const id of String(params.vmid ?? '').split(/[,;\s]+/).filter(Boolean)) checkPerm(ctx.who, `/vms/${id}`, ['VM.Backup']);
      checkPerm(ctx.who, `/storage/${params.storage ?? 'local'}`, ['Datastore.AllocateSpace']);
    },
    handle: vzdump,
  },
  {
    key: 'GET /nodes/{node}/storage/{storage}/content/{volume}',
    perm: (ctx) => checkPerm(ctx.who, `/storage/${ctx.path.storage}`, ['Datastore.Audit', 'Datastore.AllocateSpace'], true),
    handle: (ctx) => {
      const v = backupVolume(ctx);
      const o: Record<string, unknown> = { path: volumePath(v), size: v.size, used: v.size, format: v.format };
      if (v.notes) o.notes = v.notes;
      if (v.content === 'backup') o.protected = v.protected ? 1 : 0;
      return o;
    },
  },
  {
    key: 'PUT /nodes/{node}/storage/{storage}/content/{volume}',
    perm: (ctx) => checkPerm(ctx.who, `/storage/${ctx.path.storage}`, ['Datastore.Allocate']),
    handle: (ctx) => {
      const v = backupVolume(ctx);
      if (ctx.p.protected !== undefined) {
        if (v.content !== 'backup') throw new ApiError(500, `protection status can only be set for backups`);
        v.protected = !!ctx.p.protected;
      }
      if (ctx.p.notes !== undefined) v.notes = String(ctx.p.notes) || undefined;
      return null;
    },
  },
  { key: 'GET /cluster/backup', perm: (ctx) => checkPerm(ctx.who, '/', ['Sys.Audit']), handle: (ctx) => ctx.core.state.backupJobs.map(jobJson) },
  {
    key: 'GET /cluster/backup/{id}',
    perm: (ctx) => checkPerm(ctx.who, '/', ['Sys.Audit']),
    handle: (ctx) => {
      const j = ctx.core.state.backupJobs.find((x) => x.id === ctx.p.id);
      if (!j) throw new ApiError(500, `job '${ctx.p.id}' does not exist`);
      const o = jobJson(j);
      delete o['next-run']; // the single-job GET is the raw jobs.cfg section
      return o;
    },
  },
  {
    key: 'GET /cluster/backup-info/not-backed-up',
    perm: (ctx) => checkPerm(ctx.who, '/', ['Sys.Audit']),
    handle: (ctx) => {
      const jobs = ctx.core.state.backupJobs.filter((j) => j.enabled);
      const covered = (g: Guest) => jobs.some((j) => j.all ? !j.node || j.node === g.node : String(j.vmid ?? '').split(',').includes(String(g.vmid)));
      return [...ctx.core.state.guests.values()].filter((g) => !g.conf.template && !covered(g))
        .map((g) => ({ vmid: g.vmid, type: g.type, name: String((g.type === 'lxc' ? g.conf.hostname : g.conf.name) ?? '') }));
    },
  },
  { key: 'GET /cluster/options', perm: (ctx) => checkPerm(ctx.who, '/', ['Sys.Audit']), handle: (ctx) => ({ ...ctx.core.state.clusterOptions }) },
];
