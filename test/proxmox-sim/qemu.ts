// /nodes/{node}/qemu/...: create, config, power, template, clone, migrate, destroy, agent.
// Which checks are synchronous (HTTP 500) and which fail inside the task follows NOTES.md.
import { checkPerm } from './auth';
import { onGuestBoot, onGuestStop } from './autoinstall';
import { guestOn, stepMs, type SimCore } from './core';
import { ApiError, paramError } from './http';
import { checkConfigLock } from './locks';
import { applyConfig, checkConfigPerm } from './qemu-config';
import type { Ctx, Route } from './router';
import { agentEnabled, configDigest, diskEntries, memoryMiB, parseSize, type Guest, type GuestConfig } from './state';
import type { TaskCtx } from './tasks';
import { restoreGuest } from './backup';

const vmPerm = (privs: string[], any = false) => (ctx: Ctx) => checkPerm(ctx.who, `/vms/${ctx.path.vmid}`, privs, any);
const num = (v: unknown) => Number(v);
const guest = (ctx: Ctx) => guestOn(ctx.core, String(ctx.p.node), num(ctx.p.vmid));

function startTask(ctx: Ctx, type: string, id: number | string, body: (t: TaskCtx) => Promise<void>): string {
  return ctx.core.tasks.start(String(ctx.p.node), type, String(id), ctx.who.id, body).upid;
}

/** Non-blocking check that a guest exists: `VM already exists on node` as check_vmid_unused. */
export function assertUnused(core: SimCore, vmid: number): void {
  const g = core.state.guests.get(vmid);
  if (g) throw new ApiError(500, `${g.type === 'lxc' ? 'CT' : 'VM'} ${vmid} already exists on node '${g.node}'`);
}

export function bootGuest(core: SimCore, g: Guest): void {
  g.status = 'running';
  g.startedAt = Date.now();
  g.agentUpAt = Date.now() + core.opts.agentBootDelayMs;
  core.state.touch();
  onGuestBoot(core, g);
}

export function stopGuest(core: SimCore, g: Guest): void {
  g.status = 'stopped';
  g.startedAt = 0;
  core.state.touch();
  onGuestStop(g);
}

function statusCurrent(g: Guest): Record<string, unknown> {
  const running = g.status === 'running';
  const maxmem = memoryMiB(g.conf) * 2 ** 20;
  const r: Record<string, unknown> = {
    vmid: g.vmid, name: g.conf.name, status: g.status, qmpstatus: running && g.paused ? 'paused' : g.status, cpus: Number(g.conf.cores ?? 1) * Number(g.conf.sockets ?? 1),
    maxmem, mem: running ? Math.floor(maxmem * g.memFraction) : 0, cpu: running ? g.cpuLoad : 0,
    maxdisk: diskEntries(g.conf).find((d) => !d.cdrom)?.size ?? 0, disk: 0, uptime: running ? Math.floor((Date.now() - g.startedAt) / 1000) : 0,
    netin: 0, netout: 0, diskread: 0, diskwrite: 0, ha: { managed: 0 },
  };
  if (running) r.pid = 10000 + g.vmid;
  if (agentEnabled(g.conf)) r.agent = 1;
  if (g.conf.template) r.template = 1;
  if (g.conf.lock) r.lock = g.conf.lock;
  if (g.conf.tags) r.tags = g.conf.tags;
  return r;
}

async function createVm(ctx: Ctx): Promise<string> {
  const { core, p } = ctx;
  if (p.archive !== undefined) return restoreGuest(ctx, 'qemu', String(p.archive));
  const vmid = num(p.vmid);
  const node = String(p.node);
  assertUnused(core, vmid);
  if (p.pool !== undefined && !core.state.pools.has(String(p.pool))) throw new ApiError(500, `pool '${p.pool}' does not exist`);
  const conf: GuestConfig = {};
  applyConfig(core, vmid, conf, p);
  if (!conf.smbios1) conf.smbios1 = `uuid=${core.state.uuid()}`;
  if (!conf.vmgenid) conf.vmgenid = core.state.uuid();
  // create_and_lock_config: the vmid is taken at once, the config carries `lock: create`.
  const g = core.state.addGuest(vmid, node, { ...conf, lock: 'create' });
  if (p.pool !== undefined) g.pool = String(p.pool);
  return startTask(ctx, 'qmcreate', vmid, async (t) => {
    try {
      for (const d of diskEntries(conf)) {
        if (d.cdrom) {
          const exists = core.state.volumesOn(node, d.volid.split(':')[0]).some((v) => v.volid === d.volid);
          if (!exists) throw new Error(`volume '${d.volid}' does not exist`);
        } else t.log(`${d.key}: successfully created disk '${d.volid},size=${Math.round(d.size / 2 ** 30)}G'`);
        await t.sleep(stepMs(core, 4));
      }
      await t.sleep(stepMs(core, 2));
      delete g.conf.lock;
      Object.assign(g.conf, conf);
      core.state.touch();
      if (p.start) {
        t.log(`starting VM ${vmid}`);
        bootGuest(core, g);
      }
    } catch (e) {
      core.state.removeGuest(vmid);
      throw e;
    }
  });
}

