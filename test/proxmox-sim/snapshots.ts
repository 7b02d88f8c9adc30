// Snapshots of VMs and containers (/nodes/{node}/{qemu|lxc}/{vmid}/snapshot...), as
// PVE::AbstractConfig does them: the name checked by the schema (pve-configid, 40 chars) and
// 'current'/'pending' refused at once; everything else inside the worker (qmsnapshot/vzsnapshot):
// the lock check, a name already used, a missing snapshot on rollback/delete. The config carries
// `lock: snapshot` (or rollback, snapshot-delete) while the task runs. Containers have no vmstate
// parameter: the schema itself refuses it (400 "property is not defined in schema").
import { checkPerm } from './auth';
import { guestOn, stepMs } from './core';
import { ApiError } from './http';
import { checkGuestLock } from './locks';
import { bootGuest, stopGuest } from './qemu';
import type { Ctx, Route } from './router';
import { snapshotsOf, type Guest, type GuestConfig, type GuestType } from './state';

const copy = (c: GuestConfig): GuestConfig => {
  const o = { ...c };
  delete o.lock;
  return o;
};

function listSnapshots(g: Guest): unknown[] {
  const out: Record<string, unknown>[] = [];
  for (const s of g.snapshots.values()) {
    const o: Record<string, unknown> = { name: s.name, description: s.description, snaptime: s.snaptime };
    if (s.parent) o.parent = s.parent;
    if (s.vmstate) o.vmstate = 1;
    out.push(o);
  }
  const current: Record<string, unknown> = { name: 'current', description: 'You are here!', running: g.status === 'running' ? 1 : 0 };
  if (g.conf.parent) current.parent = String(g.conf.parent);
  out.push(current);
  return out;
}

function snapshotOf(g: Guest, name: string) {
  const s = g.snapshots.get(name);
  if (!s) throw new Error(`snapshot '${name}' does not exist`);
  return s;
}

/** Test knob and seed helper: takes a snapshot at once, without a task. */
export function takeSnapshot(g: Guest, name: string, description = '', vmstate = false, snaptime = Math.floor(Date.now() / 1000)): void {
  const parent = g.conf.parent ? String(g.conf.parent) : undefined;
  snapshotsOf(g).set(name, { name, description, snaptime, parent, vmstate: vmstate || undefined, conf: copy(g.conf), running: g.status === 'running' });
  g.conf.parent = name;
}

