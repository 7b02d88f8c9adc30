// The packaged extension and whether it is older than what it is built from.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './tools.mjs';

export function vsixPath() {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  return join(root, `homelab-${version}.vsix`);
}

// Everything the .vsix is built from (see .vscodeignore and scripts/build.mjs).
const INPUTS = ['src', 'webview-ui', 'resources', 'package.json', 'package.nls.json', 'package-lock.json', 'README.md', 'LICENSE', 'docs/images', '.vscodeignore', 'scripts/build.mjs', 'scripts/package.mjs'];

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return readdirSync(path).reduce((max, name) => Math.max(max, newestMtime(join(path, name))), st.mtimeMs);
}

/** The .vsix exists and no input changed after it was written. */
export function vsixIsFresh(vsix = vsixPath()) {
  if (!existsSync(vsix)) return false;
  const built = statSync(vsix).mtimeMs;
  return INPUTS.every((p) => newestMtime(join(root, p)) <= built);
}
