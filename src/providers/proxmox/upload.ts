// ISO upload (POST /nodes/{node}/storage/{storage}/upload): multipart streamed from disk in
// constant memory, Content-Length computed up front (pveproxy refuses chunked uploads), the
// SHA-256 sent for pvedaemon to verify, the file part LAST (pveproxy stops reading after it),
// then the imgcopy task followed. Progress with bytes/s and ETA; cancel with an AbortSignal.
import { checkName } from '../names';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { pathSegment } from './client';
import { ProxmoxError } from './errors';
import { followTask, type TaskApi, type TaskOutcome } from './tasks';
import type { RequestOptions } from './transport';

export type UploadErrorKind = 'no-iso-content' | 'storage-full' | 'bad-file' | 'checksum' | 'task-failed' | 'cancelled' | 'stalled';

export class UploadError extends Error {
  override name = 'UploadError';
  constructor(readonly kind: UploadErrorKind, message: string, readonly detail: Record<string, unknown> = {}) {
    super(message);
  }
}

export interface UploadProgress {
  phase: 'hashing' | 'uploading' | 'verifying';
  bytes: number;
  total: number;
  /** Moving average over the last few seconds. */
  bytesPerSecond: number;
  /** Seconds left at the current rate; undefined until there is a rate. */
  etaSeconds?: number;
}

/** The part of ProxmoxClient an upload needs. */
export interface UploadClient extends TaskApi {
  requestStream<T>(method: string, path: string, body: Readable | AsyncIterable<Uint8Array>, headers: Record<string, string>, opts?: RequestOptions): Promise<T>;
}

export interface UploadIsoOptions {
  node: string;
  storage: string;
  filePath: string;
  /** Name on the storage; default the file's basename. Must end in .iso or .img. */
  filename?: string;
  /** Known SHA-256 (hex) of the file; computed (one extra read) when absent. */
  sha256?: string;
  onProgress?: (p: UploadProgress) => void;
  /** Task log lines of imgcopy. */
  onTaskLog?: (lines: string[]) => void;
  signal?: AbortSignal;
  /** No byte accepted by the server for this long aborts the upload. Default 120 s. */
  stallTimeoutMs?: number;
  /** Skip the storage pre-check (content type and free space). */
  skipPrecheck?: boolean;
  pollMs?: number;
  /** Read size, default 1 MiB. */
  chunkBytes?: number;
}

export interface UploadResult {
  volid: string;
  upid: string;
  sha256: string;
  bytes: number;
  /** Upload time (without hashing and the imgcopy task). */
  uploadMs: number;
  task: TaskOutcome;
}

/** Rate/ETA over a sliding window of samples. */
export class RateMeter {
  private samples: Array<[number, number]> = [];
  constructor(private readonly windowMs = 5000, private readonly now: () => number = Date.now) {}
  add(bytes: number): number {
    const t = this.now();
    this.samples.push([t, bytes]);
    while (this.samples.length > 2 && t - this.samples[0][0] > this.windowMs) this.samples.shift();
    const [t0, b0] = this.samples[0];
    return t > t0 ? ((bytes - b0) * 1000) / (t - t0) : 0;
  }
}

export function formatRate(bytesPerSecond: number): string {
  const mb = bytesPerSecond / 2 ** 20;
  return mb >= 1 ? `${mb.toFixed(1)} MiB/s` : `${(bytesPerSecond / 1024).toFixed(0)} KiB/s`;
}

export async function sha256File(file: string, o: { signal?: AbortSignal; onBytes?: (n: number) => void } = {}): Promise<string> {
  const h = createHash('sha256');
  let n = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20, signal: o.signal })) {
    h.update(chunk as Buffer);
    n += (chunk as Buffer).length;
    o.onBytes?.(n);
  }
  return h.digest('hex');
}

