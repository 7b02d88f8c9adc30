// Issue 12 item 10: every package the shipped code loads is declared in "dependencies", and every
// declared runtime dependency is loaded somewhere (an unused one is only weight and attack surface).
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : /\.(ts|js|mjs)$/.test(n) ? [p] : [];
  });
}

/** Package names the code imports or requires (bare specifiers, without subpaths). */
function used(dirs: string[]): Map<string, string> {
  const out = new Map<string, string>();
  // Statements only: `import … from 'x'` / `export … from 'x'` (also over several lines), `import 'x'`,
  // `require('x')`, `import('x')`; a message such as `… from "{2}"` is not an import.
  const re = /^\s*(?:import|export)\s[^;'"]*?\bfrom\s+['"]([^'"./][^'"]*)['"]|^\s*import\s+['"]([^'"./][^'"]*)['"]|\brequire\(\s*['"]([^'"./][^'"]*)['"]|\bimport\(\s*['"]([^'"./][^'"]*)['"]/gm;
  for (const f of dirs.flatMap((d) => files(join(root, d)))) {
    for (const m of readFileSync(f, 'utf8').matchAll(re)) {
      const spec = m[1] ?? m[2] ?? m[3] ?? m[4];
      if (spec.startsWith('node:') || builtinModules.includes(spec) || spec === 'vscode') continue;
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      if (!out.has(name)) out.set(name, f.slice(root.length + 1));
    }
  }
  return out;
}

describe('dependencies declared and used', () => {
  it('every package src/ and webview-ui/ load is in "dependencies"', () => {
    const missing = [...used(['src', 'webview-ui'])].filter(([name]) => !(name in pkg.dependencies)).map(([n, f]) => `${n} (${f})`);
    assert.deepEqual(missing, []);
  });

  it('every runtime dependency is loaded by src/ or webview-ui/', () => {
    const u = used(['src', 'webview-ui']);
    // Loaded by name from the stylesheet/asset copy in scripts/build.mjs, not imported.
    const assets = readFileSync(join(root, 'scripts/build.mjs'), 'utf8');
    const unused = Object.keys(pkg.dependencies).filter((d) => !u.has(d) && !assets.includes(`node_modules/${d}`) && !assets.includes(`'${d}'`));
    assert.deepEqual(unused, []);
  });
});
