// Safe writes through a FileStore (vscode.workspace.fs in the extension, node:fs in tests):
// temp sibling + rename, and optimistic concurrency so an outside edit is never overwritten.
import { promises as fsp } from 'node:fs';
import { randomBytes } from 'node:crypto';
import * as pathLib from 'node:path';
import { sha256, toBuffer } from './lines';
import {
  ConflictError, FileTooLargeError, ReadOnlyFileError, StaleEditError, UnparseableRegionError,
} from './errors';
import type { Edit } from './edit';
import { serializePerFile } from './file-queue';

export interface FileStat {
  mtime: number;
  size: number;
  /** True when the file may not be written (vscode FileStat.permissions Readonly, or no write bit). */
  readonly?: boolean;
}

export interface FileStore {
  read(path: string): Promise<Uint8Array>;
  write(path: string, data: Uint8Array): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  stat(path: string): Promise<FileStat>;
  delete(path: string): Promise<void>;
}

/** What the panel last read: an edit is made against this version. */
export interface FileVersion {
  mtime: number;
  size: number;
  sha256: string;
}

export const MAX_EDIT_BYTES = 10 * 1024 * 1024;

export type EditOutcome = 'applied' | 'reapplied' | 'unchanged';

export interface EditFileResult {
  outcome: EditOutcome;
  bytes: Buffer;
  version: FileVersion;
}

export function versionOf(bytes: Uint8Array, stat: { mtime: number }): FileVersion {
  return { mtime: stat.mtime, size: bytes.byteLength, sha256: sha256(bytes) };
}

/** Reads a file with its version; `maxBytes` caps what is read (for display), the rest is not loaded. */
export async function readVersioned(store: FileStore, path: string, opts: { maxBytes?: number } = {}): Promise<{ bytes: Buffer; version: FileVersion; truncated: boolean }> {
  const st = await store.stat(path);
  if (opts.maxBytes !== undefined && st.size > opts.maxBytes) {
    const all = toBuffer(await store.read(path));
    return { bytes: all.subarray(0, opts.maxBytes), version: versionOf(all, st), truncated: true };
  }
  const bytes = toBuffer(await store.read(path));
  return { bytes, version: versionOf(bytes, st), truncated: false };
}

function tempSibling(path: string): string {
  const dir = pathLib.posix.dirname(path.replace(/\\/g, '/'));
  const base = pathLib.posix.basename(path.replace(/\\/g, '/'));
  const sep = path.includes('\\') && !path.includes('/') ? '\\' : '/';
  return `${dir}${sep}.${base}.${randomBytes(6).toString('hex')}.homelab-tmp`;
}

function isPermissionError(e: unknown): boolean {
  const code = (e as { code?: string } | null)?.code;
  return code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'NoPermissions';
}

/** Writes a temp sibling then renames it over `path`; the temp file is removed on failure. */
export function writeAtomic(store: FileStore, path: string, bytes: Uint8Array): Promise<void> {
  return serializePerFile(path, async () => { await replaceFile(store, path, bytes); });
}

/**
 * The unqueued write (callers hold the file's queue). With `expect`, the file must still have that
 * mtime and size after the temp file is written, i.e. right before the rename: an outside edit made
 * while the temp file was written is then re-read instead of replaced. (rename(2) itself has no
 * compare-and-swap, so the check narrows the window to that one call.)
 */
async function replaceFile(store: FileStore, path: string, bytes: Uint8Array, expect?: { mtime: number; size: number }): Promise<boolean> {
  let existing: FileStat | undefined;
  try { existing = await store.stat(path); } catch { existing = undefined; }
  // rename() would silently replace a read-only file, so refuse here.
  if (existing?.readonly) throw new ReadOnlyFileError(path);
  if (expect && (!existing || existing.mtime !== expect.mtime || existing.size !== expect.size)) return false;
  const tmp = tempSibling(path);
  try {
    await store.write(tmp, bytes);
    if (expect) {
      const now = await store.stat(path).catch(() => undefined);
      if (!now || now.mtime !== expect.mtime || now.size !== expect.size) {
        await store.delete(tmp).catch(() => undefined);
        return false;
      }
    }
    await store.rename(tmp, path);
  } catch (e) {
    await store.delete(tmp).catch(() => undefined);
    if (isPermissionError(e)) throw new ReadOnlyFileError(path, e);
    throw e;
  }
  return true;
}

/**
 * Applies `edit` to the file if it is still at `expected`. If the bytes changed outside, the edit is
 * re-applied to the new bytes when its locator still validates ('reapplied'); otherwise ConflictError.
 * Nothing is written when the edit changes nothing.
 */
export function editFile(store: FileStore, path: string, expected: FileVersion, edit: Edit): Promise<EditFileResult> {
  // Queued per file: a second edit starts from the bytes the first one wrote.
  return serializePerFile(path, () => editNow(store, path, expected, edit));
}

async function editNow(store: FileStore, path: string, expected: FileVersion, edit: Edit): Promise<EditFileResult> {
  for (let attempt = 0; attempt < 3; attempt++) {
    let st: FileStat;
    try {
      st = await store.stat(path);
    } catch (e) {
      // Deleted or moved since the panel read it: an outside change; never recreate it from memory.
      throw new ConflictError(path, e);
    }
    if (st.size > MAX_EDIT_BYTES) throw new FileTooLargeError(path, st.size, MAX_EDIT_BYTES);
    if (st.readonly) throw new ReadOnlyFileError(path);
    const current = toBuffer(await store.read(path));
    if (current.byteLength > MAX_EDIT_BYTES) throw new FileTooLargeError(path, current.byteLength, MAX_EDIT_BYTES);
    const changed = current.byteLength !== expected.size || sha256(current) !== expected.sha256;
    let next: Uint8Array;
    try {
      next = edit(current);
    } catch (e) {
      if (changed && (e instanceof StaleEditError || e instanceof UnparseableRegionError)) throw new ConflictError(path, e);
      throw e;
    }
    const out = toBuffer(next);
    if (out.equals(current)) return { outcome: 'unchanged', bytes: current, version: versionOf(current, st) };
    // If the file moved on while we edited (checked again right before the rename), start over from its new bytes.
    if (!(await replaceFile(store, path, out, st))) continue;
    const after = await store.stat(path);
    return { outcome: changed ? 'reapplied' : 'applied', bytes: out, version: versionOf(out, after) };
  }
  throw new ConflictError(path);
}

/** FileStore over node:fs, for tests, benches and agent tools. */
export function nodeFileStore(): FileStore {
  return {
    read: async (p) => fsp.readFile(p),
    write: async (p, data) => fsp.writeFile(p, data, { flag: 'wx' }),
    rename: async (a, b) => {
      // Keep the replaced file's permissions (a fresh temp file would get the umask default).
      const mode = await fsp.stat(b).then((s) => s.mode & 0o7777, () => undefined);
      if (mode !== undefined) await fsp.chmod(a, mode);
      await fsp.rename(a, b);
    },
    stat: async (p) => {
      const s = await fsp.stat(p);
      // Mode bits, not access(): root may write anything, but a 0444 file is still meant read-only.
      return { mtime: s.mtimeMs, size: s.size, readonly: (s.mode & 0o222) === 0 };
    },
    delete: async (p) => fsp.unlink(p),
  };
}

