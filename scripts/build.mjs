// Builds the extension (dist/extension.js), the webview front-end (dist/webview/) and, with --tests,
// the extension-host test suites (out/exthost/). --production minifies for packaging.
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const production = process.argv.includes('--production');
const withTests = process.argv.includes('--tests');

function files(dir, suffix) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path, suffix) : path.endsWith(suffix) ? [path] : [];
  });
}

const nodeCommon = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // ssh2's optional native helpers are not built: it falls back to pure JS.
  external: ['vscode', 'cpu-features', '*.node'],
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  metafile: true,
};

/**
 * Heavy areas are bundles of their own, loaded by the extension on first use: the extension bundle
 * refers to them as external `./<name>.js` next to it instead of inlining them.
 */
const lazyBundles = { kubernetes: 'src/providers/kubernetes/index.ts' };
const lazy = {
  name: 'lazy-bundles',
  setup(build) {
    build.onResolve({ filter: /providers\/kubernetes$/ }, () => ({ path: './kubernetes.js', external: true }));
  },
};

/**
 * Large libraries the first view render does not need (undici: Proxmox HTTPS, ssh2: shells and
 * deploys, markdown-it: the panels) are bundles of their own under dist/vendor/. In the extension
 * bundle each is replaced by a stub with the library's export names whose getters (or, for a
 * function export, whose call) require the real bundle on first use: the source keeps its plain
 * `import { Agent } from 'undici'`, and activation does not pay for parsing them.
 */
const lazyVendors = ['undici', 'ssh2', 'markdown-it'];
const requireFromRoot = createRequire(join(root, 'package.json'));
function vendorStub(name) {
  const real = requireFromRoot(name);
  const load = `let real; const load = () => (real ??= require('./vendor/${name}.js'));`;
  const getters = Object.getOwnPropertyNames(real)
    .filter((k) => !(typeof real === 'function' && ['length', 'name', 'prototype', 'arguments', 'caller'].includes(k)))
    .map((k) => `Object.defineProperty(stub, ${JSON.stringify(k)}, { enumerable: true, get: () => load()[${JSON.stringify(k)}] });`);
  const stub = typeof real === 'function'
    ? 'function stub(...args) { return new.target ? Reflect.construct(load(), args) : load().apply(this, args); }'
    : 'const stub = {};';
  return `${load}\n${stub}\n${getters.join('\n')}\nmodule.exports = stub;`;
}
const lazyVendor = {
  name: 'lazy-vendors',
  setup(build) {
    const filter = new RegExp(`^(${lazyVendors.join('|')})$`);
    build.onResolve({ filter }, (a) => ({ path: a.path, namespace: 'lazy-vendor' }));
    build.onResolve({ filter: /^\.\/vendor\// }, (a) => ({ path: a.path, external: true }));
    build.onLoad({ filter: /.*/, namespace: 'lazy-vendor' }, (a) => ({ contents: vendorStub(a.path), loader: 'js', resolveDir: root }));
  },
};

// l10n/bundle.l10n.json: the messages of vscode.l10n.t (src/) and of the pages' t() (webview-ui/).
execFileSync(process.execPath, [join(root, 'scripts/l10n.mjs')], { stdio: 'inherit' });

rmSync(join(root, 'dist'), { recursive: true, force: true });
const builds = [
  esbuild.build({ ...nodeCommon, entryPoints: { extension: join(root, 'src/extension.ts') }, outdir: join(root, 'dist'), plugins: [lazy, lazyVendor] }),
  ...lazyVendors.map((name) => esbuild.build({ ...nodeCommon, stdin: { contents: `module.exports = require(${JSON.stringify(name)});`, resolveDir: root, sourcefile: `vendor-${name}.js` }, outfile: join(root, `dist/vendor/${name}.js`) })),
  ...Object.entries(lazyBundles).map(([name, entry]) => esbuild.build({ ...nodeCommon, entryPoints: { [name]: join(root, entry) }, outdir: join(root, 'dist') })),
  // The tracker parser's worker thread (large files are parsed off the extension host's main thread).
  esbuild.build({ ...nodeCommon, entryPoints: { 'tracker-worker': join(root, 'src/providers/markdown/parse-worker.ts') }, outdir: join(root, 'dist') }),
  // The built-in Proxmox simulator behind "Open the demo lab": its own bundle, loaded on demand.
  esbuild.build({ ...nodeCommon, entryPoints: { simulator: join(root, 'test/proxmox-sim/index.ts') }, outdir: join(root, 'dist') }),
];

const webviewEntries = files(join(root, 'webview-ui'), '.main.ts');
if (webviewEntries.length) {
  builds.push(
    esbuild.build({
      entryPoints: webviewEntries,
      outdir: join(root, 'dist/webview'),
      bundle: true,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      minify: production,
      sourcemap: !production,
      logLevel: 'warning',
    }),
  );
}

if (withTests) {
  rmSync(join(root, 'out/exthost'), { recursive: true, force: true });
  builds.push(
    esbuild.build({
      ...nodeCommon,
      entryPoints: files(join(root, 'test/exthost'), '.ts'),
      outdir: join(root, 'out/exthost'),
      outbase: join(root, 'test/exthost'),
      external: [...nodeCommon.external, 'mocha'],
      sourcemap: true,
      minify: false,
    }),
  );
}

const results = await Promise.all(builds);
// Codicons are loaded by the webviews from the extension's own files (no CDN: CSP and offline).
const codicons = join(root, 'node_modules/@vscode/codicons/dist');
mkdirSync(join(root, 'dist/webview/codicons'), { recursive: true });
for (const f of ['codicon.css', 'codicon.ttf']) cpSync(join(codicons, f), join(root, 'dist/webview/codicons', f));
// Panel stylesheets sit next to their entry points (webview-ui/*.css).
for (const f of files(join(root, 'webview-ui'), '.css')) cpSync(f, join(root, 'dist/webview', f.split('/').pop()));
const bytes = Object.values(results[0].metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(`build: dist/extension.js ${(bytes / 1024).toFixed(0)} KiB${production ? ' (production)' : ''}`);
