#!/usr/bin/env node
// Moves every user-facing literal string of package.json into package.nls.json and leaves a
// `%key%` placeholder behind (VS Code substitutes it, and a package.nls.<lang>.json translates it).
// Run after adding commands, views, settings or walkthrough steps:   node scripts/nls.mjs
// --check: change nothing, exit 1 and list the literals still in package.json.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { manifestStrings, isPlaceholder } = require('./lib/manifest-strings.cjs');
const root = new URL('..', import.meta.url).pathname;
const pkgPath = join(root, 'package.json');
const nlsPath = join(root, 'package.nls.json');

const pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
let nls = {};
try {
  nls = JSON.parse(readFileSync(nlsPath, 'utf8'));
} catch (e) {
  if (e.code !== 'ENOENT') throw e;
}

const literals = manifestStrings(pkg).filter((s) => !isPlaceholder(s.get()));
if (process.argv.includes('--check')) {
  for (const s of literals) console.log(`literal: ${s.key}: ${JSON.stringify(s.get()).slice(0, 80)}`);
  process.exit(literals.length ? 1 : 0);
}
for (const s of literals) {
  const text = s.get();
  // Two slots of one key (a shared category) must hold the same text; a changed literal wins.
  nls[s.key] = text;
  s.set(`%${s.key}%`);
}
const sorted = Object.fromEntries(Object.entries(nls).sort(([a], [b]) => a.localeCompare(b)));
writeFileSync(nlsPath, JSON.stringify(sorted, null, 2) + '\n');
writeFileSync(pkgPath, JSON.stringify(pkg, null, 2) + '\n');
console.log(`nls: moved ${literals.length} string(s) into package.nls.json (${Object.keys(sorted).length} keys)`);
