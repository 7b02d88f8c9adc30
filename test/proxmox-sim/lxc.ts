// /nodes/{node}/lxc/...: containers as pve-container serves them. Messages and which checks are
// synchronous (HTTP 500) follow pve-container's API2/LXC.pm; task types are vz*.
import { checkPerm } from './auth';
import { guestOn, stepMs, type SimCore } from './core';
import { ApiError, paramError } from './http';
import { checkGuestLock } from './locks';
import { restoreGuest } from './backup';
import { assertUnused, bootGuest, stopGuest } from './qemu';
import type { Ctx, Route } from './router';
import { configDigest, diskEntries, memoryMiB, type Guest, type GuestConfig } from './state';
import type { TaskCtx } from './tasks';

const vmPerm = (privs: string[]) => (ctx: Ctx) => checkPerm(ctx.who, `/vms/${ctx.path.vmid}`, privs);
const ct = (ctx: Ctx) => guestOn(ctx.core, String(ctx.p.node), Number(ctx.p.vmid), 'lxc');
const MODIFIED = 'detected modified configuration - file changed by other user? Try again.';
/** Parameters of create/config that are not config keys. */
const NON_CONFIG = new Set(['node', 'vmid', 'digest', 'delete', 'revert', 'force', 'start', 'pool', 'storage', 'unique', 'restore', 'ostemplate', 'password', 'ssh-public-keys', 'ignore-unpack-errors', 'bwlimit', 'ha-managed']);

function startTask(ctx: Ctx, type: string, id: number, body: (t: TaskCtx) => Promise<void>): string {
  return ctx.core.tasks.start(String(ctx.p.node), type, String(id), ctx.who.id, body).upid;
}

/** `local-lvm:8` -> an allocated subvolume, as pve-container's create does for rootfs/mpN. */
function allocateVolume(core: SimCore, vmid: number, key: string, value: string, conf: GuestConfig): string {
  const [vol, ...opts] = value.split(',');
  const m = /^([a-z][a-z0-9\-_.]*[a-z0-9]):(\d+(?:\.\d+)?)$/i.exec(vol.replace(/^volume=/, ''));
  if (!m) return value;
  const def = core.state.storage(m[1]);
  if (!def) throw new ApiError(500, `storage '${m[1]}' does not exist`);
  if (!def.content.includes('rootdir')) throw new ApiError(500, `storage '${m[1]}' does not support container directories`);
  const used = new Set(Object.values(conf).map(String).join(',').match(/disk-\d+/g) ?? []);
  let n = 0;
  while (used.has(`disk-${n}`)) n++;
  void key;
  return [`${m[1]}:vm-${vmid}-disk-${n}`, ...opts.filter((o) => !o.startsWith('size=')), `size=${m[2]}G`].join(',');
}

function applyCtConfig(core: SimCore, vmid: number, conf: GuestConfig, p: Record<string, string | number>): void {
  for (const k of String(p.delete ?? '').split(/[,;\s]+/).filter(Boolean)) delete conf[k];
  for (const [k, v] of Object.entries(p)) {
    if (NON_CONFIG.has(k)) continue;
    if (k === 'rootfs' || /^mp\d+$/.test(k)) conf[k] = allocateVolume(core, vmid, k, String(v), conf);
    else if (/^net\d+$/.test(k) && !/hwaddr=/.test(String(v))) conf[k] = `${v},hwaddr=${core.state.mac()}`;
    else conf[k] = v;
  }
}

export function ctStatus(g: Guest): Record<string, unknown> {
  const running = g.status === 'running';
  const maxmem = memoryMiB(g.conf) * 2 ** 20;
  const r: Record<string, unknown> = {
    vmid: g.vmid, name: g.conf.hostname ?? `CT${g.vmid}`, type: 'lxc', status: g.status, cpus: Number(g.conf.cores ?? 1),
    maxmem, mem: running ? Math.floor(maxmem * g.memFraction) : 0, cpu: running ? g.cpuLoad : 0,
    maxswap: Number(g.conf.swap ?? 512) * 2 ** 20, swap: 0,
    maxdisk: diskEntries(g.conf).find((d) => d.key === 'rootfs')?.size ?? 0, disk: 0, uptime: running ? Math.floor((Date.now() - g.startedAt) / 1000) : 0,
    netin: 0, netout: 0, diskread: 0, diskwrite: 0, ha: { managed: 0 },
  };
  if (running) r.pid = 20000 + g.vmid;
  if (g.conf.template) r.template = 1;
  if (g.conf.lock) r.lock = g.conf.lock;
  if (g.conf.tags) r.tags = g.conf.tags;
  return r;
}

