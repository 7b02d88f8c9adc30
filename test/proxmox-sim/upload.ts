// POST .../upload: multipart streamed straight to a temp file (never buffered: ISOs are GBs),
// then an `imgcopy` task verifies the checksum and moves the file into the storage, like
// pveproxy + pvedaemon do. Parts after the file part are ignored, as pveproxy ignores them.
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { checkPerm } from './auth';
import { noteUploadedVolume } from './autoinstall';
import { stepMs } from './core';
import { ApiError, paramError } from './http';
import type { Ctx, Route } from './router';
import { validate, type Params } from './validate';

const MAX_FIELD = 64 * 1024;
const EXT: Record<string, RegExp> = { iso: /\.(iso|img)$/i, vztmpl: /\.tar\.(gz|xz|zst)$/i, import: /\.(ova|ovf|qcow2|raw|vmdk|img)$/i };
const HASHES = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'];

interface Parsed {
  fields: Params;
  file?: { name: string; path: string; size: number; digest?: string };
}

/** Streams a multipart body; the file part goes to `tmpPath` with backpressure. */
async function parseMultipart(req: IncomingMessage, boundary: string, tmpPath: string): Promise<Parsed> {
  const delim = Buffer.from(`\r\n--${boundary}`);
  // A virtual CRLF lets the first boundary match the same delimiter as the others.
  let buf: Buffer = Buffer.from('\r\n');
  let state: 'preamble' | 'headers' | 'field' | 'file' | 'done' = 'preamble';
  const fields: Params = {};
  let field = '';
  let fieldData: Buffer[] = [];
  let fieldSize = 0;
  let out: WriteStream | undefined;
  let hash: Hash | undefined;
  let file: Parsed['file'];

  const write = async (b: Buffer) => {
    if (!b.length || !out || !file) return;
    hash?.update(b);
    file.size += b.length;
    if (!out.write(b)) await new Promise<void>((r) => out!.once('drain', r));
  };

  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      if (state === 'done') continue; // drain what follows the file part
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      for (;;) {
        if (state === 'preamble') {
          const i = buf.indexOf(delim);
          if (i < 0) {
            buf = buf.subarray(Math.max(0, buf.length - delim.length));
            break;
          }
          buf = buf.subarray(i + delim.length);
          state = 'headers';
        } else if (state === 'headers') {
          if (buf.length < 2) break;
          if (buf.subarray(0, 2).toString() === '--') {
            state = 'done';
            break;
          }
          const end = buf.indexOf('\r\n\r\n');
          if (end < 0) {
            if (buf.length > MAX_FIELD) throw new ApiError(400, 'multipart part header too large');
            break;
          }
          const head = buf.subarray(0, end).toString('utf8');
          buf = buf.subarray(end + 4);
          const disp = /content-disposition:[^\r\n]*/i.exec(head)?.[0] ?? '';
          field = /\bname="([^"]*)"/i.exec(disp)?.[1] ?? '';
          const fname = /\bfilename="([^"]*)"/i.exec(disp)?.[1];
          if (fname !== undefined) {
            const algo = String(fields['checksum-algorithm'] ?? '');
            hash = HASHES.includes(algo) ? createHash(algo) : undefined;
            file = { name: fname, path: tmpPath, size: 0 };
            out = createWriteStream(tmpPath);
            state = 'file';
          } else {
            fieldData = [];
            fieldSize = 0;
            state = 'field';
          }
        } else if (state === 'field') {
          const i = buf.indexOf(delim);
          const take = i < 0 ? Math.max(0, buf.length - delim.length + 1) : i;
          fieldData.push(Buffer.from(buf.subarray(0, take)));
          fieldSize += take;
          if (fieldSize > MAX_FIELD) throw new ApiError(400, 'multipart field too large');
          buf = buf.subarray(take);
          if (i < 0) break;
          fields[field] = Buffer.concat(fieldData).toString('utf8');
          buf = buf.subarray(delim.length);
          state = 'headers';
        } else if (state === 'file') {
          const i = buf.indexOf(delim);
          if (i < 0) {
            const safe = Math.max(0, buf.length - delim.length + 1);
            await write(buf.subarray(0, safe));
            buf = Buffer.from(buf.subarray(safe));
            break;
          }
          await write(buf.subarray(0, i));
          buf = Buffer.alloc(0);
          // The file part is the last one pveproxy reads.
          state = 'done';
          break;
        } else break;
      }
    }
    if (out) await new Promise<void>((resolve, reject) => out!.end((e?: Error | null) => (e ? reject(e) : resolve())));
    if (state === 'file') throw new ApiError(400, 'multipart body ended inside the file part');
    if (file && hash) file.digest = hash.digest('hex');
    return { fields, file };
  } catch (e) {
    out?.destroy();
    await rm(tmpPath, { force: true });
    throw e;
  }
}

