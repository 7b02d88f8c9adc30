// Storage endpoints: list storages, list/delete content. Upload lives in upload.ts.
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { checkPerm, hasPriv } from './auth';
import { stepMs } from './core';
import { ApiError, paramError } from './http';
import type { Ctx, Route } from './router';
import { diskEntries } from './state';
import { uploadRoute } from './upload';
import { volumePath } from './backup';

function storageOr500(ctx: Ctx) {
  const s = ctx.core.state.storage(String(ctx.p.storage));
  if (!s) throw new ApiError(500, `storage '${ctx.p.storage}' does not exist`);
  return s;
}

function contentList(ctx: Ctx): unknown[] {
  const { core, p } = ctx;
  const node = String(p.node);
  const def = storageOr500(ctx);
  const out: Record<string, unknown>[] = core.state.volumesOn(node, def.storage).map((v) => {
    const o: Record<string, unknown> = { volid: v.volid, content: v.content, format: v.format, size: v.size, ctime: v.ctime };
    if (v.vmid !== undefined) o.vmid = v.vmid;
    if (v.subtype) o.subtype = v.subtype;
    if (v.notes) o.notes = v.notes;
    if (v.content === 'backup' && v.protected) o.protected = 1;
    return o;
  });
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
        // PVE::Storage::archive_remove refuses a protected backup inside the worker.
        if (vol.protected) throw new Error(`cannot remove protected archive '${volumePath(vol)}'`);
        await t.sleep(stepMs(core, 4));
        const i = core.state.volumes.indexOf(vol);
        if (i >= 0) core.state.volumes.splice(i, 1);
        if (vol.file) await rm(vol.file, { force: true });
        t.log(`Removed volume '${volid}'`);
      }).upid;
    },
  },
  uploadRoute,
  {
    // No network here: the "downloaded" file's bytes are the URL's UTF-8 text, so a test can
    // compute the checksum; hosts ending in .invalid fail like an unreachable server.
    key: 'POST /nodes/{node}/storage/{storage}/download-url',
    perm: (ctx) => {
      checkPerm(ctx.who, `/storage/${ctx.path.storage}`, ['Datastore.AllocateTemplate']);
      checkPerm(ctx.who, `/nodes/${ctx.path.node}`, ['Sys.AccessNetwork']);
    },
    handle: (ctx) => {
      const { core, p } = ctx;
      const node = String(p.node);
      const content = String(p.content);
      const filename = String(p.filename);
      let url: URL;
      try {
        url = new URL(String(p.url));
      } catch {
        throw paramError({ url: 'invalid URL' });
      }
      if (!/^(https?|ftp):$/.test(url.protocol)) throw paramError({ url: 'invalid URL' });
      const ext = content === 'iso' ? /\.(iso|img)$/i : content === 'vztmpl' ? /\.tar\.(gz|xz|zst)$/i : /\.(ova|ovf|qcow2|raw|vmdk|img)$/i;
      if (!ext.test(filename) || filename.includes('/')) throw paramError({ filename: 'wrong file extension' });
      if ((p.checksum === undefined) !== (p['checksum-algorithm'] === undefined)) {
        throw paramError({ checksum: "'checksum' and 'checksum-algorithm' must be specified together" });
      }
      const def = storageOr500(ctx);
      if (!def.content.includes(content)) throw new ApiError(500, `storage '${def.storage}' does not support '${content}' content`);
      const volid = `${def.storage}:${content}/${filename}`;
      return core.tasks.start(node, 'download', filename, ctx.who.id, async (t) => {
        t.log(`downloading ${url.href} to /var/lib/vz/template/${content}/${filename}`);
        await t.sleep(stepMs(core, 3));
        if (url.hostname.endsWith('.invalid')) throw new Error(`download failed: 500 Can't connect to ${url.host}`);
        const bytes = Buffer.from(url.href);
        t.log(`${bytes.length} bytes downloaded`);
        if (p.checksum !== undefined) {
          const got = createHash(String(p['checksum-algorithm'])).update(bytes).digest('hex');
          const want = String(p.checksum).toLowerCase();
          if (got !== want) throw new Error(`checksum mismatch: got '${got}' != expect '${want}'`);
          t.log('OK, checksum verified');
        }
        await t.sleep(stepMs(core, 3));
        const vols = core.state.volumes;
        const old = vols.findIndex((v) => v.volid === volid && (def.shared || v.node === node));
        if (old >= 0) vols.splice(old, 1);
        vols.push({ volid, storage: def.storage, node: def.shared ? undefined : node, content: content as 'iso', format: content === 'iso' ? 'iso' : 'tgz', size: bytes.length, ctime: Math.floor(Date.now() / 1000) });
        t.log('download of file finished successfully');
      }).upid;
    },
  },
];
