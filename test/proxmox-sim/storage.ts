// Storage endpoints: list storages, list/delete content. Upload lives in upload.ts.
import { rm } from 'node:fs/promises';
import { checkPerm, hasPriv } from './auth';
import { stepMs } from './core';
import { ApiError } from './http';
import type { Ctx, Route } from './router';
import { diskEntries } from './state';
import { uploadRoute } from './upload';

function storageOr500(ctx: Ctx) {
  const s = ctx.core.state.storage(String(ctx.p.storage));
  if (!s) throw new ApiError(500, `storage '${ctx.p.storage}' does not exist`);
  return s;
}

function contentList(ctx: Ctx): unknown[] {
  const { core, p } = ctx;
  const node = String(p.node);
  const def = storageOr500(ctx);
  const out: Record<string, unknown>[] = core.state.volumesOn(node, def.storage).map((v) => ({
    volid: v.volid, content: v.content, format: v.format, size: v.size, ctime: v.ctime,
  }));
  if (def.content.includes('images')) {
    // Guest disks are derived from configs: the config is the source of truth, as on PVE.
    for (const g of core.state.guests.values()) {
      if (!def.shared && g.node !== node) continue;
      for (const d of diskEntries(g.conf)) {
        if (d.cdrom || d.volid.split(':')[0] !== def.storage) continue;
        out.push({ volid: d.volid, content: 'images', format: 'raw', size: d.size, vmid: g.vmid });
      }
    }
  }
  return out.filter((v) => (p.content === undefined || v.content === p.content) && (p.vmid === undefined || v.vmid === p.vmid));
}

export const storageRoutes: Route[] = [
  {
    key: 'GET /nodes/{node}/storage',
    handle: (ctx) => {
      const { core, p, who } = ctx;
      const wanted = p.content === undefined ? [] : String(p.content).split(/[,;\s]+/);
      return core.state.storages
        .filter((s) => (p.storage === undefined || s.storage === p.storage) && wanted.every((c) => s.content.includes(c)))
        .filter((s) => hasPriv(who, 'Datastore.Audit') || hasPriv(who, 'Datastore.AllocateSpace'))
        .map((s) => {
          const used = core.state.volumesOn(String(p.node), s.storage).reduce((a, v) => a + v.size, 0);
          return {
            storage: s.storage, type: s.type, content: s.content.join(','), shared: s.shared ? 1 : 0, active: 1, enabled: 1,
            total: s.total, used, avail: s.total - used, used_fraction: used / s.total,
          };
        });
    },
  },
  {
    key: 'GET /nodes/{node}/storage/{storage}/content',
    perm: (ctx) => checkPerm(ctx.who, `/storage/${ctx.path.storage}`, ['Datastore.Audit', 'Datastore.AllocateSpace'], true),
    handle: contentList,
  },
  {
    key: 'DELETE /nodes/{node}/storage/{storage}/content/{volume}',
    perm: (ctx) => checkPerm(ctx.who, `/storage/${ctx.path.storage}`, ['Datastore.Allocate']),
    handle: (ctx) => {
      const { core, p } = ctx;
      const node = String(p.node);
      const storage = String(p.storage ?? String(p.volume).split(':')[0]);
      const volid = String(p.volume).includes(':') ? String(p.volume) : `${storage}:${p.volume}`;
      if (!core.state.storage(storage)) throw new ApiError(500, `storage '${storage}' does not exist`);
      const vol = core.state.volumesOn(node, storage).find((v) => v.volid === volid);
      if (!vol) throw new ApiError(500, `volume '${volid}' does not exist`);
      return core.tasks.start(node, 'imgdel', volid, ctx.who.id, async (t) => {
        await t.sleep(stepMs(core, 4));
        const i = core.state.volumes.indexOf(vol);
        if (i >= 0) core.state.volumes.splice(i, 1);
        if (vol.file) await rm(vol.file, { force: true });
        t.log(`Removed volume '${volid}'`);
      }).upid;
    },
  },
  uploadRoute,
];
