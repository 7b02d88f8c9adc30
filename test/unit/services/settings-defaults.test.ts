import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// settings.ts imports vscode at module level; read its defaults table as source instead of loading it.
const root = join(__dirname, '../../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const source = readFileSync(join(root, 'src/services/settings.ts'), 'utf8');

function declared(): Map<string, unknown> {
  const props = new Map<string, unknown>();
  const sections = Array.isArray(pkg.contributes.configuration) ? pkg.contributes.configuration : [pkg.contributes.configuration];
  for (const s of sections) for (const [k, v] of Object.entries<any>(s.properties)) props.set(k.replace(/^homelab\./, ''), v.default);
  return props;
}

function typed(): Map<string, unknown> {
  const body = source.slice(source.indexOf('SETTING_DEFAULTS = {'), source.indexOf('};', source.indexOf('SETTING_DEFAULTS = {')));
  const out = new Map<string, unknown>();
  for (const m of body.matchAll(/^\s*'([\w.]+)':\s*(.+?)(?:\s+as\s+[\w[\]]+)?,\s*$/gm)) out.set(m[1], JSON.parse(m[2].replace(/'/g, '"')));
  return out;
}

describe('typed settings', () => {
  it('lists every homelab.* key of package.json with the same default, and no other key', () => {
    const a = declared();
    const b = typed();
    assert.ok(a.size > 10, 'package.json declares settings');
    assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
    for (const [k, v] of a) assert.deepEqual(b.get(k), v, `default of homelab.${k}`);
  });

  it('no module outside src/services/settings.ts reads homelab.* through getConfiguration', () => {
    const { readdirSync, statSync } = require('node:fs') as typeof import('node:fs');
    const walk = (dir: string): string[] => readdirSync(dir).flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
    });
    const offenders = walk(join(root, 'src'))
      .filter((f) => /getConfiguration\(\s*['"`]homelab/.test(readFileSync(f, 'utf8')))
      .map((f) => f.slice(root.length + 1));
    assert.deepEqual(offenders, []);
    assert.match(source, /getConfiguration\(SECTION/, 'settings.ts itself reads the section');
  });
});