async function upload(ctx: Ctx): Promise<string> {
  const { core, req } = ctx;
  if (!req.headers['content-length']) {
    // pveproxy refuses chunked uploads before reading them.
    throw new ApiError(501, 'upload without content length header not supported');
  }
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(String(req.headers['content-type'] ?? ''));
  if (!/^multipart\/form-data/i.test(String(req.headers['content-type'] ?? '')) || !boundary) {
    throw paramError({ filename: 'property is missing and it is not optional' });
  }
  await mkdir(join(core.dataDir, 'upload'), { recursive: true });
  const tmp = join(core.dataDir, 'upload', `pveupload-${randomBytes(8).toString('hex')}`);
  const parsed = await parseMultipart(req, boundary[1] ?? boundary[2], tmp);
  const cleanup = () => rm(tmp, { force: true });
  try {
    const input: Params = { ...parsed.fields, node: ctx.path.node, storage: ctx.path.storage };
    if (parsed.file) input.filename = parsed.file.name;
    const p = validate('POST /nodes/{node}/storage/{storage}/upload', input);
    const content = String(p.content);
    const filename = String(p.filename);
    if (!parsed.file) throw paramError({ filename: 'property is missing and it is not optional' });
    if (!EXT[content]?.test(filename) || filename.includes('/')) throw paramError({ filename: 'wrong file extension' });
    if ((p.checksum === undefined) !== (p['checksum-algorithm'] === undefined)) {
      throw paramError({ checksum: "'checksum' and 'checksum-algorithm' must be specified together" });
    }
    const def = core.state.storage(String(p.storage));
    if (!def) throw new ApiError(500, `storage '${p.storage}' does not exist`);
    if (!def.content.includes(content)) throw new ApiError(500, `storage '${def.storage}' does not support '${content}' content`);
    const node = String(p.node);
    const file = parsed.file;
    const volid = `${def.storage}:${content}/${filename}`;
    return core.tasks.start(node, 'imgcopy', '', ctx.who.id, async (t) => {
      try {
        t.log(`starting file import from: ${tmp}`);
        if (p.checksum !== undefined) {
          t.log('calculating checksum...');
          await t.sleep(stepMs(core, 4));
          const want = String(p.checksum).toLowerCase();
          if (file.digest !== want) throw new Error(`checksum mismatch: got '${file.digest}' != expect '${want}'`);
          t.log('OK, checksum verified');
        }
        t.log(`target node: ${node}`);
        t.log(`target file: /var/lib/vz/template/${content}/${filename}`);
        t.log(`file size is: ${file.size}`);
        await t.sleep(stepMs(core, 2));
        const dir = join(core.dataDir, 'storage', def.shared ? '_shared' : node, def.storage, content);
        await mkdir(dir, { recursive: true });
        const dest = join(dir, filename);
        await rename(tmp, dest);
        const vols = core.state.volumes;
        const old = vols.findIndex((v) => v.volid === volid && (def.shared || v.node === node));
        if (old >= 0) vols.splice(old, 1);
        const vol = { volid, storage: def.storage, node: def.shared ? undefined : node, content: content as 'iso', format: content === 'iso' ? 'iso' : 'tgz', size: file.size, ctime: Math.floor(Date.now() / 1000), file: dest };
        vols.push(vol);
        await noteUploadedVolume(vol);
        t.log('finished file import successfully');
      } finally {
        await cleanup();
      }
    }).upid;
  } catch (e) {
    await cleanup();
    throw e;
  }
}

export const uploadRoute: Route = {
  key: 'POST /nodes/{node}/storage/{storage}/upload',
  rawBody: true,
  perm: (ctx) => checkPerm(ctx.who, `/storage/${ctx.path.storage}`, ['Datastore.AllocateTemplate']),
  handle: upload,
};