async function editConfig(ctx: Ctx, async: boolean): Promise<string | null> {
  const { core, p } = ctx;
  const g = guest(ctx);
  const release = await g.flock.acquire(core.opts.lockTimeoutMs);
  try {
    if (!p.skiplock) checkConfigLock(g.conf);
    if (p.digest !== undefined && p.digest !== configDigest(g.conf)) {
      throw new ApiError(500, 'detected modified configuration - file changed by other user? Try again.');
    }
    if (!async) {
      applyConfig(core, g.vmid, g.conf, p);
      core.state.touch();
      return null;
    }
  } finally {
    release();
  }
  return startTask(ctx, 'qmconfig', g.vmid, async (t) => {
    await t.sleep(stepMs(core, 2));
    applyConfig(core, g.vmid, g.conf, p);
    core.state.touch();
    t.log('update VM ' + g.vmid + ': ' + Object.keys(p).filter((k) => k !== 'node' && k !== 'vmid').map((k) => `-${k}`).join(' '));
  });
}

function powerTask(ctx: Ctx, kind: 'start' | 'stop' | 'shutdown' | 'reboot'): string {
  const { core, p } = ctx;
  const g = guest(ctx);
  if (kind === 'reboot' && g.status !== 'running') throw new ApiError(500, `VM ${g.vmid} not running`);
  const type = { start: 'qmstart', stop: 'qmstop', shutdown: 'qmshutdown', reboot: 'qmreboot' }[kind];
  return startTask(ctx, type, g.vmid, async (t) => {
    if (kind === 'start') {
      if (g.conf.template) throw new Error("you can't start a vm if it's a template");
      if (!p.skiplock && g.conf.lock) throw new Error(`VM is locked (${g.conf.lock})`);
      if (g.status === 'running') throw new Error(`VM ${g.vmid} already running`);
      if (diskEntries(g.conf).some((d) => d.volid.includes('cloudinit'))) t.log('generating cloud-init ISO');
      await t.sleep(stepMs(core, 1));
      bootGuest(core, g);
      return;
    }
    if (!p.skiplock && g.conf.lock) throw new Error(`VM is locked (${g.conf.lock})`);
    if (g.status !== 'running') {
      if (kind === 'reboot') throw new Error(`VM ${g.vmid} not running`);
      return;
    }
    if (kind === 'shutdown' && g.ignoreShutdown) {
      // The guest never reacts to ACPI: qemu-server waits `timeout` seconds (default 180).
      const timeoutS = p.timeout !== undefined ? num(p.timeout) : 180;
      await t.sleep(timeoutS * 1000);
      if (!p.forceStop) throw new Error('VM quit/powerdown failed - got timeout');
      t.log('VM still running - terminating now with SIGTERM');
      stopGuest(core, g);
      return;
    }
    await t.sleep(stepMs(core, 1));
    if (kind === 'reboot') bootGuest(core, g);
    else stopGuest(core, g);
  });
}

/** qmsuspend / qmresume: pause and continue a running VM (qmpstatus paused). */
function pauseTask(ctx: Ctx, pause: boolean): string {
  const { core, p } = ctx;
  const g = guest(ctx);
  if (g.status !== 'running') throw new ApiError(500, `VM ${g.vmid} not running`);
  if (!p.skiplock) checkConfigLock(g.conf);
  return startTask(ctx, pause ? 'qmsuspend' : 'qmresume', g.vmid, async (t) => {
    await t.sleep(stepMs(core, 1));
    g.paused = pause;
    core.state.touch();
  });
}

