// Names that come from the lab or the user and end up as file names: one check for all of them.
// A VM tag `homelab-cluster-..` must not name the folder above homelab/clusters/, an ISO name from
// a server must not carry a path, and so on. The rule is the same everywhere: a name is a single
// path segment of a known shape, checked where it enters, and a path built from it is resolved and
// must stay inside its folder (`joinInside`), so a check missed somewhere still cannot escape.
import * as path from 'node:path';

export type NameKind = 'cluster' | 'iso' | 'entry' | 'backup';

export class UnsafeNameError extends Error {
  constructor(readonly kind: NameKind | 'path', readonly value: string, why: string) {
    super(why);
    this.name = 'UnsafeNameError';
  }
}

const SHAPES: Record<NameKind, { re: RegExp; max: number; expect: string }> = {
  // Becomes host names (<name>-worker-NN), a Proxmox tag and homelab/clusters/<name>/.
  cluster: { re: /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, max: 50, expect: 'lowercase letters, digits and "-" (not at either end), at most 50 characters' },
  // Also a curl -F value on the build host, so never ";", '"', "," or a backslash.
  iso: { re: /^[A-Za-z0-9][A-Za-z0-9 ._+=()-]*\.(?:iso|img)$/i, max: 200, expect: 'letters, digits, spaces and ._+=()-; the name must end in .iso or .img' },
  entry: { re: /^[A-Za-z0-9][A-Za-z0-9._ -]*\.(?:md|markdown)$/, max: 200, expect: 'letters, digits, spaces, ".", "_" and "-", ending in .md' },
  backup: { re: /^[A-Za-z0-9][A-Za-z0-9._-]*$/, max: 200, expect: 'letters, digits, ".", "_" and "-"' },
};

const LABEL: Record<NameKind, string> = { cluster: 'cluster name', iso: 'ISO file name', entry: 'journal entry name', backup: 'backup file name' };

/** Why `name` is not a safe name of this kind (a sentence for the user), or undefined. */
export function checkName(kind: NameKind, name: string): string | undefined {
  const shape = SHAPES[kind];
  const shown = JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name);
  if (name === '') return `The ${LABEL[kind]} is empty.`;
  if (name === '.' || name === '..' || /[/\\\0]/.test(name)) return `The ${LABEL[kind]} ${shown} is not a single file name (it holds a path).`;
  if (name.length > shape.max) return `The ${LABEL[kind]} ${shown} is too long: at most ${shape.max} characters.`;
  if (name.includes('..') || !shape.re.test(name)) return `The ${LABEL[kind]} ${shown} is not allowed: use ${shape.expect}.`;
  return undefined;
}

export function isSafeName(kind: NameKind, name: string): boolean {
  return checkName(kind, name) === undefined;
}

/** Returns `name` when it is safe, else throws UnsafeNameError. */
export function assertName(kind: NameKind, name: string): string {
  const why = checkName(kind, name);
  if (why) throw new UnsafeNameError(kind, name, why);
  return name;
}

/**
 * `folder` joined with `segments`, resolved, and required to be strictly inside `folder`.
 * `posix` for URI paths (vscode.Uri#path), the platform's path module for file system paths.
 */
export function joinInside(folder: string, segments: string[], p: path.PlatformPath = path): string {
  const base = p.resolve(folder);
  const full = p.resolve(base, ...segments);
  const rel = p.relative(base, full);
  if (rel === '' || rel === '..' || rel.startsWith(`..${p.sep}`) || p.isAbsolute(rel)) {
    throw new UnsafeNameError('path', segments.join(p.sep), `${JSON.stringify(segments.join(p.sep))} would leave the folder ${base}; refusing to use it.`);
  }
  return full;
}