function quoteName(s: string): string {
  return s.replace(/["\\\r\n]/g, '_');
}

/** The multipart frame around the file: fields first, the file part last. */
export function multipartFrame(boundary: string, fields: Array<[string, string]>, filename: string): { head: Buffer; tail: Buffer } {
  const part = (k: string, v: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`;
  const head = Buffer.from(fields.map(([k, v]) => part(k, v)).join('') +
    `--${boundary}\r\nContent-Disposition: form-data; name="filename"; filename="${quoteName(filename)}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { head, tail };
}

interface StorageInfo { storage: string; content?: string; avail?: number; total?: number; active?: number }

async function precheck(client: UploadClient, node: string, storage: string, size: number): Promise<void> {
  const list = await client.get<StorageInfo[]>(`/nodes/${pathSegment(node)}/storage`);
  const s = list.find((x) => x.storage === storage);
  const isoCapable = list.filter((x) => String(x.content ?? '').split(',').includes('iso')).map((x) => x.storage);
  if (!s || !String(s.content ?? '').split(',').includes('iso')) {
    throw new UploadError('no-iso-content',
      `Storage "${storage}" on ${node} ${s ? 'does not hold ISO images' : 'does not exist'}. ` +
      (isoCapable.length ? `Storages there that do: ${isoCapable.join(', ')}.` : 'No storage there holds ISO images: enable the "ISO image" content on one (Datacenter > Storage).'),
      { storage, isoCapable });
  }
  if (typeof s.avail === 'number' && s.avail < size) {
    throw new UploadError('storage-full',
      `Storage "${storage}" on ${node} has ${(s.avail / 2 ** 30).toFixed(2)} GiB free, the ISO needs ${(size / 2 ** 30).toFixed(2)} GiB: delete old ISOs or choose another storage.`,
      { storage, avail: s.avail, size });
  }
}

export async function uploadIso(client: UploadClient, o: UploadIsoOptions): Promise<UploadResult> {
  const filename = o.filename ?? path.basename(o.filePath);
  const nameWhy = checkName('iso', filename);
  if (nameWhy) throw new UploadError('bad-file', `"${filename}" cannot be uploaded as an ISO image. ${nameWhy}`);
  let st;
  try {
    st = await fsp.stat(o.filePath);
  } catch {
    throw new UploadError('bad-file', `${o.filePath} does not exist or cannot be read.`);
  }
  if (!st.isFile()) throw new UploadError('bad-file', `${o.filePath} is not a file.`);
  const size = st.size;
  o.signal?.throwIfAborted();
  if (!o.skipPrecheck) await precheck(client, o.node, o.storage, size);

  let sha256 = o.sha256?.toLowerCase();
  if (!sha256) {
    const meter = new RateMeter();
    sha256 = await sha256File(o.filePath, {
      signal: o.signal,
      onBytes: (n) => {
        const r = meter.add(n);
        o.onProgress?.({ phase: 'hashing', bytes: n, total: size, bytesPerSecond: r, etaSeconds: r > 0 ? (size - n) / r : undefined });
      },
    }).catch((e) => {
      if (o.signal?.aborted) throw new UploadError('cancelled', 'The upload was cancelled.');
      throw e;
    });
  }
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new UploadError('bad-file', `"${sha256}" is not a SHA-256 checksum.`);

  const boundary = `----homelab${randomBytes(12).toString('hex')}`;
  const { head, tail } = multipartFrame(boundary, [['content', 'iso'], ['checksum-algorithm', 'sha256'], ['checksum', sha256]], filename);
  const contentLength = head.length + size + tail.length;

  // The body: frame + file chunks read on demand (backpressure keeps memory flat).
  const ctl = new AbortController();
  const onAbort = () => ctl.abort(o.signal?.reason);
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const meter = new RateMeter();
  const started = Date.now();
  let sent = 0;
  let lastProgress = Date.now();
  let stalled = false;
  const stallMs = o.stallTimeoutMs ?? 120_000;
  const stallTimer = setInterval(() => {
    if (Date.now() - lastProgress > stallMs) {
      stalled = true;
      ctl.abort(new Error('stalled'));
    }
  }, Math.min(1000, stallMs));
  let lastReport = 0;
  const report = (force = false) => {
    const now = Date.now();
    lastProgress = now;
    if (!force && now - lastReport < 200) return;
    lastReport = now;
    const r = meter.add(sent);
    o.onProgress?.({ phase: 'uploading', bytes: sent, total: size, bytesPerSecond: r, etaSeconds: r > 0 ? (size - sent) / r : undefined });
  };
  const filePath = o.filePath;
  const chunkBytes = o.chunkBytes ?? 1 << 20;
  async function* body() {
    yield head;
    let read = 0;
    for await (const chunk of createReadStream(filePath, { highWaterMark: chunkBytes, signal: ctl.signal })) {
      read += (chunk as Buffer).length;
      sent = read;
      report();
      yield chunk as Buffer;
    }
    if (read !== size) throw new UploadError('bad-file', `${filePath} changed size during the upload (${read} bytes instead of ${size}).`);
    report(true);
    yield tail;
  }
  let upid: string;
  try {
    upid = await client.requestStream<string>('POST', `/nodes/${pathSegment(o.node)}/storage/${pathSegment(o.storage)}/upload`,
      body(), {
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(contentLength),
      }, { signal: ctl.signal, timeoutMs: 7 * 24 * 3600_000 });
  } catch (e) {
    if (stalled) throw new UploadError('stalled', `The upload to ${o.node}/${o.storage} made no progress for ${Math.round(stallMs / 1000)} s and was stopped at ${sent} of ${size} bytes.`);
    if (o.signal?.aborted) throw new UploadError('cancelled', `The upload was cancelled at ${sent} of ${size} bytes; nothing was stored.`);
    if (e instanceof UploadError) throw e;
    const inner = (e as { cause?: unknown })?.cause;
    if (inner instanceof UploadError) throw inner; // raised by the body (file changed size)
    if (e instanceof ProxmoxError && /does not support 'iso'|content/.test(e.message) && e.status === 500) {
      throw new UploadError('no-iso-content', e.message);
    }
    throw e;
  } finally {
    clearInterval(stallTimer);
    o.signal?.removeEventListener('abort', onAbort);
  }
  const uploadMs = Date.now() - started;
  o.onProgress?.({ phase: 'verifying', bytes: size, total: size, bytesPerSecond: (size * 1000) / Math.max(1, uploadMs), etaSeconds: 0 });
  const task = await followTask(client, upid, { onLog: o.onTaskLog, signal: o.signal, pollMs: o.pollMs ?? 1000 });
  if (task.cancelled) throw new UploadError('cancelled', 'The upload was cancelled while the server was importing the file; nothing was stored.');
  if (task.status === 'error') {
    const mismatch = /checksum mismatch/i.test(task.exitstatus);
    const full = /no space left|not enough space|quota/i.test(task.exitstatus);
    throw new UploadError(mismatch ? 'checksum' : full ? 'storage-full' : 'task-failed',
      mismatch ? `The ISO arrived damaged on ${o.node} (${task.exitstatus}); nothing was stored. Upload it again.`
        : `Importing the ISO on ${o.node} failed: ${task.exitstatus}`,
      { upid, exitstatus: task.exitstatus, logTail: task.logTail });
  }
  return { volid: `${o.storage}:iso/${filename}`, upid, sha256, bytes: size, uploadMs, task };
}
