// The one file store of the extension: every file Homelab writes in the workspace (journal,
// tracker, activity log, ejected NixOS files, the pipeline state) goes through vscode.workspace.fs
// via this class, and replaces files atomically (temp sibling + rename that never deletes the
// target first). Paths are URI strings: the providers only join them with a sibling name for the
// temp file, which keeps them valid URIs. `nixFileStore` and `pipelineStateStore` adapt it to the
// Nix providers, which name files by local path.
import * as vscode from 'vscode';
import { promises as fsp } from 'node:fs';
import * as pathLib from 'node:path';
import { writeAtomic, type FileStat, type FileStore } from '../providers/markdown';
import type { NixFileStore, PipelineStore } from '../providers/nix';

export function uriOf(path: string): vscode.Uri {
  return vscode.Uri.parse(path, true);
}

export function keyOf(uri: vscode.Uri): string {
  return uri.toString();
}

export class WorkspaceFileStore implements FileStore {
  async read(path: string): Promise<Uint8Array> {
    // vscode.FileSystemError carries `code` ('NoPermissions', ...) which writeAtomic understands.
    return vscode.workspace.fs.readFile(uriOf(path));
  }

  async write(path: string, data: Uint8Array): Promise<void> {
    await vscode.workspace.fs.writeFile(uriOf(path), data);
  }

  async rename(from: string, to: string): Promise<void> {
    const a = uriOf(from);
    const b = uriOf(to);
    if (a.scheme === 'file' && b.scheme === 'file') {
      // workspace.fs.rename({ overwrite: true }) DELETES the target and then renames (VS Code 1.139
      // FileService.doMoveCopy): the file is missing for a moment, and lost under the temp name if
      // the host dies in between. file: URIs live where this extension host runs, so use rename(2),
      // which replaces the target atomically; keep the replaced file's permission bits.
      const mode = await fsp.stat(b.fsPath).then((st) => st.mode & 0o7777, () => undefined);
      if (mode !== undefined) await fsp.chmod(a.fsPath, mode);
      await fsp.rename(a.fsPath, b.fsPath);
      return;
    }
    await vscode.workspace.fs.rename(a, b, { overwrite: true });
  }

  async stat(path: string): Promise<FileStat> {
    const uri = uriOf(path);
    const s = await vscode.workspace.fs.stat(uri);
    let readonly = ((s.permissions ?? 0) & vscode.FilePermission.Readonly) !== 0;
    // VS Code reports a file without its owner write bit as "locked", which the API does not expose
    // (measured on 1.139: permissions is undefined for a 0444 file), and rename() would silently
    // replace it. file: URIs live where this extension host runs, so read the mode bits here.
    if (!readonly && uri.scheme === 'file') readonly = await fsp.stat(uri.fsPath).then((st) => (st.mode & 0o200) === 0, () => false);
    return { mtime: s.mtime, size: s.size, readonly };
  }

  async delete(path: string): Promise<void> {
    await vscode.workspace.fs.delete(uriOf(path), { useTrash: false });
  }

  async exists(path: string): Promise<boolean> {
    return vscode.workspace.fs.stat(uriOf(path)).then(() => true, () => false);
  }

  /** Creates a folder and its parents (no error when it exists). */
  async mkdir(path: string): Promise<void> {
    await vscode.workspace.fs.createDirectory(uriOf(path));
  }

  /** Writes `data` to `path` atomically (temp sibling, then rename over it); creates the parent folder. */
  async replace(path: string, data: Uint8Array): Promise<void> {
    await this.mkdir(keyOf(vscode.Uri.joinPath(uriOf(path), '..')));
    await writeAtomic(this, path, data);
  }
}

const fileKey = (p: string) => keyOf(vscode.Uri.file(p));

/** The store for the Nix providers (local paths); writes are atomic and make parent folders. */
export function nixFileStore(store = new WorkspaceFileStore()): NixFileStore {
  return {
    read: (p) => store.read(fileKey(p)),
    write: (p, data) => store.replace(fileKey(p), data),
    exists: (p) => store.exists(fileKey(p)),
  };
}

/** The pipeline state file (a local path in the workspace) over the same store. */
export async function pipelineStateStore(file: string, store = new WorkspaceFileStore()): Promise<PipelineStore> {
  const { jsonFileStore } = await import('../providers/nix');
  return jsonFileStore(file, {
    readFile: (p) => store.read(fileKey(p)),
    writeFile: (p, d) => store.write(fileKey(p), Buffer.from(d)),
    // The safe rename above: never workspace.fs.rename({ overwrite }), which deletes the target first.
    rename: (a, b) => store.rename(fileKey(a), fileKey(b)),
    mkdir: (p) => store.mkdir(fileKey(pathLib.resolve(p))),
  });
}

/** A provider error message names files by URI string; show them as workspace-relative paths. */
export function friendlyMessage(message: string, keys: Iterable<string>): string {
  let out = message;
  for (const k of keys) if (out.includes(k)) out = out.split(k).join(vscode.workspace.asRelativePath(uriOf(k), false));
  return out;
}