function createCt(ctx: Ctx): unknown {
  const { core, p } = ctx;
  if (p.restore) return restoreGuest(ctx, 'lxc', String(p.ostemplate));
  const vmid = Number(p.vmid);
  const node = String(p.node);
  assertUnused(core, vmid);
  const tpl = String(p.ostemplate);
  const store = tpl.split(':')[0];
  if (!core.state.volumesOn(node, store).some((v) => v.volid === tpl && v.content === 'vztmpl')) {
    throw new ApiError(500, `volume '${tpl}' does not exist`);
  }
  const conf: GuestConfig = { arch: 'amd64', ostype: 'debian', memory: 512, swap: 512, cores: 1 };
  applyCtConfig(core, vmid, conf, { rootfs: `${p.storage ?? 'local'}:4`, ...p });
  const g = core.state.addGuest(vmid, node, { ...conf, lock: 'create' }, 'lxc');
  return startTask(ctx, 'vzcreate', vmid, async (t) => {
    t.log(`extracting archive '${tpl}'`);
    await t.sleep(stepMs(core, 2));
    t.log('Total bytes read: 524288000 (500MiB, 250MiB/s)');
    delete g.conf.lock;
    core.state.touch();
    if (p.start) bootGuest(core, g);
  });
}

async function editCtConfig(ctx: Ctx): Promise<null> {
  const { core, p } = ctx;
  const g = ct(ctx);
  const release = await g.flock.acquire(core.opts.lockTimeoutMs);
  try {
    checkGuestLock(g);
    if (p.digest !== undefined && p.digest !== configDigest(g.conf)) throw new ApiError(500, MODIFIED);
    applyCtConfig(core, g.vmid, g.conf, p);
    core.state.touch();
    return null;
  } finally {
    release();
  }
}

type Power = 'start' | 'stop' | 'shutdown' | 'reboot' | 'suspend' | 'resume';

function power(ctx: Ctx, kind: Power): string {
  const { core, p } = ctx;
  const g = ct(ctx);
  const running = g.status === 'running';
  if (kind === 'start') {
    if (g.conf.template) throw new ApiError(500, "you can't start a CT if it's a template");
    if (running) throw new ApiError(500, `CT ${g.vmid} already running`);
    if (!p.skiplock) checkGuestLock(g);
  } else {
    if (!running) throw new ApiError(500, `CT ${g.vmid} not running`);
    if (kind !== 'stop' || !p.skiplock) checkGuestLock(g);
  }
  const type = { start: 'vzstart', stop: 'vzstop', shutdown: 'vzshutdown', reboot: 'vzreboot', suspend: 'vzsuspend', resume: 'vzresume' }[kind];
  return startTask(ctx, type, g.vmid, async (t) => {
    await t.sleep(stepMs(core, 1));
    if (kind === 'start' || kind === 'reboot') bootGuest(core, g);
    else if (kind === 'suspend') g.paused = true;
    else if (kind === 'resume') g.paused = false;
    else if (kind === 'shutdown' && g.ignoreShutdown) {
      await t.sleep(Number(p.timeout ?? 60) * 1000);
      if (!p.forceStop) throw new Error('command \'lxc-stop -n ' + g.vmid + ' --nokill --timeout 60\' failed: exit code 1');
      stopGuest(core, g);
    } else stopGuest(core, g);
    core.state.touch();
  });
}

function template(ctx: Ctx): string {
  const { core } = ctx;
  const g = ct(ctx);
  checkGuestLock(g);
  if (g.conf.template) throw new ApiError(500, "you can't convert a template to a template");
  if (g.status === 'running') throw new ApiError(500, "you can't convert a CT to template if the CT is running");
  return startTask(ctx, 'vztemplate', g.vmid, async (t) => {
    for (const d of diskEntries(g.conf)) {
      await t.sleep(stepMs(core, 2));
      const base = d.volid.replace(/:vm-/, ':base-');
      g.conf[d.key] = String(g.conf[d.key]).replace(d.volid, base);
      t.log(`  Renamed "${d.volid.split(':')[1]}" to "${base.split(':')[1]}"`);
    }
    g.conf.template = 1;
    core.state.touch();
  });
}

