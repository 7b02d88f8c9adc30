import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const { manifestStrings, isPlaceholder } = require('../../../scripts/lib/manifest-strings.cjs') as {
  manifestStrings(pkg: unknown): Array<{ key: string; get(): string }>;
  isPlaceholder(v: string): boolean;
};

const root = join(__dirname, '../../..');
const read = (f: string): any => JSON.parse(readFileSync(join(root, f), 'utf8'));

describe('manifest strings (package.json -> package.nls.json)', () => {
  const pkg = read('package.json');
  const nls: Record<string, string> = read('package.nls.json');
  const slots = manifestStrings(pkg);

  it('finds the user-facing strings (titles, categories, views, settings, walkthrough)', () => {
    const keys = slots.map((s) => s.key);
    for (const k of ['displayName', 'category.homelab', 'command.proxmox.addCluster.title', 'view.proxmox.name', 'config.title']) {
      assert.ok(keys.includes(k), `no slot ${k}: the scan is broken`);
    }
    assert.ok(keys.some((k) => k.startsWith('walkthrough.') && k.endsWith('.description')));
    assert.ok(keys.some((k) => /^config\..+\.(markdownD|d)escription$/.test(k)));
  });

  it('leaves no user-facing literal in package.json (run `node scripts/nls.mjs`)', () => {
    const literals = slots.filter((s) => !isPlaceholder(s.get())).map((s) => `${s.key}: ${JSON.stringify(s.get()).slice(0, 60)}`);
    assert.deepEqual(literals, []);
  });

  it('has a package.nls.json text for every placeholder anywhere in package.json', () => {
    const missing: string[] = [];
    JSON.stringify(pkg, (_k, v) => {
      if (typeof v === 'string' && isPlaceholder(v) && typeof nls[v.slice(1, -1)] !== 'string') missing.push(v);
      return v;
    });
    assert.deepEqual(missing, []);
  });

  it('keeps no package.nls.json key that nothing uses, and no empty text', () => {
    const used = new Set(slots.map((s) => s.get()).filter(isPlaceholder).map((v) => v.slice(1, -1)));
    assert.deepEqual(Object.keys(nls).filter((k) => !used.has(k)), []);
    assert.deepEqual(Object.entries(nls).filter(([, v]) => typeof v !== 'string' || !v.trim()).map(([k]) => k), []);
  });

  it('puts every command under the Homelab category', () => {
    const bad = pkg.contributes.commands.filter((c: { category?: string }) => c.category !== '%category.homelab%').map((c: { command: string }) => c.command);
    assert.deepEqual(bad, []);
    assert.equal(nls['category.homelab'], 'Homelab');
  });
});