async function template(ctx: Ctx): Promise<string> {
  const { core } = ctx;
  const g = guest(ctx);
  checkConfigLock(g.conf);
  if (g.conf.template) throw new ApiError(500, "you can't convert a template to a template");
  if (g.status === 'running') throw new ApiError(500, "you can't convert a VM to template if VM is running");
  return startTask(ctx, 'qmtemplate', g.vmid, async (t) => {
    const release = await g.flock.acquire(core.opts.lockTimeoutMs);
    try {
      for (const d of diskEntries(g.conf)) {
        if (d.cdrom || d.volid.includes('cloudinit')) continue;
        await t.sleep(stepMs(core, 2));
        const base = d.volid.replace(/:vm-/, ':base-');
        t.log(`  Renamed "${d.volid.split(':')[1]}" to "${base.split(':')[1]}" in volume group`);
        g.conf[d.key] = String(g.conf[d.key]).replace(d.volid, base);
      }
      await t.sleep(stepMs(core, 2));
      g.conf.template = 1;
      core.state.touch();
    } finally {
      release();
    }
  });
}

async function clone(ctx: Ctx): Promise<string> {
  const { core, p } = ctx;
  const src = guest(ctx);
  const node = String(p.node);
  const newid = num(p.newid);
  const isTpl = !!src.conf.template;
  const full = p.full !== undefined ? !!p.full : !isTpl;
  const target = p.target !== undefined ? String(p.target) : node;
  assertUnused(core, newid);
  if (!core.state.nodes.has(target)) throw new ApiError(500, `no such cluster node '${target}'`);
  if (!full && !isTpl) throw new ApiError(500, `Linked clone feature is not supported for drive 'scsi0'`);
  if (!full && p.storage !== undefined) throw new ApiError(500, "parameter 'storage' not allowed for linked clones");
  if (p.storage !== undefined) {
    const s = core.state.storage(String(p.storage));
    if (!s) throw new ApiError(500, `storage '${p.storage}' does not exist`);
    if (!s.content.includes('images')) throw new ApiError(500, `storage '${p.storage}' does not support content-type 'images'`);
  }
  if (p.pool !== undefined && !core.state.pools.has(String(p.pool))) throw new ApiError(500, `pool '${p.pool}' does not exist`);
  const disks = diskEntries(src.conf).filter((d) => !d.cdrom);
  if (target !== node && disks.some((d) => !core.state.storage(d.volid.split(':')[0])?.shared)) {
    throw new ApiError(500, `can't clone VM to node '${target}' (VM uses local storage)`);
  }
  checkConfigLock(src.conf);
  // Clones of one source serialize on its config flock: a second one waits, then "got timeout".
  const release = await src.flock.acquire(core.opts.lockTimeoutMs);
  let upid: string;
  try {
    if (core.state.guests.has(newid)) assertUnused(core, newid);
    const conf: GuestConfig = {};
    const plan: Array<{ key: string; from: string; to: string }> = [];
    for (const [k, v] of Object.entries(src.conf)) {
      if (k === 'template' || k === 'lock') continue;
      if (/^net\d+$/.test(k)) conf[k] = String(v).replace(/^([^=,]+)=[0-9A-Fa-f:]{17}/, `$1=${core.state.mac()}`);
      else if (k === 'smbios1') conf[k] = `uuid=${core.state.uuid()}`;
      else if (k === 'vmgenid') conf[k] = core.state.uuid();
      else conf[k] = v;
    }
    for (const d of diskEntries(src.conf)) {
      if (d.cdrom) continue;
      const [store, name] = d.volid.split(':');
      const cloudinit = name.includes('cloudinit');
      const toStore = full && p.storage !== undefined ? String(p.storage) : store;
      const to = cloudinit
        ? `${toStore}:vm-${newid}-cloudinit`
        : full
          ? `${toStore}:vm-${newid}-disk-${d.key.replace(/\D/g, '') || 0}`
          : `${store}:${name}/vm-${newid}-disk-${d.key.replace(/\D/g, '') || 0}`;
      conf[d.key] = String(src.conf[d.key]).replace(d.volid, to);
      plan.push({ key: d.key, from: d.volid, to });
    }
    conf.name = p.name !== undefined ? String(p.name) : `Copy-of-VM-${src.conf.name ?? src.vmid}`;
    if (p.description !== undefined) conf.description = String(p.description);
    conf.lock = 'clone';
    const g = core.state.addGuest(newid, node, conf);
    if (p.pool !== undefined) g.pool = String(p.pool);
    upid = startTask(ctx, 'qmclone', src.vmid, async (t) => {
      try {
        for (const step of plan) {
          t.log(`create ${full ? 'full' : 'linked'} clone of drive ${step.key} (${step.from})`);
          if (full) {
            for (const pct of [25, 50, 75, 100]) {
              await t.sleep(stepMs(core, plan.length * 4));
              t.log(`transferred ${pct}% of disk (${pct}.00%)`);
            }
          } else await t.sleep(stepMs(core, plan.length));
        }
        if (target !== node) {
          t.log(`moving config to node '${target}'`);
          g.node = target;
        }
        delete g.conf.lock;
        core.state.touch();
      } catch (e) {
        core.state.removeGuest(newid);
        throw e;
      } finally {
        release();
      }
    });
  } catch (e) {
    release();
    throw e;
  }
  return upid;
}

