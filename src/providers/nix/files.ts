// The flake's files: the bundled copy (resources/nix/), the user's ejected copy (homelab/nix/ in
// the workspace, which wins once it exists), and the staging directory a build reads.
import { refuseInRestrictedMode } from '../workspace-trust';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { NixError } from './errors';
import { renderParamsNix, type NixParams } from './params';

/** Files/IO the module needs: vscode.workspace.fs in the extension, node:fs in tests. */
export interface NixFileStore {
  read(path: string): Promise<Uint8Array>;
  /** Creates parent directories as needed. */
  write(path: string, data: Uint8Array): Promise<void>;
  exists(path: string): Promise<boolean>;
}

export const NIX_FILES = ['flake.nix', 'homelab-params.nix', 'installer.nix', 'template.nix', 'kubernetes.nix', 'k3s.nix', 'k3s-flags.nix', 'auto-install.sh'] as const;
export const PARAMS_FILE = 'homelab-params.nix';
/** Where the ejected copy lives, relative to the workspace folder. */
export const EJECT_DIR = path.join('homelab', 'nix');

export function nodeFileStore(): NixFileStore {
  return {
    read: (p) => fsp.readFile(p),
    write: async (p, data) => {
      await fsp.mkdir(path.dirname(p), { recursive: true });
      await fsp.writeFile(p, data);
    },
    exists: (p) => fsp.access(p).then(() => true, () => false),
  };
}

export interface EjectOptions {
  bundledDir: string;
  /** Usually <workspace>/homelab/nix. */
  targetDir: string;
  /** Rendered into the ejected homelab-params.nix, so the copy starts from the current settings. */
  params: NixParams;
  /** Replace files that already exist there. Without it, existing files are a conflict (never overwritten). */
  overwrite?: boolean;
}

export async function eject(store: NixFileStore, o: EjectOptions): Promise<{ written: string[] }> {
  const existing: string[] = [];
  for (const f of NIX_FILES) if (await store.exists(path.join(o.targetDir, f))) existing.push(f);
  if (existing.length && !o.overwrite) {
    throw new NixError('eject-conflict', `${o.targetDir} already holds ${existing.join(', ')}: these are your files and were left untouched. Delete them first or confirm replacing them.`, { existing });
  }
  const paramsText = renderParamsNix(o.params); // validate before writing anything
  const written: string[] = [];
  for (const f of NIX_FILES) {
    const data = f === PARAMS_FILE ? Buffer.from(paramsText) : await store.read(path.join(o.bundledDir, f));
    const to = path.join(o.targetDir, f);
    await store.write(to, data);
    written.push(to);
  }
  return { written };
}

export interface FlakeSource {
  dir: string;
  /** True for the user's copy: used as written, homelab-params.nix included. */
  ejected: boolean;
}

/** The workspace copy wins from the moment its flake.nix exists. */
export async function resolveFlakeSource(store: NixFileStore, o: { bundledDir: string; workspaceDir?: string; trusted?: boolean }): Promise<FlakeSource> {
  if (o.workspaceDir) {
    const dir = path.join(o.workspaceDir, EJECT_DIR);
    if (await store.exists(path.join(dir, 'flake.nix'))) {
      // The workspace's own flake is code from the workspace: only in a trusted one.
      refuseInRestrictedMode('build-ejected-flake', o.trusted !== false);
      return { dir, ejected: true };
    }
  }
  return { dir: o.bundledDir, ejected: false };
}

/** Copies the flake into `stagingDir` for a build; the bundled copy gets homelab-params.nix from
 *  the settings, an ejected copy is taken as it is (its params file is the user's). Returns the
 *  staged file paths (what checkNixSyntax should look at). A file the ejected copy lacks is an error. */
export async function stageFlake(store: NixFileStore, source: FlakeSource, params: NixParams, stagingDir: string): Promise<string[]> {
  const out: string[] = [];
  const paramsText = source.ejected ? undefined : renderParamsNix(params);
  for (const f of NIX_FILES) {
    const from = path.join(source.dir, f);
    let data: Uint8Array;
    if (f === PARAMS_FILE && paramsText !== undefined) data = Buffer.from(paramsText);
    else if (!(await store.exists(from))) {
      throw new NixError('syntax', `${from} is missing: the flake imports it. Restore it (eject again into an empty folder to get a fresh copy).`, { file: from });
    } else data = await store.read(from);
    const to = path.join(stagingDir, f);
    await store.write(to, data);
    out.push(to);
  }
  return out;
}