async function clone(ctx: Ctx): Promise<string> {
  const { core, p } = ctx;
  const src = ct(ctx);
  const newid = Number(p.newid);
  const node = String(p.node);
  const isTpl = !!src.conf.template;
  const full = p.full !== undefined ? !!p.full : !isTpl;
  assertUnused(core, newid);
  if (!full && !isTpl) throw new ApiError(500, 'Linked clone feature for non-template containers is not available');
  if (!full && p.storage !== undefined) throw new ApiError(500, "parameter 'storage' not allowed for linked clones");
  if (p.storage !== undefined) {
    const s = core.state.storage(String(p.storage));
    if (!s) throw new ApiError(500, `storage '${p.storage}' does not exist`);
    if (!s.content.includes('rootdir')) throw new ApiError(500, `storage '${p.storage}' does not support container directories`);
  }
  const target = p.target !== undefined ? String(p.target) : node;
  if (!core.state.nodes.has(target)) throw new ApiError(500, `no such cluster node '${target}'`);
  checkGuestLock(src);
  const release = await src.flock.acquire(core.opts.lockTimeoutMs);
  const conf: GuestConfig = {};
  for (const [k, v] of Object.entries(src.conf)) {
    if (k === 'template' || k === 'lock' || k === 'parent') continue;
    conf[k] = /^net\d+$/.test(k) ? String(v).replace(/hwaddr=[0-9A-F:]{17}/i, `hwaddr=${core.state.mac()}`) : v;
  }
  for (const d of diskEntries(src.conf)) {
    const store = full && p.storage !== undefined ? String(p.storage) : d.volid.split(':')[0];
    conf[d.key] = String(src.conf[d.key]).replace(d.volid, `${store}:vm-${newid}-disk-${d.key === 'rootfs' ? 0 : Number(d.key.slice(2)) + 1}`);
  }
  if (p.hostname !== undefined) conf.hostname = String(p.hostname);
  if (p.description !== undefined) conf.description = String(p.description);
  const g = core.state.addGuest(newid, node, { ...conf, lock: 'create' }, 'lxc');
  return startTask(ctx, 'vzclone', src.vmid, async (t) => {
    try {
      t.log(`create ${full ? 'full' : 'linked'} clone of mount point rootfs (${diskEntries(src.conf)[0]?.volid ?? 'none'})`);
      await t.sleep(stepMs(core, 2));
      if (target !== node) g.node = target;
      delete g.conf.lock;
      core.state.touch();
    } catch (e) {
      core.state.removeGuest(newid);
      throw e;
    } finally {
      release();
    }
  });
}

function migrate(ctx: Ctx): string {
  const { core, p } = ctx;
  const g = ct(ctx);
  const target = String(p.target);
  if (target === g.node) throw paramError({ target: 'target is local node.' });
  if (!core.state.nodes.has(target)) throw new ApiError(500, `no such cluster node '${target}'`);
  const running = g.status === 'running';
  // pve-container refuses these before any task starts.
  if (running && p.online) throw new ApiError(500, 'lxc live migration is currently not implemented');
  if (running && !p.restart) throw new ApiError(500, 'running container can only be migrated in restart mode');
  checkGuestLock(g);
  return startTask(ctx, 'vzmigrate', g.vmid, async (t) => {
    t.log(`starting migration of CT ${g.vmid} to node '${target}'`);
    if (!core.state.nodes.get(target)!.online) throw new Error(`Can't connect to destination address using public key`);
    g.conf.lock = 'migrate';
    core.state.touch();
    try {
      if (running) {
        t.log(`shutdown CT ${g.vmid}`);
        stopGuest(core, g);
      }
      await t.sleep(stepMs(core, 2));
      g.node = target;
      if (running) {
        t.log(`start container on target node`);
        bootGuest(core, g);
      }
      t.log('migration finished successfully');
    } finally {
      delete g.conf.lock;
      core.state.touch();
    }
  });
}