function localDisks(core: SimCore, g: Guest) {
  return diskEntries(g.conf)
    .filter((d) => !core.state.storage(d.volid.split(':')[0])?.shared)
    .map((d) => ({ volid: d.volid, size: d.size, cdrom: d.cdrom ? 1 : 0, is_unused: d.key.startsWith('unused') ? 1 : 0, referenced_in_config: 1, drivename: d.key }));
}

function migratePrecondition(ctx: Ctx): Record<string, unknown> {
  const { core } = ctx;
  const g = guest(ctx);
  const local = localDisks(core, g);
  const allowed: string[] = [];
  const notAllowed: Record<string, unknown> = {};
  for (const n of core.state.nodes.values()) {
    if (n.node === g.node) continue;
    // Storages of a node that is down cannot be activated there.
    if (!n.online) notAllowed[n.node] = { unavailable_storages: [...new Set(diskEntries(g.conf).map((d) => d.volid.split(':')[0]))] };
    else allowed.push(n.node);
  }
  return { running: g.status === 'running' ? 1 : 0, allowed_nodes: allowed, not_allowed_nodes: notAllowed, local_disks: local, local_resources: [], 'mapped-resources': [] };
}

function migrate(ctx: Ctx): string {
  const { core, p } = ctx;
  const g = guest(ctx);
  const target = String(p.target);
  if (target === g.node) throw paramError({ target: 'target is local node.' });
  if (!core.state.nodes.has(target)) throw new ApiError(500, `no such cluster node '${target}'`);
  checkConfigLock(g.conf);
  return startTask(ctx, 'qmigrate', g.vmid, async (t) => {
    const running = g.status === 'running';
    t.log(`starting migration of VM ${g.vmid} to node '${target}'`);
    if (running && !p.online) throw new Error("can't migrate running VM without --online");
    if (!core.state.nodes.get(target)!.online) throw new Error(`migration aborted (duration 00:00:03): Can't connect to destination address using public key`);
    const local = localDisks(core, g).filter((d) => !d.cdrom);
    if (running && local.length && !p['with-local-disks']) {
      throw new Error(`can't live migrate attached local disks without with-local-disks option`);
    }
    g.conf.lock = 'migrate';
    core.state.touch();
    try {
      for (const d of local) {
        t.log(`found local disk '${d.volid}' (attached)`);
        await t.sleep(stepMs(core, local.length * 2 + 2));
        t.log(`copying local disk images: ${d.volid} -> ${p.targetstorage ?? d.volid.split(':')[0]}`);
      }
      if (running) t.log('starting online/live migration');
      await t.sleep(stepMs(core, 2));
      g.node = target;
      t.log(`migration finished successfully`);
    } finally {
      delete g.conf.lock;
      core.state.touch();
    }
  });
}

