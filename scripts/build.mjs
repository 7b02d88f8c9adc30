// Builds the extension (dist/extension.js), the webview front-end (dist/webview/) and, with --tests,
// the extension-host test suites (out/exthost/). --production minifies for packaging.
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';

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
 * @kubernetes/client-node is most of dist/kubernetes.js, and the first render of the Kubernetes view
 * (reading the kubeconfig, listing its contexts) does not need it: it is dist/vendor/client-node.js,
 * required by src/providers/kubernetes/lib.ts on first use (a client, an informer).
 */
const clientNodeApart = {
  name: 'client-node-apart',
  setup(build) {
    build.onResolve({ filter: /^@kubernetes\/client-node$/ }, () => ({ path: './vendor/client-node.js', external: true }));
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

/**
 * `import * as vscode from 'vscode'` in each of ~30 modules would make esbuild copy every property
 * of VS Code's API object into a fresh namespace object per module (__toESM of an external CommonJS
 * module): some 400 getters each, tens of ms of activation on a loaded machine. Every import of
 * 'vscode' goes through one ES module instead, which copies them once.
 */
const vscodeOnce = {
  name: 'vscode-once',
  setup(build) {
    build.onResolve({ filter: /^vscode$/ }, (a) => (a.namespace === 'vscode-once' ? { path: 'vscode', external: true } : { path: 'vscode', namespace: 'vscode-once' }));
    build.onLoad({ filter: /.*/, namespace: 'vscode-once' }, () => ({ contents: 'export * from "vscode";', loader: 'js' }));
  },
};

/**
 * dist/lazy.js (entry src/lazy.ts): the command modules and webview panel hosts, which the extension
 * `require`s on first use (src/extension.ts imports './lazy', made external here). A module the
 * extension bundle already holds is not copied into dist/lazy.js: there it becomes a stub that takes
 * the module's namespace from dist/extension.js (exported as `__homelabShared`), so every class and
 * every piece of module state exists once (`instanceof CancelledError` holds across both bundles).
 */
const lazyEntry = {
  name: 'lazy-entry',
  setup(build) {
    build.onResolve({ filter: /^\.\/lazy$/ }, (a) => (a.importer.endsWith(join('src', 'extension.ts')) ? { path: './lazy.js', external: true } : undefined));
  },
};
const SHARED = '__homelabShared';
function sharedFrom(mainInputs, used) {
  return {
    name: 'shared-from-extension',
    setup(build) {
      build.onResolve({ filter: /^\.\/extension\.js$/, namespace: 'shared' }, (a) => ({ path: a.path, external: true }));
      build.onResolve({ filter: /^\./ }, async (a) => {
        if (a.pluginData?.shared === false || a.kind === 'entry-point') return undefined;
        const r = await build.resolve(a.path, { resolveDir: a.resolveDir, kind: a.kind, importer: a.importer, pluginData: { shared: false } });
        if (r.errors.length || r.external) return undefined;
        const rel = relative(root, r.path);
        // Only the project's own (ESM) modules: a package's internal requires stay as they are.
        if (!rel.startsWith('src/') || !mainInputs.has(rel)) return undefined;
        used.add(rel);
        return { path: rel, namespace: 'shared' };
      });
      build.onLoad({ filter: /.*/, namespace: 'shared' }, (a) => ({ contents: `module.exports = require('./extension.js').${SHARED}[${JSON.stringify(a.path)}];`, loader: 'js' }));
    },
  };
}

/**
 * A module the extension bundle only `import()`s (the Proxmox and Nix providers, behind the services'
 * dynamic imports) goes into dist/lazy.js as well, exported there as `__homelabDeferred`: the
 * extension's `await import(...)` then loads it on first use instead of activation parsing it.
 */
const DEFERRED = '__homelabDeferred';
function deferToLazy(deferred) {
  return {
    name: 'defer-to-lazy',
    setup(build) {
      build.onResolve({ filter: /^\.\/lazy\.js$/, namespace: 'deferred' }, (a) => ({ path: a.path, external: true }));
      build.onResolve({ filter: /^\./ }, async (a) => {
        if (a.kind !== 'dynamic-import' || a.pluginData?.deferred === false) return undefined;
        const r = await build.resolve(a.path, { resolveDir: a.resolveDir, kind: a.kind, importer: a.importer, pluginData: { deferred: false } });
        if (r.errors.length || r.external) return undefined;
        const rel = relative(root, r.path);
        if (!rel.startsWith('src/')) return undefined;
        deferred.add(rel);
        return { path: rel, namespace: 'deferred' };
      });
      build.onLoad({ filter: /.*/, namespace: 'deferred' }, (a) => ({ contents: `module.exports = require('./lazy.js').${DEFERRED}[${JSON.stringify(a.path)}];`, loader: 'js' }));
    },
  };
}

/** `export const <name> = { "<module>": <its namespace>, … }` after `first` (an entry's source). */
function entryWithTable(first, name, modules) {
  return [
    first,
    ...modules.map((rel, i) => `import * as m${i} from ${JSON.stringify(`./${rel}`)};`),
    `export const ${name} = { ${modules.map((rel, i) => `${JSON.stringify(rel)}: m${i}`).join(', ')} };`,
  ].join('\n');
}

/**
 * Builds dist/extension.js and dist/lazy.js (see lazyEntry); returns the extension bundle's result.
 * Exporting a module's namespace keeps all of it (and what it imports) in the extension bundle, which
 * can make more modules shareable: repeated until the set settles, so no module is in both bundles.
 */
async function buildExtension() {
  const deferred = new Set();
  const main = { ...nodeCommon, plugins: [vscodeOnce, lazy, lazyVendor, lazyEntry, deferToLazy(deferred)], write: false };
  let used = new Set();
  for (let round = 1; ; round++) {
    const ext = await esbuild.build({
      ...main,
      stdin: { contents: entryWithTable(`export * from './src/extension';`, SHARED, [...used].sort()), resolveDir: root, sourcefile: 'extension-entry.ts', loader: 'ts' },
      outfile: join(root, 'dist/extension.js'),
    });
    // Modules with code in the extension bundle (a barrel that only re-exports has none: the lazy
    // bundle takes the barrel itself and resolves its re-exports one by one).
    const inputs = Object.values(ext.metafile.outputs).find((o) => o.inputs[relative(process.cwd(), join(root, 'src/extension.ts'))])?.inputs ?? {};
    const mainInputs = new Set(Object.entries(inputs).filter(([, v]) => v.bytesInOutput > 0).map(([f]) => relative(root, resolve(f))));
    const next = new Set();
    const lazyBuild = await esbuild.build({
      ...nodeCommon,
      write: false,
      plugins: [vscodeOnce, lazy, lazyVendor, sharedFrom(mainInputs, next)],
      stdin: { contents: entryWithTable(`export * from './src/lazy';`, DEFERRED, [...deferred].sort()), resolveDir: root, sourcefile: 'lazy-entry.ts', loader: 'ts' },
      outfile: join(root, 'dist/lazy.js'),
    });
    if ([...next].every((m) => used.has(m)) || round === 6) {
      if (![...next].every((m) => used.has(m))) throw new Error('build: the modules shared by dist/extension.js and dist/lazy.js do not settle');
      for (const f of [...ext.outputFiles, ...lazyBuild.outputFiles]) {
        mkdirSync(dirname(f.path), { recursive: true });
        writeFileSync(f.path, f.contents);
      }
      return ext;
    }
    used = new Set([...used, ...next]);
  }
}

// l10n/bundle.l10n.json: the messages of vscode.l10n.t (src/) and of the pages' t() (webview-ui/).
execFileSync(process.execPath, [join(root, 'scripts/l10n.mjs')], { stdio: 'inherit' });

rmSync(join(root, 'dist'), { recursive: true, force: true });
const builds = [
  buildExtension(),
  ...lazyVendors.map((name) => esbuild.build({ ...nodeCommon, stdin: { contents: `module.exports = require(${JSON.stringify(name)});`, resolveDir: root, sourcefile: `vendor-${name}.js` }, outfile: join(root, `dist/vendor/${name}.js`) })),
  ...Object.entries(lazyBundles).map(([name, entry]) => esbuild.build({ ...nodeCommon, plugins: [clientNodeApart], entryPoints: { [name]: join(root, entry) }, outdir: join(root, 'dist') })),
  esbuild.build({ ...nodeCommon, stdin: { contents: `module.exports = require('@kubernetes/client-node');`, resolveDir: root, sourcefile: 'vendor-client-node.js' }, outfile: join(root, 'dist/vendor/client-node.js') }),
  // The tracker parser's worker thread (large files are parsed off the extension host's main thread).
  esbuild.build({ ...nodeCommon, entryPoints: { 'tracker-worker': join(root, 'src/providers/markdown/parse-worker.ts') }, outdir: join(root, 'dist') }),
  // The MCP server (issue 15): `node dist/mcp.js --config <file>`, runs outside VS Code, everything inlined.
  esbuild.build({ ...nodeCommon, entryPoints: { mcp: join(root, 'src/mcp/main.ts') }, outdir: join(root, 'dist') }),
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