function destroy(ctx: Ctx): string {
  const { core, p } = ctx;
  const g = ct(ctx);
  checkGuestLock(g);
  if (g.conf.protection) throw new ApiError(500, `can't remove CT ${g.vmid} - protection mode enabled`);
  if (g.status === 'running' && !p.force) throw new ApiError(500, `unable to destroy CT ${g.vmid} - container is running`);
  return startTask(ctx, 'vzdestroy', g.vmid, async (t) => {
    if (g.status === 'running') stopGuest(core, g);
    for (const d of diskEntries(g.conf)) {
      await t.sleep(stepMs(core, 3));
      t.log(`Removing image ${d.volid}`);
    }
    core.state.removeGuest(g.vmid);
  });
}

export const lxcRoutes: Route[] = [
  { key: 'GET /nodes/{node}/lxc', handle: (ctx) => [...ctx.core.state.guests.values()].filter((g) => g.node === ctx.p.node && g.type === 'lxc').map((g) => { const s = ctStatus(g); delete s.ha; return s; }) },
  {
    key: 'POST /nodes/{node}/lxc',
    perm: (ctx, params) => checkPerm(ctx.who, `/vms/${params.vmid}`, params.restore ? ['VM.Backup'] : ['VM.Allocate']),
    handle: createCt,
  },
  {
    key: 'GET /nodes/{node}/lxc/{vmid}/config',
    perm: vmPerm(['VM.Audit']),
    handle: (ctx) => {
      const g = ct(ctx);
      if (ctx.p.snapshot !== undefined) {
        const s = g.snapshots.get(String(ctx.p.snapshot));
        if (!s) throw new ApiError(500, `snapshot '${ctx.p.snapshot}' does not exist`);
        return { ...s.conf, digest: configDigest(s.conf) };
      }
      return { ...g.conf, digest: configDigest(g.conf) };
    },
  },
  { key: 'PUT /nodes/{node}/lxc/{vmid}/config', perm: vmPerm(['VM.Config.Options']), handle: editCtConfig },
  { key: 'GET /nodes/{node}/lxc/{vmid}/status/current', perm: vmPerm(['VM.Audit']), handle: (ctx) => ctStatus(ct(ctx)) },
  ...(['start', 'stop', 'shutdown', 'reboot', 'suspend', 'resume'] as const).map((k): Route => (
    { key: `POST /nodes/{node}/lxc/{vmid}/status/${k}`, perm: vmPerm(['VM.PowerMgmt']), handle: (ctx) => power(ctx, k) })),
  { key: 'POST /nodes/{node}/lxc/{vmid}/template', perm: vmPerm(['VM.Allocate']), handle: template },
  { key: 'POST /nodes/{node}/lxc/{vmid}/clone', perm: (ctx, params) => { checkPerm(ctx.who, `/vms/${ctx.path.vmid}`, ['VM.Clone']); checkPerm(ctx.who, `/vms/${params.newid}`, ['VM.Allocate']); }, handle: clone },
  {
    // PVE 9's container precondition: hyphenated keys, unlike qemu's allowed_nodes.
    key: 'GET /nodes/{node}/lxc/{vmid}/migrate',
    perm: vmPerm(['VM.Migrate']),
    handle: (ctx) => {
      const g = ct(ctx);
      const allowed: string[] = [];
      const notAllowed: Record<string, unknown> = {};
      for (const n of ctx.core.state.nodes.values()) {
        if (n.node === g.node) continue;
        if (!n.online) notAllowed[n.node] = { unavailable_storages: [...new Set(diskEntries(g.conf).map((d) => d.volid.split(':')[0]))] };
        else allowed.push(n.node);
      }
      return { running: g.status === 'running' ? 1 : 0, 'allowed-nodes': allowed, 'not-allowed-nodes': notAllowed, 'dependent-ha-resources': [] };
    },
  },
  { key: 'POST /nodes/{node}/lxc/{vmid}/migrate', perm: vmPerm(['VM.Migrate']), handle: migrate },
  { key: 'DELETE /nodes/{node}/lxc/{vmid}', perm: vmPerm(['VM.Allocate']), handle: destroy },
];