function destroy(ctx: Ctx): string {
  const { core, p } = ctx;
  const g = guest(ctx);
  if (!p.skiplock) checkConfigLock(g.conf);
  if (g.status === 'running') throw new ApiError(500, `VM ${g.vmid} is running - destroy failed`);
  return startTask(ctx, 'qmdestroy', g.vmid, async (t) => {
    if (g.conf.template) {
      for (const d of diskEntries(g.conf)) {
        const user = [...core.state.guests.values()].find((o) => o !== g && Object.values(o.conf).some((v) => String(v).includes(`${d.volid.split(':')[1]}/`)));
        if (user) throw new Error(`base volume '${d.volid}' is still in use by linked cloned`);
      }
    }
    for (const d of diskEntries(g.conf).filter((x) => !x.cdrom)) {
      await t.sleep(stepMs(core, 4));
      t.log(`Removing image ${d.volid}: 100% complete...done.`);
    }
    await t.sleep(stepMs(core, 2));
    if (p.purge) t.log(`purging VM ${g.vmid} from related configurations..`);
    core.state.removeGuest(g.vmid);
  });
}

/** PUT .../resize (PVE 8+: a qmresize task). Grows only, as PVE: shrinking is refused. */
async function resize(ctx: Ctx): Promise<string> {
  const { core, p } = ctx;
  const g = guest(ctx);
  const key = String(p.disk);
  const release = await g.flock.acquire(core.opts.lockTimeoutMs);
  let current: number;
  try {
    if (!p.skiplock) checkConfigLock(g.conf);
    if (p.digest !== undefined && p.digest !== configDigest(g.conf)) throw new ApiError(500, 'detected modified configuration - file changed by other user? Try again.');
    const d = diskEntries(g.conf).find((x) => x.key === key);
    if (!d || d.cdrom) throw new ApiError(500, `disk '${key}' does not exist`);
    current = d.size;
  } finally {
    release();
  }
  const m = /^(\+)?(\d+(?:\.\d+)?)([KMGT]?)$/.exec(String(p.size))!;
  const bytes = parseSize(`${m[2]}${m[3]}`) || Number(m[2]);
  const wanted = m[1] ? current + bytes : bytes;
  if (wanted < current) throw new ApiError(500, `shrinking disks is not supported`);
  return startTask(ctx, 'qmresize', g.vmid, async (t) => {
    await t.sleep(stepMs(core, 2));
    const gib = Math.round((wanted / 2 ** 30) * 100) / 100;
    g.conf[key] = String(g.conf[key]).replace(/(^|,)size=[^,]*/, `$1size=${gib}G`);
    t.log(`Size of logical volume changed to ${gib} GiB.`);
    core.state.touch();
  });
}

function agentInterfaces(ctx: Ctx): unknown {
  const g = guest(ctx);
  if (!agentEnabled(g.conf)) throw new ApiError(500, 'No QEMU guest agent configured');
  if (g.status !== 'running') throw new ApiError(500, `VM ${g.vmid} is not running`);
  if (Date.now() < g.agentUpAt) throw new ApiError(500, 'QEMU guest agent is not running');
  const fixed = /ip=(\d+\.\d+\.\d+\.\d+)\/(\d+)/.exec(String(g.conf.ipconfig0 ?? ''));
  const ip = fixed ? fixed[1] : `10.10.${(g.vmid >> 8) & 255}.${g.vmid & 255}`;
  const mac = /=([0-9A-Fa-f:]{17})/.exec(String(g.conf.net0 ?? ''))?.[1]?.toLowerCase() ?? '00:00:00:00:00:00';
  return {
    result: [
      { name: 'lo', 'hardware-address': '00:00:00:00:00:00', 'ip-addresses': [{ 'ip-address': '127.0.0.1', 'ip-address-type': 'ipv4', prefix: 8 }, { 'ip-address': '::1', 'ip-address-type': 'ipv6', prefix: 128 }] },
      { name: 'ens18', 'hardware-address': mac, 'ip-addresses': [{ 'ip-address': ip, 'ip-address-type': 'ipv4', prefix: fixed ? Number(fixed[2]) : 24 }, { 'ip-address': `fe80::be24:11ff:fe${mac.slice(9, 11)}:${mac.slice(12, 14)}${mac.slice(15, 17)}`, 'ip-address-type': 'ipv6', prefix: 64 }] },
    ],
  };
}