function routes(type: GuestType): Route[] {
  const base = `/nodes/{node}/${type}/{vmid}/snapshot`;
  const word = type === 'qemu' ? 'qm' : 'vz';
  const guest = (ctx: Ctx) => guestOn(ctx.core, String(ctx.p.node), Number(ctx.p.vmid), type);
  const perm = (privs: string[]) => (ctx: Ctx) => checkPerm(ctx.who, `/vms/${ctx.path.vmid}`, privs);
  const task = (ctx: Ctx, kind: string, g: Guest, body: (t: Parameters<Parameters<Ctx['core']['tasks']['start']>[4]>[0]) => Promise<void>) =>
    ctx.core.tasks.start(String(ctx.p.node), kind, String(g.vmid), ctx.who.id, body).upid;
  return [
    { key: `GET ${base}`, perm: perm(['VM.Audit']), handle: (ctx) => listSnapshots(guest(ctx)) },
    {
      key: `POST ${base}`,
      perm: perm(['VM.Snapshot']),
      handle: (ctx) => {
        const { core, p } = ctx;
        const g = guest(ctx);
        const name = String(p.snapname);
        if (name === 'current') throw new ApiError(500, "unable to use snapshot name 'current' (reserved name)");
        if (name.toLowerCase() === 'pending') throw new ApiError(500, "unable to use snapshot name 'pending' (reserved name)");
        return task(ctx, `${word}snapshot`, g, async (t) => {
          if (g.conf.template) throw new Error("you can't take a snapshot if it's a template");
          checkGuestLock(g);
          if (g.snapshots.has(name)) throw new Error(`snapshot name '${name}' already used`);
          g.conf.lock = 'snapshot';
          core.state.touch();
          try {
            // vmstate is saved only when asked AND the VM runs (PVE ignores it for a stopped VM).
            const withRam = !!p.vmstate && g.status === 'running';
            if (withRam) t.log(`saving VM state and RAM using storage '${String(g.conf.scsi0 ?? 'local-lvm').split(':')[0]}'`);
            await t.sleep(stepMs(core, 2));
            t.log(`snapshotting 'drive-scsi0' (${String(g.conf.scsi0 ?? g.conf.rootfs ?? '').split(',')[0]})`);
            await t.sleep(stepMs(core, 2));
            delete g.conf.lock;
            takeSnapshot(g, name, p.description !== undefined ? String(p.description) : '', withRam);
          } finally {
            delete g.conf.lock;
            core.state.touch();
          }
        });
      },
    },
    {
      key: `GET ${base}/{snapname}`,
      perm: perm(['VM.Audit']),
      handle: (ctx) => {
        const g = guest(ctx);
        if (!g.snapshots.has(String(ctx.p.snapname))) throw new ApiError(500, `snapshot '${ctx.p.snapname}' does not exist`);
        return [{ rel: 'child', href: 'config' }, { rel: 'child', href: 'rollback' }];
      },
    },
    {
      key: `GET ${base}/{snapname}/config`,
      perm: perm(['VM.Audit']),
      handle: (ctx) => {
        const s = guest(ctx).snapshots.get(String(ctx.p.snapname));
        if (!s) throw new ApiError(500, `snapshot '${ctx.p.snapname}' does not exist`);
        return { ...s.conf, description: s.description, snaptime: s.snaptime, ...(s.parent ? { parent: s.parent } : {}), ...(s.vmstate ? { vmstate: 1 } : {}) };
      },
    },
    {
      key: `PUT ${base}/{snapname}/config`,
      perm: perm(['VM.Snapshot']),
      handle: (ctx) => {
        const g = guest(ctx);
        const s = g.snapshots.get(String(ctx.p.snapname));
        if (!s) throw new ApiError(500, `snapshot '${ctx.p.snapname}' does not exist`);
        checkGuestLock(g);
        if (ctx.p.description !== undefined) s.description = String(ctx.p.description);
        return null;
      },
    },
    {
      key: `POST ${base}/{snapname}/rollback`,
      perm: perm(['VM.Snapshot.Rollback']),
      handle: (ctx) => {
        const { core, p } = ctx;
        const g = guest(ctx);
        const name = String(p.snapname);
        return task(ctx, `${word}rollback`, g, async (t) => {
          const s = snapshotOf(g, name);
          checkGuestLock(g);
          g.conf.lock = 'rollback';
          core.state.touch();
          try {
            if (g.status === 'running') {
              t.log(`stopping ${type === 'qemu' ? 'VM' : 'CT'} ${g.vmid}`);
              stopGuest(core, g);
            }
            await t.sleep(stepMs(core, 2));
            const keep = g.conf.template;
            for (const k of Object.keys(g.conf)) delete g.conf[k];
            Object.assign(g.conf, copy(s.conf), { parent: name });
            if (keep) g.conf.template = keep;
            delete g.conf.lock;
            if (s.vmstate) {
              t.log('restoring VM state (RAM), resuming');
              bootGuest(core, g);
            } else if (p.start) {
              t.log(`starting ${type === 'qemu' ? 'VM' : 'CT'} ${g.vmid}`);
              bootGuest(core, g);
            }
          } finally {
            delete g.conf.lock;
            core.state.touch();
          }
        });
      },
    },
    {
      key: `DELETE ${base}/{snapname}`,
      perm: perm(['VM.Snapshot']),
      handle: (ctx) => {
        const { core, p } = ctx;
        const g = guest(ctx);
        const name = String(p.snapname);
        return task(ctx, `${word}delsnapshot`, g, async (t) => {
          const s = snapshotOf(g, name);
          if (!p.force) checkGuestLock(g);
          g.conf.lock = 'snapshot-delete';
          core.state.touch();
          try {
            await t.sleep(stepMs(core, 2));
            t.log(`delete snapshot '${name}'`);
            for (const o of snapshotsOf(g).values()) if (o.parent === name) o.parent = s.parent;
            if (g.conf.parent === name) {
              if (s.parent) g.conf.parent = s.parent;
              else delete g.conf.parent;
            }
            snapshotsOf(g).delete(name);
          } finally {
            delete g.conf.lock;
            core.state.touch();
          }
        });
      },
    },
  ];
}

export const snapshotRoutes: Route[] = [...routes('qemu'), ...routes('lxc')];
