#!/usr/bin/env node
// Writes l10n/bundle.l10n.json from the vscode.l10n.t calls of src/ and the t() calls of webview-ui/
// (run by scripts/build.mjs; `node scripts/l10n.mjs` by hand). Translations go next to it as
// bundle.l10n.<lang>.json; VS Code hands the one for the UI language to the extension as
// vscode.l10n.bundle, and the panels pass it on to their pages.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { l10nBundle } = require('./lib/l10n-strings.cjs');
const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'l10n/bundle.l10n.json');
const text = JSON.stringify(l10nBundle(root), null, 2) + '\n';
let old = '';
try {
  old = readFileSync(out, 'utf8');
} catch {}
if (old !== text) {
  mkdirSync(join(root, 'l10n'), { recursive: true });
  writeFileSync(out, text);
  console.log(`l10n: wrote ${Object.keys(JSON.parse(text)).length} messages to l10n/bundle.l10n.json`);
}
