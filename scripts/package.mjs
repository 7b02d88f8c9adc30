// `npm run package`: production bundles, then homelab-<version>.vsix holding only what runs.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './lib/tools.mjs';

const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const out = join(root, `homelab-${version}.vsix`);
execFileSync(process.execPath, [join(root, 'scripts/build.mjs'), '--production'], { cwd: root, stdio: 'inherit' });
execFileSync(process.execPath, [join(root, 'node_modules/@vscode/vsce/vsce'), 'package', '--no-dependencies', '--skip-license', '--allow-missing-repository', '--no-rewrite-relative-links', '--out', out], {
  cwd: root,
  stdio: ['ignore', 'inherit', 'inherit'],
});
const bytes = statSync(out).size;
const limit = 5 * 1024 * 1024;
console.log(`package: ${out} ${(bytes / 1024).toFixed(0)} KiB`);
if (bytes > limit) {
  console.error(`package: the .vsix is ${bytes} bytes, over the 5 MB limit`);
  process.exit(1);
}