export const qemuRoutes: Route[] = [
  {
    key: 'GET /nodes/{node}/qemu',
    handle: (ctx) =>
      [...ctx.core.state.guests.values()].filter((g) => g.node === ctx.p.node && g.type === 'qemu').map((g) => {
        const s = statusCurrent(g);
        delete s.ha;
        delete s.qmpstatus;
        return s;
      }),
  },
  {
    key: 'POST /nodes/{node}/qemu',
    perm: (ctx, params) => {
      if (params.pool !== undefined && ctx.who.privs !== 'all') checkPerm(ctx.who, `/pool/${params.pool}`, ['VM.Allocate']);
      else checkPerm(ctx.who, `/vms/${params.vmid}`, ['VM.Allocate']);
    },
    handle: createVm,
  },
  {
    key: 'GET /nodes/{node}/qemu/{vmid}/config',
    perm: vmPerm(['VM.Audit']),
    handle: (ctx) => {
      const g = guest(ctx);
      return { ...g.conf, digest: configDigest(g.conf) };
    },
  },
  { key: 'PUT /nodes/{node}/qemu/{vmid}/config', perm: (ctx, params) => checkConfigPerm(ctx.who, ctx.path.vmid, params), handle: (ctx) => editConfig(ctx, false) },
  { key: 'POST /nodes/{node}/qemu/{vmid}/config', perm: (ctx, params) => checkConfigPerm(ctx.who, ctx.path.vmid, params), handle: (ctx) => editConfig(ctx, true) },
  {
    key: 'PUT /nodes/{node}/qemu/{vmid}/cloudinit',
    perm: vmPerm(['VM.Config.Cloudinit']),
    handle: (ctx) => {
      const g = guest(ctx);
      checkConfigLock(g.conf);
      if (!diskEntries(g.conf).some((d) => d.volid.includes('cloudinit'))) throw new ApiError(500, 'no cloudinit drive found');
      return null;
    },
  },
  { key: 'GET /nodes/{node}/qemu/{vmid}/status/current', perm: vmPerm(['VM.Audit']), handle: (ctx) => statusCurrent(guest(ctx)) },
  { key: 'POST /nodes/{node}/qemu/{vmid}/status/start', perm: vmPerm(['VM.PowerMgmt']), handle: (ctx) => powerTask(ctx, 'start') },
  { key: 'POST /nodes/{node}/qemu/{vmid}/status/stop', perm: vmPerm(['VM.PowerMgmt']), handle: (ctx) => powerTask(ctx, 'stop') },
  { key: 'POST /nodes/{node}/qemu/{vmid}/status/shutdown', perm: vmPerm(['VM.PowerMgmt']), handle: (ctx) => powerTask(ctx, 'shutdown') },
  { key: 'POST /nodes/{node}/qemu/{vmid}/status/reboot', perm: vmPerm(['VM.PowerMgmt']), handle: (ctx) => powerTask(ctx, 'reboot') },
  { key: 'POST /nodes/{node}/qemu/{vmid}/status/suspend', perm: vmPerm(['VM.PowerMgmt']), handle: (ctx) => pauseTask(ctx, true) },
  { key: 'POST /nodes/{node}/qemu/{vmid}/status/resume', perm: vmPerm(['VM.PowerMgmt']), handle: (ctx) => pauseTask(ctx, false) },
  { key: 'POST /nodes/{node}/qemu/{vmid}/template', perm: vmPerm(['VM.Allocate']), handle: template },
  {
    key: 'POST /nodes/{node}/qemu/{vmid}/clone',
    perm: (ctx, params) => {
      checkPerm(ctx.who, `/vms/${ctx.path.vmid}`, ['VM.Clone']);
      checkPerm(ctx.who, params.pool !== undefined ? `/pool/${params.pool}` : `/vms/${params.newid}`, ['VM.Allocate']);
    },
    handle: clone,
  },
  { key: 'GET /nodes/{node}/qemu/{vmid}/migrate', perm: vmPerm(['VM.Migrate']), handle: migratePrecondition },
  { key: 'POST /nodes/{node}/qemu/{vmid}/migrate', perm: vmPerm(['VM.Migrate']), handle: migrate },
  { key: 'DELETE /nodes/{node}/qemu/{vmid}', perm: vmPerm(['VM.Allocate']), handle: destroy },
  { key: 'PUT /nodes/{node}/qemu/{vmid}/resize', perm: vmPerm(['VM.Config.Disk']), handle: resize },
  {
    key: 'GET /nodes/{node}/qemu/{vmid}/agent/network-get-interfaces',
    perm: vmPerm(['VM.GuestAgent.Audit', 'VM.GuestAgent.Unrestricted'], true),
    handle: agentInterfaces,
  },
];
