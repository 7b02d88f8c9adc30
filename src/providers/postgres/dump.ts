// Backup and restore streamed through a pod's exec: `pg_dump -Fc` out of the pod straight into a
// local file (never the whole dump in memory), `pg_restore` fed from the file. A backup is written
// as `<file>.partial` and becomes `<file>` (with `<file>.sha256`) only after the command exited 0
// AND the archive reads back complete (archive.ts); anything else removes the partial and throws.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import { basename } from 'node:path';
import { Transform, Writable } from 'node:stream';
import { drainingStdin, pgCommand, passwordThen, scrub, tail } from './command';
import { verifyCustomArchive } from './archive';
import type { PodExec } from '../kubernetes/podexec';
import type { PgTarget } from './url';

export interface StreamOptions { signal?: AbortSignal; onProgress?(bytes: number): void }

/** A failure of a PostgreSQL tool in the pod, with its exit code and (password-free) stderr tail. */
export class PgToolError extends Error {
  constructor(message: string, readonly exitCode?: number, readonly stderr = '') { super(message); this.name = 'PgToolError'; }
}

function cancelled(signal?: AbortSignal): boolean { return !!signal?.aborted; }
function abortError(): Error { const e = new Error('The operation was cancelled.'); e.name = 'AbortError'; return e; }

export async function dumpToFile(exec: PodExec, source: PgTarget, file: string, o: StreamOptions = {}): Promise<{ bytes: number; sha256: string }> {
  const partial = `${file}.partial`;
  // a backup is never overwritten (a leftover .partial of a crashed run is)
  if (await fsp.access(file).then(() => true, () => false)) throw new PgToolError(`${basename(file)} exists already: a backup is never overwritten.`);
  const hash = createHash('sha256');
  let bytes = 0;
  const out = createWriteStream(partial, { mode: 0o600, highWaterMark: 1 << 20 });
  const opened = new Promise<void>((resolve, reject) => { out.once('open', () => resolve()); out.once('error', reject); });
  // counts and hashes on the way to the file; its write() returning false is what pauses the stream
  const sink = new Writable({
    highWaterMark: 1 << 20,
    write(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      o.onProgress?.(bytes);
      if (out.write(chunk)) cb(); else out.once('drain', () => cb());
    },
  });
  let fileError: Error | undefined;
  out.on('error', (e) => { fileError ??= e; sink.destroy(e); });
  const closeFile = () => new Promise<void>((resolve, reject) => {
    if (out.closed) { resolve(); return; }
    out.once('close', () => resolve());
    out.once('error', reject);
    out.end();
  });
  // after a failure, late writes and errors of the two streams are expected: the file goes anyway
  sink.on('error', () => undefined);
  const fail = async (e: unknown): Promise<never> => {
    sink.destroy();
    out.destroy();
    await new Promise((r) => setImmediate(r));
    await fsp.rm(partial, { force: true });
    throw e;
  };
  try {
    await opened;
    const r = await exec(pgCommand(source, 'exec pg_dump --no-password --format=custom --dbname="$1"'), { stdin: passwordThen(source), stdout: sink, signal: o.signal });
    await new Promise<void>((resolve) => sink.end(() => resolve()));
    await closeFile();
    if (cancelled(o.signal)) throw abortError();
    if (fileError) throw fileError;
    if (r.exitCode !== 0) throw new PgToolError(`pg_dump failed (exit ${r.exitCode}): ${tail(scrub(r.stderr, source)) || 'no error output'}`, r.exitCode, scrub(r.stderr, source));
    if (bytes === 0) throw new PgToolError('pg_dump wrote nothing.');
    try { verifyCustomArchive(partial); } catch (e) { throw new PgToolError(`The backup is incomplete and was not kept: ${(e as Error).message}.`); }
  } catch (e) { return fail(e); }
  const sha256 = hash.digest('hex');
  await fsp.rename(partial, file);
  await fsp.writeFile(`${file}.sha256`, `${sha256}  ${basename(file)}\n`, { mode: 0o600 });
  return { bytes, sha256 };
}

/** SHA-256 of a file, streamed. */
export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(file, { highWaterMark: 1 << 20 })) h.update(c as Buffer);
  return h.digest('hex');
}

export async function restoreFromFile(exec: PodExec, target: PgTarget, file: string, o: StreamOptions = {}): Promise<void> {
  await fsp.access(file);
  let sent = 0;
  const counter = new Transform({
    highWaterMark: 1 << 20,
    transform(chunk: Buffer, _enc, cb) { sent += chunk.length; o.onProgress?.(sent); cb(null, chunk); },
  });
  const src = createReadStream(file, { highWaterMark: 1 << 20 });
  src.on('error', (e) => counter.destroy(e));
  src.pipe(counter);
  const r = await exec(pgCommand(target, drainingStdin('pg_restore --no-password --no-owner --no-privileges --exit-on-error --dbname="$1"')), { stdin: passwordThen(target, counter), signal: o.signal });
  src.destroy();
  if (cancelled(o.signal)) throw abortError();
  if (r.exitCode !== 0) throw new PgToolError(`pg_restore failed (exit ${r.exitCode}): ${tail(scrub(r.stderr, target)) || 'no error output'}`, r.exitCode, scrub(r.stderr, target));
}
